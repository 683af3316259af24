"""Field aliases shared by the flat-ish adapters, and pickers that try them in order.

A picker returns the first alias whose value *coerces* (``"senderId": ""`` next to
``"sender_id": "42"`` gives ``"42"``). Top-level ``id`` is deliberately in no message-id list: in
ManyChat's Full Contact Data it is the contact, and taking it for the message would mark every later
message from that person as a duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence

from inbox.models import Attachment
from inbox.normalize.coerce import as_id, as_text, as_url, as_username, scalar
from inbox.normalize.timestamps import to_epoch_ms

SENDER_KEYS = ("senderId", "sender_id", "userId", "user_id", "contact_id", "contactId", "fromId", "from_id")
SENDER_LAST_RESORT = ("igsid", "ig_id", "sender")
MESSAGE_ID_KEYS = ("messageId", "message_id", "mid")
TEXT_KEYS = ("text", "message", "content", "body", "last_input", "last_input_text")
USERNAME_KEYS = ("username", "ig_username", "ig_user_name", "user_name", "senderName", "sender_name")
NAME_KEYS = ("name",)
TIMESTAMP_KEYS = (
    "timestamp",
    "time",
    "created_at",
    "createdAt",
    "created_time",
    "sent_at",
    "sentAt",
    "last_interaction",
)
ATTACHMENT_KEYS = ("attachments", "attachment")


def pick_id(body: dict[object, object], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = body.get(key)
        if value is not None:
            found = as_id(value)
            if found is not None:
                return found
    return None


def pick_text(body: dict[object, object], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = body.get(key)
        if value is not None:
            found = as_text(value)
            if found is not None:
                return found
    return None


def pick_username(body: dict[object, object], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = body.get(key)
        if value is not None:
            found = as_username(value)
            if found is not None:
                return found
    return None


def pick_time(body: dict[object, object], keys: Sequence[str]) -> int | None:
    for key in keys:
        value = body.get(key)
        if value is not None:
            found = to_epoch_ms(value)
            if found is not None:
                return found
    return None


def sender_id(body: dict[object, object]) -> str | None:
    return pick_id(body, SENDER_KEYS) or pick_id(body, SENDER_LAST_RESORT)


def username(body: dict[object, object]) -> str | None:
    return pick_username(body, USERNAME_KEYS) or pick_username(body, NAME_KEYS)


def attachment(item: object) -> Attachment | None:
    """``{type, url}``, Meta's ``{type, payload: {url}}``, or a bare string with ``://`` (type ``file``)."""
    item = scalar(item)
    if isinstance(item, str):
        url = as_url(item)
        return Attachment(type="file", url=url) if url is not None and "://" in url else None
    if not isinstance(item, dict):
        return None
    url = as_url(item.get("url"))
    if url is None:
        payload = item.get("payload")
        if isinstance(payload, dict):
            url = as_url(payload.get("url"))
    if url is None:
        return None
    return Attachment(type=as_id(item.get("type")) or "file", url=url)


def attachments(value: object) -> list[Attachment]:
    """Every attachment with a URL, in order; those without one are dropped."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        parsed = attachment(item)
        if parsed is not None:
            found.append(parsed)
    return found


def pick_attachments(body: dict[object, object]) -> list[Attachment]:
    for key in ATTACHMENT_KEYS:
        value = body.get(key)
        if value is not None:
            found = attachments(value)
            if found:
                return found
    return []
