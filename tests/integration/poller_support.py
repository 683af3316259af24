"""Helpers for the poller's integration tests: a fake clock, settings, the loop, stored items."""

from __future__ import annotations

import random
import time
from typing import Any

import boto3
import httpx
from inbox import settings as inbox_settings
from inbox.outbound import AllowedHosts
from inbox.polling.inbox_client import InboxClient
from inbox.polling.invocation import InvocationSummary, PollerConfig, run_invocation
from inbox.polling.state import PollerState
from inbox.settings import CHATRACE_ACCOUNT_ID, CHATRACE_INBOX_URL, POLLING_ENABLED, function_environment
from inbox.storage.store import MessageStore
from inbox_dev.fake_chatrace import FakeChatrace
from inbox_dev.local_aws import LocalStack


class FakeClock:
    """Wall time that only moves when the poller sleeps; the invocation has ``budget`` seconds."""

    def __init__(self, budget: float = 70.0) -> None:
        self.t = time.time()
        self.deadline = self.t + budget
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def remaining_seconds(self) -> float:
        return self.deadline - self.t


def set_settings(stack: LocalStack, values: dict[str, str]) -> None:
    """Write String settings, as an operator would, and forget the cached ones."""
    ssm = boto3.client("ssm")
    for name, value in values.items():
        ssm.put_parameter(Name=f"{stack.settings_prefix}/{name}", Value=value, Type="String", Overwrite=True)
    inbox_settings.clear_caches()


def enable_polling(stack: LocalStack, fake: FakeChatrace) -> FakeChatrace:
    """Polling on, pointed at the fake (its token must be seeded as the secret)."""
    set_settings(
        stack,
        {POLLING_ENABLED: "true", CHATRACE_ACCOUNT_ID: fake.account_id, CHATRACE_INBOX_URL: fake.inbox_url},
    )
    return fake


def run_poller(
    table_name: str,
    clock: FakeClock,
    *,
    owner: str = "invocation-1",
    timeout: float | None = None,
    seed: int = 7,
) -> InvocationSummary:
    """One invocation's loop with a fake clock (and, optionally, short HTTP timeouts)."""

    def client(config: PollerConfig) -> InboxClient:
        http_timeout = httpx.Timeout(timeout) if timeout else httpx.Timeout(8.0, connect=3.0)
        return InboxClient(
            url=config.inbox_url,
            allowed=AllowedHosts(config.allowed_hosts),
            account_id=config.account_id,
            token=config.token,
            timeout=http_timeout,
        )

    return run_invocation(
        env=function_environment(),
        store=MessageStore(table_name),
        state=PollerState(table_name),
        clock=clock,
        owner=owner,
        client_factory=client,
        rng=random.Random(seed),
    )


def stored(table_name: str, message_id: str) -> dict[str, Any] | None:
    """The message item stored under this id, or None."""
    item: dict[str, Any] | None = (
        boto3.client("dynamodb")
        .get_item(TableName=table_name, Key={"pk": {"S": f"MSG#{message_id}"}, "sk": {"S": "MSG"}})
        .get("Item")
    )
    return item


def messages(table_name: str) -> list[dict[str, Any]]:
    """Every message item (a Scan: tests only)."""
    items = boto3.client("dynamodb").scan(TableName=table_name)["Items"]
    return [item for item in items if item["pk"]["S"].startswith("MSG#")]
