"""Meta's own Instagram (and Messenger) webhook envelope: ``{"object", "entry": [...]}``.

Only new inbound messages count. Echoes of our own replies, reads, reactions, postbacks, edits and
deletions are recognized and skipped, so a batch of them is answered "ignored". Reactions
(``reaction: {mid, action: react|unreact, reaction, emoji}``) are read separately by
:func:`reactions`: they are kept on the message they react to, never counted as messages. A ``message_edit``
may come with no sender at all (Meta sometimes delivers a DM that way, ``num_edit: 0``): it is
skipped, never read blindly. ``entry.time`` is when Meta sent the batch, not when the message was
written, so only the item's own ``timestamp`` is used. Meta bodies carry no username.
"""

from __future__ import annotations

from collections.abc import Callable

from inbox.models import NormalizedMessage, Reaction
from inbox.normalize.coerce import any_flag, as_id, as_lower, as_text
from inbox.normalize.context import Context, make_message
from inbox.normalize.fields import attachments
from inbox.normalize.timestamps import format_ms, to_epoch_ms

FORMAT = "meta"

_OBJECTS = frozenset({"instagram", "page"})
_ITEM_LISTS = ("messaging", "standby")
_SKIPPED_FLAGS = frozenset({"is_echo", "is_deleted"})  # our own reply; a deletion


def _is_envelope(body: dict[object, object], entries: list[object]) -> bool:
    if as_lower(body.get("object")) in _OBJECTS:
        return True
    return any(
        isinstance(entry, dict) and any(key in entry for key in (*_ITEM_LISTS, "changes"))
        for entry in entries
    )


def message_from_item(item: object, ctx: Context) -> NormalizedMessage | None:
    """One ``messaging``/``standby`` item or ``changes[].value``; None when it is not a new message."""
    if not isinstance(item, dict):
        return None
    message = item.get("message")
    sender = item.get("sender")
    if not isinstance(message, dict) or not isinstance(sender, dict):
        return None  # read, reaction, postback, message_edit, or no sender
    if any_flag(message, _SKIPPED_FLAGS):
        return None
    return make_message(
        ctx,
        FORMAT,
        sender_id=as_id(sender.get("id")),
        message_id=as_id(message.get("mid")) or as_id(message.get("id")),
        username=None,
        text=as_text(message.get("text")),
        # payload.title of a reel or post share is its caption, and reply_to.story.url is context:
        # neither is read here.
        attachments=attachments(message.get("attachments")),
        timestamp_ms=to_epoch_ms(item.get("timestamp")),
    )


def reaction_from_item(item: object, ctx: Context) -> Reaction | None:
    """A ``messaging`` item's ``reaction``: who reacted to which message with what (or took it back)."""
    if not isinstance(item, dict):
        return None
    reaction, sender = item.get("reaction"), item.get("sender")
    if not isinstance(reaction, dict) or not isinstance(sender, dict):
        return None
    sender_id, message_id = as_id(sender.get("id")), as_id(reaction.get("mid"))
    action = as_lower(reaction.get("action"))
    if sender_id is None or message_id is None or action not in ("react", "unreact"):
        return None
    ms = to_epoch_ms(item.get("timestamp"))
    return Reaction(
        messageId=message_id,
        senderId=sender_id,
        action="react" if action == "react" else "unreact",
        reaction=as_text(reaction.get("reaction")) if action == "react" else None,
        emoji=as_text(reaction.get("emoji")) if action == "react" else None,
        timestamp=format_ms(min(ms, ctx.latest_ms)) if ms is not None else ctx.received_at,
    )


def reactions(body: object, ctx: Context) -> list[Reaction]:
    """Every reaction in a Meta envelope (none for any other body)."""
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        return []
    return _read_items(body["entry"], reaction_from_item, ctx)


def _read_items[T](
    entries: list[object], read: Callable[[object, Context], T | None], ctx: Context
) -> list[T]:
    """What ``read`` finds in every messaging item of every entry, in order."""
    return [
        found
        for entry in entries
        if isinstance(entry, dict)
        for item in _items(entry)
        if (found := read(item, ctx)) is not None
    ]


def _items(entry: dict[object, object]) -> list[object]:
    items: list[object] = []
    for key in _ITEM_LISTS:
        listed = entry.get(key)
        if isinstance(listed, list):
            items.extend(listed)
    changes = entry.get("changes")
    if isinstance(changes, list):
        # The dashboard's Test button: entry.id "0", field "messages", times in seconds as strings.
        items.extend(
            change.get("value")
            for change in changes
            if isinstance(change, dict) and as_lower(change.get("field")) == "messages"
        )
    return items


def adapt(body: object, ctx: Context) -> list[NormalizedMessage] | None:
    if not isinstance(body, dict):
        return None
    entries = body.get("entry")
    if not isinstance(entries, list) or not _is_envelope(body, entries):
        return None
    return _read_items(entries, message_from_item, ctx)
