"""ManyChat's *Full Contact Data* body (``key: "user:<id>"``, ``id``, ``name``, ``last_input_text``, ...).

Here the top-level ``id`` is the **contact**: it is the sender, never the message id. The body has
no message id, so one is derived; ``ig_id`` is used for the sender only when ``id`` and ``key`` are
both missing.
"""

from __future__ import annotations

from inbox.models import NormalizedMessage
from inbox.normalize import fields
from inbox.normalize.coerce import as_id
from inbox.normalize.context import Context
from inbox.normalize.flat import message_from_fields

FORMAT = "manychat"

_CONTACT_MARKERS = frozenset({"id", "ig_id", "page_id", "custom_fields", "live_chat_url"})
_TEXT_KEYS = ("last_input_text", *fields.TEXT_KEYS)
_USERNAME_KEYS = ("ig_username", *fields.USERNAME_KEYS)
# "last_interraction" (sic) appears in real ManyChat payloads.
_TIMESTAMP_KEYS = ("ig_last_interaction", "last_interaction", "last_interraction", *fields.TIMESTAMP_KEYS)


def key_contact(body: dict[object, object]) -> str | None:
    """The contact id in ManyChat's ``key: "user:<id>"``."""
    if "key" not in body:
        return None
    key = as_id(body["key"])
    if key is not None and key[:5].lower() == "user:":
        return as_id(key[5:])
    return None


def is_manychat(body: dict[object, object]) -> bool:
    if key_contact(body) is not None:
        return True
    return "last_input_text" in body and not _CONTACT_MARKERS.isdisjoint(body)


def adapt(body: object, ctx: Context) -> list[NormalizedMessage] | None:
    if not isinstance(body, dict) or not is_manychat(body):
        return None
    sender_id = as_id(body.get("id")) or key_contact(body) or fields.sender_id(body)
    return message_from_fields(
        body,
        ctx,
        FORMAT,
        sender_id=sender_id,
        text=fields.pick_text(body, _TEXT_KEYS),
        username=fields.pick_username(body, _USERNAME_KEYS) or fields.pick_username(body, fields.NAME_KEYS),
        timestamp_ms=fields.pick_time(body, _TIMESTAMP_KEYS),
    )
