"""Poller function: every minute (EventBridge), polls the Chatrace inbox API every few seconds until
its time runs short. Wiring only; logic is in inbox.polling.invocation (one invocation) and
inbox.polling.round (one round)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from inbox.observability import logger, trace_handler
from inbox.polling.invocation import LambdaClock, run_invocation
from inbox.polling.state import PollerState
from inbox.settings import function_environment
from inbox.storage.store import MessageStore

env = function_environment()
store = MessageStore(env.table_name)
state = PollerState(env.table_name)
logger.info("service initialized", extra={"table": env.table_name, "settingsPrefix": env.settings_prefix})


# No @metrics.log_metrics: inbox.polling.invocation publishes its metrics after every round (and when
# the invocation ends), since one invocation lasts a minute. The correlation id is the schedule event's id.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = run_invocation(
        env=env, store=store, state=state, clock=LambdaClock(context), owner=context.aws_request_id
    )
    return summary.to_json()
