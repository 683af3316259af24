"""One Logger and one Metrics object per function, configured the same way everywhere.

Service name, namespace and log level come from the template's Globals
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import EphemeralMetrics

logger = Logger()
metrics = Metrics()
# The poller's own metric set (Metrics() instances all share one): an invocation lasts a minute and
# flushes after every round, and under `make dev` it runs in a thread beside the webhook, whose
# flush must neither publish nor clear the poller's half-counted round.
poller_metrics = EphemeralMetrics()


class MetricName:
    """The metric names, in one place: alarms and dashboards must use these same strings."""

    MESSAGES_STORED = "MessagesStored"
    DUPLICATES = "DuplicateMessages"
    IGNORED_DELIVERIES = "IgnoredDeliveries"
    UNRECOGNIZED_BODIES = "UnrecognizedBodies"
    REJECTED_DELIVERIES = "RejectedDeliveries"
    STORE_ERRORS = "StoreErrors"
    # operator API
    LOGIN_FAILURES = "OperatorLoginFailures"
    OPERATOR_AUTH_FAILURES = "OperatorAuthFailures"
    # poller
    MESSAGES_POLLED = "MessagesPolled"
    POLL_ROUNDS = "PollRounds"
    POLL_ERRORS = "PollErrors"
    UNREADABLE_POLLED_MESSAGES = "UnreadablePolledMessages"
    DELIVERY_GAP = "DeliveryGap"
    """Messages the poller stored that no webhook delivery had brought (a missed External Request)."""


def text_preview(text: str | None, limit: int = 80) -> str | None:
    """What a log line may show of a customer's text: at most ``limit`` characters."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
