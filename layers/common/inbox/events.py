"""An EventBridge event for every newly stored inbound message, so a CRM or the old backend can
subscribe with a rule on the stack's own bus.

Event shape (documented in docs/operator-api.md too):

- ``source``: ``chatrace-inbox`` (:data:`SOURCE`);
- ``detail-type``: ``Instagram message received`` (:data:`DETAIL_TYPE`);
- ``detail``: the normalized message, exactly as ``GET /instagram/messages`` returns it.

Why DynamoDB Streams → this small consumer, and not a publish from the webhook after storing:
the table is the source of truth. A publish-after-store either makes the webhook wait for (and
fail with) EventBridge, or loses the event when the function dies between the write and the
publish — and a redelivery is then a duplicate that publishes nothing. The stream holds every
INSERT for 24 hours and Lambda retries a failed record (partial batch responses: only the records
that failed are retried, in order), with failures past the retries sent to a queue; the webhook
never waits for EventBridge. A duplicate delivery never becomes an INSERT (the conditional put
fails), so it is never published; paired cross-source records are updates, not INSERTs. Only
``MSG#`` items with direction ``inbound`` are published (replies are ours, fingerprints and
conversation rows are bookkeeping). EventBridge Pipes would do the filtering and delivery without
code, but could not reshape the item (typed DynamoDB JSON) into the normalized message without an
enrichment function anyway — this is that function, with the filter in its event source mapping.
Delivery is at least once (a retried batch may publish a record twice): subscribers dedupe on
``detail.messageId``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from inbox.aws import aws_client
from inbox.errors import EventNotPublished
from inbox.models import NormalizedMessage
from inbox.observability import MetricName, logger, metrics, text_preview
from inbox.storage.items import message_from_item
from inbox.storage.table import is_message_item

SOURCE = "chatrace-inbox"
DETAIL_TYPE = "Instagram message received"


@dataclass(frozen=True, slots=True)
class EventsEnvironment:
    event_bus_name: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> EventsEnvironment:
        name = environ.get("EVENT_BUS_NAME", "").strip()
        if not name:
            raise ValueError("invalid function environment: EVENT_BUS_NAME must name the event bus")
        return cls(name)


@cache
def events_environment() -> EventsEnvironment:
    return EventsEnvironment.from_environ(os.environ)


def events_client() -> Any:  # an EventBridgeClient (its type stubs are not installed)
    return aws_client("events")


def new_inbound_message(record: Mapping[str, Any]) -> NormalizedMessage | None:
    """The message a DynamoDB stream record newly stored, when it is an inbound one; else None."""
    if record.get("eventName") != "INSERT":
        return None
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    if not is_message_item(image):
        return None
    message = message_from_item(image)
    return message if message.direction == "inbound" else None


class EventPublisher:
    def __init__(self, bus_name: str, client: Any = None) -> None:
        self.bus_name = bus_name
        self._client = client or events_client()

    def publish(self, message: NormalizedMessage) -> None:
        answer = self._client.put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": DETAIL_TYPE,
                    "Detail": json.dumps(message.to_json(), ensure_ascii=False),
                    "EventBusName": self.bus_name,
                }
            ]
        )
        if answer.get("FailedEntryCount"):
            entry = (answer.get("Entries") or [{}])[0]
            raise EventNotPublished(f"EventBridge refused the event ({entry.get('ErrorCode', 'unknown')})")
        metrics.add_metric(name=MetricName.EVENTS_PUBLISHED, unit="Count", value=1)
        logger.info(
            "message event published",
            extra={
                "messageId": message.messageId,
                "senderId": message.senderId,
                "textPreview": text_preview(message.text),
                "eventBus": self.bus_name,
            },
        )


def handle_record(record: Mapping[str, Any], publisher: EventPublisher) -> NormalizedMessage | None:
    """One stream record: publish it if it is a new inbound message (raises to have it retried)."""
    message = new_inbound_message(record)
    if message is not None:
        try:
            publisher.publish(message)
        except Exception as exc:
            # Powertools' batch processor keeps the failure to itself: say which message and why.
            logger.warning(
                "message event not published",
                extra={
                    "messageId": message.messageId,
                    "senderId": message.senderId,
                    "errorType": type(exc).__name__,
                    "reason": str(exc)[:300],
                },
            )
            raise
    return message
