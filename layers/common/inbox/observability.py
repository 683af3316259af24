"""One Logger and one Metrics object per function, configured the same way everywhere.

Service name, namespace and log level come from the template's Globals
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()


class MetricName:
    """The metric names, in one place: alarms and dashboards must use these same strings."""

    MESSAGES_STORED = "MessagesStored"
    DUPLICATES = "DuplicateMessages"
    IGNORED_DELIVERIES = "IgnoredDeliveries"
    UNRECOGNIZED_BODIES = "UnrecognizedBodies"
    REJECTED_DELIVERIES = "RejectedDeliveries"
    STORE_ERRORS = "StoreErrors"


def text_preview(text: str | None, limit: int = 80) -> str | None:
    """What a log line may show of a customer's text: at most ``limit`` characters."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
