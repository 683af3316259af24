"""The seed's flat body ``{senderId, messageId, text, username, timestamp}`` and its many cousins.

The catch-all adapter, tried last: it recognizes any object with a sender and some content under the
aliases in :mod:`inbox.normalize.fields`. A body with a sender but no text or attachment is *not*
recognized, so it is kept whole as unrecognized rather than answered "ignored" — it is most likely
an operator's template using a field name we do not know yet.
"""

from __future__ import annotations

from inbox.models import Attachment, NormalizedMessage
from inbox.normalize import fields
from inbox.normalize.coerce import any_flag
from inbox.normalize.context import Context, make_message

FORMAT = "flat"

ECHO_FLAGS = frozenset({"is_echo", "isEcho"})


def is_echo(body: dict[object, object]) -> bool:
    return any_flag(body, ECHO_FLAGS)


def message_from_fields(
    body: dict[object, object],
    ctx: Context,
    fmt: str,
    *,
    sender_id: str | None,
    text: str | None,
    username: str | None,
    timestamp_ms: int | None,
    attachments: list[Attachment] | None = None,
) -> list[NormalizedMessage] | None:
    """The shared tail of the flat-family adapters (flat, chatrace, manychat)."""
    if sender_id is None:
        return None
    found = attachments if attachments is not None else fields.pick_attachments(body)
    if text is None and not found:
        return None
    if is_echo(body):
        return []
    message = make_message(
        ctx,
        fmt,
        sender_id=sender_id,
        message_id=fields.pick_id(body, fields.MESSAGE_ID_KEYS),
        username=username,
        text=text,
        attachments=found,
        timestamp_ms=timestamp_ms,
    )
    return [message] if message is not None else None


def adapt(body: object, ctx: Context) -> list[NormalizedMessage] | None:
    if not isinstance(body, dict):
        return None
    sender_id = fields.sender_id(body)
    if sender_id is None:
        return None
    return message_from_fields(
        body,
        ctx,
        FORMAT,
        sender_id=sender_id,
        text=fields.pick_text(body, fields.TEXT_KEYS),
        username=fields.username(body),
        timestamp_ms=fields.pick_time(body, fields.TIMESTAMP_KEYS),
    )
