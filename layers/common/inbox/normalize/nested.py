"""Messenger-style nesting: ``sender{id, username}`` (or ``from{}``, ``contact{}``, ``user{}``) and
``message{mid, text, attachments}``.

Also a bare Meta messaging item posted on its own, and cousins that mix the two styles (a flat
``senderId`` with a ``message{}`` object; a ``sender{}`` with a top-level ``text``). ``message`` may
be a plain string, which is then the text. Here ``message.id`` is the message's id; the top-level
``id`` still never is.

:func:`adapt_by_shape` reads the same way a body whose objects are found by their content instead
of these names (:mod:`inbox.normalize.shapes`); its messages' format is ``shape``.
"""

from __future__ import annotations

from inbox.models import NormalizedMessage
from inbox.normalize import conflicts, fields
from inbox.normalize.coerce import any_flag, as_text
from inbox.normalize.context import Context, make_message

FORMAT = "nested"
SHAPE_FORMAT = "shape"
"""The format of a body read by :func:`adapt_by_shape`: by content, not by name."""

SENDER_OBJECTS = conflicts.SENDER_OBJECTS
_SENDER_ID_KEYS = ("id", *fields.SENDER_KEYS)
_INNER_ID_KEYS = ("mid", "id", "message_id", "messageId")
_INNER_TEXT_KEYS = ("text", "body", "content")
_NOT_NEW_MESSAGE = frozenset({"read", "reaction", "postback", "message_edit", "delivery"})
_SKIPPED_FLAGS = frozenset({"is_echo", "is_deleted"})  # our own reply; a deletion


def _sender_object(body: dict[object, object]) -> dict[object, object] | None:
    for key in SENDER_OBJECTS:
        value = body.get(key)
        if isinstance(value, dict):
            return value
    return None


def _username(sender: dict[object, object] | None, body: dict[object, object]) -> str | None:
    """A handle anywhere beats a display name: sender.username, username, then sender.name, name."""
    for keys in (fields.USERNAME_KEYS, fields.NAME_KEYS):
        found = (fields.pick_username(sender, keys) if sender else None) or fields.pick_username(body, keys)
        if found is not None:
            return found
    return None


def _read(
    body: dict[object, object],
    ctx: Context,
    sender: dict[object, object] | None,
    inner: dict[object, object] | None,
    *,
    content: dict[object, object] | None = None,
    text_keys: tuple[str, ...] = _INNER_TEXT_KEYS,
    fallback_name: str | None = None,
    fmt: str = FORMAT,
) -> list[NormalizedMessage] | None:
    """The message a body with these sender and message objects carries (``content``, where its
    text and attachments are, defaults to ``inner``)."""
    sender_id = (fields.pick_id(sender, _SENDER_ID_KEYS) if sender else None) or fields.sender_id(body)
    if sender_id is None:
        return None
    if inner is None and not _NOT_NEW_MESSAGE.isdisjoint(body):
        return []  # a Meta read/reaction/postback/edit item on its own: recognized, nothing new
    if inner is not None and any_flag(inner, _SKIPPED_FLAGS):
        return []

    if inner is not None:
        content = inner if content is None else content
        message_id = fields.pick_id(inner, _INNER_ID_KEYS)
        text = fields.pick_text(content, text_keys)
        attachments = fields.pick_attachments(content)
        inner_time = fields.pick_time(inner, fields.TIMESTAMP_KEYS)
    else:
        message_id = None
        text = as_text(body.get("message"))
        attachments = []
        inner_time = None
    result = make_message(
        ctx,
        fmt,
        sender_id=sender_id,
        message_id=message_id or fields.pick_id(body, fields.MESSAGE_ID_KEYS),
        username=_username(sender, body) or fallback_name,
        text=text or fields.pick_text(body, fields.TEXT_KEYS),
        attachments=attachments or fields.pick_attachments(body),
        timestamp_ms=fields.pick_time(body, fields.TIMESTAMP_KEYS) or inner_time,
    )
    return [result] if result is not None else None


def adapt(body: object, ctx: Context) -> list[NormalizedMessage] | None:
    """By name: ``sender{}`` (or ``from{}``, ``contact{}``, ``user{}``) and/or ``message{}``."""
    if not isinstance(body, dict):
        return None
    sender = _sender_object(body)
    message = body.get("message")
    inner = message if isinstance(message, dict) else None
    if sender is None and inner is None:
        return None
    return _read(body, ctx, sender, inner)


def adapt_by_shape(body: object, ctx: Context) -> list[NormalizedMessage] | None:
    """By content (:mod:`inbox.normalize.shapes`): the last resort, for a body nothing else recognized.

    The sender is looked for in the body, then (when the body names no sender at all) in the message
    object. A message sent by our side (a bot, an agent, ``direction: "outbound"``) is recognized and
    skipped, like an echo.
    """
    from inbox.normalize import shapes  # the last resort: bodies an adapter recognizes never need it

    if not isinstance(body, dict) or not shapes.has_objects(body):
        return None
    sender = shapes.sender_object(body, SENDER_OBJECTS)
    found = shapes.message_object(body, sender)
    if sender is shapes.AMBIGUOUS or (found is not None and found[0] is shapes.AMBIGUOUS):
        return None
    inner, content = found if found is not None else (None, None)
    if sender is None and inner is not None and fields.sender_id(body) is None:
        sender = shapes.sender_object(inner, SENDER_OBJECTS)
        if sender is shapes.AMBIGUOUS:
            return None
    if sender is None and inner is None:
        return None
    messages = _read(
        body,
        ctx,
        sender,
        inner,
        content=content,
        text_keys=shapes.MESSAGE_TEXT_KEYS,
        fallback_name=shapes.display_name(sender) if sender is not None else None,
        fmt=SHAPE_FORMAT,
    )
    ours = (sender is not None and shapes.is_not_a_customer(sender)) or any(
        shapes.is_outgoing(obj) for obj in (body, inner) if obj is not None
    )
    return [] if messages and ours else messages
