"""Logger, Metrics and Tracer for every function, configured the same way everywhere.

Service name, namespace and log level come from the template's Globals
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL). Every handler is
wrapped the same way (functions/*/app.py):

    @logger.inject_lambda_context(correlation_id_path=...)   # JSON lines: cold_start, correlation_id
    @metrics.log_metrics                                      # EMF per invocation (not the poller's)
    @trace_handler                                            # X-Ray subsegment, when tracing is on

Tracing: the template turns on X-Ray active tracing for every function (Globals ``Tracing:
Active``), so Lambda records each invocation (init, invocation, errors) without any code. The
Powertools Tracer adds subsegments for the calls a function makes (DynamoDB, SSM, the Chatrace
APIs through httpx). It needs the X-Ray SDK, which costs about 35 ms of cold start inside Lambda
and about 110 ms anywhere else (outside Lambda its sampler builds two X-Ray clients), so it is
built only where traces can go: inside Lambda, unless ``POWERTOOLS_TRACE_DISABLED`` is true.
``make dev``, the tests and ``make bench`` never import it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics, Tracer, single_metric
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

UNLOGGED_CONTEXT_KEYS = ("function_arn", "function_memory_size")
"""Lambda context keys Powertools adds to every line that no query reads and that say nothing
per request: the ARN repeats ``function_name`` (account and region are the log group's), the memory
size is the template's. CloudWatch Logs bills every byte (docs/performance.md, (e))."""


class _Formatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines without :data:`UNLOGGED_CONTEXT_KEYS`."""

    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        for key in UNLOGGED_CONTEXT_KEYS:
            log.pop(key, None)
        return super().serialize(log)


logger = Logger(logger_formatter=_Formatter())
metrics = Metrics()
# The poller's own metric set (Metrics() instances all share one): an invocation lasts a minute and
# flushes after every round, and under `make dev` it runs in a thread beside the webhook, whose
# flush must neither publish nor clear the poller's half-counted round.
poller_metrics = EphemeralMetrics()

TRACED_MODULES = ("botocore", "httpx")
"""What the X-Ray SDK patches: AWS calls and the Chatrace APIs (not its whole list of libraries)."""
_TRUTHY = frozenset({"1", "true", "yes", "on", "y", "t"})


def tracing_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Inside Lambda (not ``sam local``), unless POWERTOOLS_TRACE_DISABLED says otherwise."""
    in_lambda = bool(environ.get("LAMBDA_TASK_ROOT")) and not environ.get("AWS_SAM_LOCAL")
    disabled = environ.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in _TRUTHY
    return in_lambda and not disabled


tracer: Tracer | None = Tracer(patch_modules=TRACED_MODULES) if tracing_enabled() else None


def trace_handler[HandlerT: Callable[..., Any]](handler: HandlerT) -> HandlerT:
    """The handler in its own X-Ray subsegment (cold start and service annotations, the error if one
    escapes) when tracing is on; unchanged otherwise. The response is never recorded: it holds
    customers' messages."""
    if tracer is None:
        return handler
    return cast("HandlerT", tracer.capture_lambda_handler(handler, capture_response=False))


class MetricName:
    """The metric names, in one place: alarms and dashboards must use these same strings.

    Every metric is published in the Globals namespace with the dimension ``service`` (the
    function's POWERTOOLS_SERVICE_NAME: ``webhook``, ``poller`` or ``config``);
    tests/infrastructure/test_observability_template.py checks template.yaml against this class.
    """

    MESSAGES_STORED = "MessagesStored"
    DUPLICATES = "DuplicateMessages"
    IGNORED_DELIVERIES = "IgnoredDeliveries"
    UNRECOGNIZED_BODIES = "UnrecognizedBodies"
    REJECTED_DELIVERIES = "RejectedDeliveries"
    """Counted twice per rejection: with ``service`` only (every reason) and with ``service`` and
    ``reason`` (:data:`REJECTION_REASONS`); see :func:`count_rejected_delivery`."""
    STORE_ERRORS = "StoreErrors"
    # operator API
    LOGIN_FAILURES = "OperatorLoginFailures"
    OPERATOR_AUTH_FAILURES = "OperatorAuthFailures"
    LOGINS_THROTTLED = "OperatorLoginsThrottled"
    """Logins answered 429 by inbox.operator.login_throttle (no password was checked)."""
    # poller
    MESSAGES_POLLED = "MessagesPolled"
    POLL_ROUNDS = "PollRounds"
    POLL_ERRORS = "PollErrors"
    UNREADABLE_POLLED_MESSAGES = "UnreadablePolledMessages"
    POLL_LAG = "PollLagSeconds"
    """Seconds from a message's own time to the poller storing it (one value per stored message)."""
    DELIVERY_GAP = "DeliveryGap"
    """Messages the poller stored that no webhook delivery had brought (a missed External Request)."""
    TOKEN_REJECTED = "ChatraceTokenRejected"  # noqa: S105 - a metric name
    """Chatrace refused the poller's token. Counted by a metric filter in template.yaml on the
    poller's ERROR line that starts with :data:`TOKEN_REJECTED_LOG`, not in code."""
    # replies and events
    REPLIES_SENT = "RepliesSent"
    REPLIES_FAILED = "RepliesFailed"
    REPLIES_UNKNOWN = "RepliesUnknown"
    EVENTS_PUBLISHED = "EventsPublished"


TOKEN_REJECTED_LOG = "Chatrace rejected the token"  # noqa: S105 - a log message
"""How the poller's ERROR line about a refused token begins (template.yaml's metric filter)."""

REJECTION_REASON_DIMENSION = "reason"
REJECTION_REASONS: dict[int, str] = {
    400: "malformed",
    401: "unauthorized",
    413: "too-large",
    415: "unsupported-media-type",
    503: "auth-not-configured",  # the only 503 a RejectedDelivery carries (webhook_auth.NOT_CONFIGURED)
}
"""RejectedDeliveries' ``reason`` dimension by HTTP status: a short fixed set (anything else is
``other``); the free-text reason stays in the ``delivery rejected`` log line."""
OTHER_REJECTION = "other"


def count_rejected_delivery(status_code: int) -> str:
    """Count one rejected delivery, in total and under its reason; returns the reason."""
    reason = REJECTION_REASONS.get(status_code, OTHER_REJECTION)
    metrics.add_metric(name=MetricName.REJECTED_DELIVERIES, unit="Count", value=1)
    with single_metric(
        name=MetricName.REJECTED_DELIVERIES,
        unit=MetricUnit.Count,
        value=1,
        default_dimensions=metrics.default_dimensions,
    ) as metric:
        metric.add_dimension(name=REJECTION_REASON_DIMENSION, value=reason)
    return reason


def text_preview(text: str | None, limit: int = 80) -> str | None:
    """What a log line may show of a customer's text: at most ``limit`` characters."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
