"""The package's one boto3 client factory: one client per service and container, one configuration.

Clients are thread-safe and costly to build (tens of milliseconds of a cold start), so each is built
once. Short timeouts and boto3's standard retries: a DynamoDB or SSM call that hangs must fail fast
enough for the webhook to answer 503 (and the sender to retry) well inside its own timeout.
"""

from __future__ import annotations

from functools import cache
from typing import Any

CLIENT_CONFIG: dict[str, Any] = {
    "connect_timeout": 2,
    "read_timeout": 3,
    "retries": {"max_attempts": 3, "mode": "standard"},
}


@cache
def aws_client(service: str) -> Any:
    """The container's client for ``service`` (``dynamodb``, ``ssm``, ``events``); typed by its callers."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(**CLIENT_CONFIG))  # type: ignore[call-overload]
