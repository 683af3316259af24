"""Chatrace External API Request bodies built from its system fields.

Recognized by fields only Chatrace templates use (``last_input``, ``last_input_type``,
``input_type``, ``ig_user_name``, ``contact_id``, ``source: "chatrace"``, or ``user_id`` next to
``first_name``/``last_name``). ``{{last_input}}`` holds a CDN URL, not text, when the input type is
a medium: that becomes an attachment of that type.
"""

from __future__ import annotations

from inbox.models import Attachment, NormalizedMessage
from inbox.normalize import fields
from inbox.normalize.coerce import as_lower
from inbox.normalize.context import Context
from inbox.normalize.flat import message_from_fields

FORMAT = "chatrace"

_MARKERS = frozenset({"last_input", "last_input_type", "input_type", "ig_user_name", "contact_id"})
_NAME_KEYS = frozenset({"first_name", "last_name"})
_INPUT_TYPE_KEYS = ("last_input_type", "input_type")
MEDIA_TYPES = frozenset({"image", "video", "audio", "file"})


def is_chatrace(body: dict[object, object]) -> bool:
    if not _MARKERS.isdisjoint(body):
        return True
    if "source" in body and as_lower(body["source"]) == "chatrace":
        return True
    return "user_id" in body and not _NAME_KEYS.isdisjoint(body)


def _media_type(body: dict[object, object]) -> str | None:
    for key in _INPUT_TYPE_KEYS:
        kind = as_lower(body.get(key))
        if kind is not None:
            return kind if kind in MEDIA_TYPES else None
    return None


def _looks_like_url(text: str) -> bool:
    head = text[:8].lower()
    return head.startswith(("https://", "http://"))


def adapt(body: object, ctx: Context) -> list[NormalizedMessage] | None:
    if not isinstance(body, dict) or not is_chatrace(body):
        return None
    text = fields.pick_text(body, fields.TEXT_KEYS)
    found = fields.pick_attachments(body)
    media = _media_type(body)
    if media is not None and text is not None and _looks_like_url(text):
        found = [*found, Attachment(type=media, url=text)]  # kept exactly: a signed CDN link
        text = None
    return message_from_fields(
        body,
        ctx,
        FORMAT,
        sender_id=fields.sender_id(body),
        text=text,
        username=fields.username(body),
        timestamp_ms=fields.pick_time(body, fields.TIMESTAMP_KEYS),
        attachments=found,
    )
