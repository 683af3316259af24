"""Webhook bodies for the tests of every tier, written once: the seed document's flat body and the
message it stands for, and Meta's envelope.

Meta's is ``{"object": "instagram", "entry": [{"id", "time", "messaging": [items]}]}``, each item a
sender, the business's account as recipient, a time and one event (``message``, ``reaction``…).
The values a test does not name are ones no check depends on.
"""

from __future__ import annotations

from typing import Any

SEED: dict[str, Any] = {
    "senderId": "123456789",
    "messageId": "test-123",
    "text": "Тестовое сообщение",
    "username": "test_user",
    "timestamp": 1731499200,
}
"""The body of the seed document (the format of the backend this project replaces)."""

SEED_MESSAGE: dict[str, Any] = {
    "messageId": "test-123",
    "senderId": "123456789",
    "username": "test_user",
    "text": "Тестовое сообщение",
    "attachments": [],
    "timestamp": "2024-11-13T12:00:00Z",
    "source": "webhook",
    "format": "flat",
    "direction": "inbound",
}
"""The message SEED is, as the API answers it (but for ``receivedAt``, the time it arrived)."""

ACCOUNT_ID = "17841400000000000"
"""The business's Instagram account: the entry's id and every item's recipient."""


def meta_item(sender: object, timestamp: object, **event: object) -> dict[str, Any]:
    """One ``messaging`` item; ``sender=None`` leaves the sender out (as Meta does for some events)."""
    item: dict[str, Any] = {"recipient": {"id": ACCOUNT_ID}, "timestamp": timestamp}
    if sender is not None:
        item["sender"] = {"id": sender}
    return item | event


def meta_body(
    *items: object, time: object = 1731499999999, object_: str = "instagram", key: str = "messaging"
) -> dict[str, Any]:
    """The envelope with one entry holding ``items`` under ``key`` (``messaging``, ``standby``…)."""
    return {"object": object_, "entry": [{"id": ACCOUNT_ID, "time": time, key: list(items)}]}


def meta_message(sender: object, message: dict[str, Any], at_ms: int) -> dict[str, Any]:
    """The envelope of one message from ``sender``, sent (and batched) at ``at_ms``."""
    return meta_body(meta_item(sender, at_ms, message=message), time=at_ms)
