r"""Conversation rows kept by the write path (one per sender, see :mod:`inbox.operator.conversations`).

The transaction that *stores* a message also writes its conversation once: ``ADD``\ s one to
``messageCount`` — so the count is exact, a duplicate never counts and nothing is ever recounted —
and, when the message is newer than the row's last one (``lastMessageMs``, ties broken by id; the
usual case), sets the ``last*`` fields and, for an inbound message, the reply window
(``lastInboundMs``/``lastInboundAt``). When only that condition fails (an older message arriving
late) the transaction runs again with the count and the window (if the message is newer than the
window), then with the count alone. So a stored message is always counted, shown when it is the
newest, and a stored customer message always has its window. :func:`touch` moves the row after a
reply Chatrace accepted (its status and ``lastAnsweredMs``). The row is in no index: the listing
walks the messages' own index and reads the rows by key (:mod:`inbox.operator.conversations`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from inbox.errors import StoreUnavailable
from inbox.storage.dynamodb import CONDITION_FAILED, Table
from inbox.storage.items import Update, from_item, message_epoch_ms, number_of, text_of
from inbox.storage.table import Item, conversation_key, conversation_sender

if TYPE_CHECKING:
    from inbox.models import NormalizedMessage
    from inbox.storage.records import Conversation

MAX_ATTEMPTS = 8
ConversationWrite = Literal["newest", "window", "count"]
"""How a stored message writes its conversation (module docstring)."""
_INBOUND_MODES: tuple[ConversationWrite, ...] = ("newest", "window", "count")
_OUTBOUND_MODES: tuple[ConversationWrite, ...] = ("newest", "count")


def jitter(attempt: int, base: float = 0.01) -> None:
    """Sleep a random moment before ``attempt`` (none before the first): optimistic retries spread out."""
    if attempt:
        time.sleep(random.uniform(0, base * 2**attempt))  # noqa: S311 - jitter, not a secret


def put_new(table: Table, item: Item) -> dict[str, Any]:
    """Transaction action: put ``item`` only if its key is free."""
    return {"Put": {"TableName": table.name, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}


def transact_counted(
    table: Table, actions: list[dict[str, Any]], message: NormalizedMessage
) -> list[str] | None:
    """``actions`` (which store ``message``) plus its conversation's one write; the cancellation
    reasons of ``actions`` alone, as ``Table.transact``.

    The conversation's write is tried as the newest message first; when only its condition failed
    the message is older than what the row shows, and the same actions run again with the count and
    the window (an inbound message newer than the window), then the count alone.
    """
    modes = _INBOUND_MODES if message.direction == "inbound" else _OUTBOUND_MODES
    reasons: list[str] | None = None
    for mode in modes:
        reasons = table.transact([*actions, _count(table, message, mode)])
        older = reasons is not None and reasons[-1] == CONDITION_FAILED
        if not (older and all(reason == "None" for reason in (reasons or [])[:-1])):
            break
    return None if reasons is None else reasons[:-1]


def put_counted(table: Table, item: Item, message: NormalizedMessage) -> bool:
    """Store a message by id alone, counted in its conversation in the same transaction."""
    for attempt in range(MAX_ATTEMPTS):
        jitter(attempt)
        reasons = transact_counted(table, [put_new(table, item)], message)
        if reasons is None:
            return True
        if reasons[0] == CONDITION_FAILED:
            return False
    raise StoreUnavailable(
        f"the conversation kept changing under {MAX_ATTEMPTS} attempts", code="ConversationContention"
    )


def _count(table: Table, message: NormalizedMessage, mode: ConversationWrite) -> dict[str, Any]:
    ms = message_epoch_ms(message.timestamp, message.receivedAt)
    update = conversation_count(message, ms, mode)
    return {"Update": update.request(table.name, conversation_key(message.senderId))}


def touch(table: Table, message: NormalizedMessage, *, answered: bool = False) -> None:
    """After a reply's outcome is known (``answered``: Chatrace accepted it): move the ``last*`` fields
    (its status) forward if this message is still the newest, and raise the answered mark. A stored
    message's own transaction already wrote the rest. Best effort: logged, never raised."""
    ms = message_epoch_ms(message.timestamp, message.receivedAt)
    if ms is None:
        return
    mark = "lastAnswered" if answered and message.direction == "outbound" else None
    summary, only_mark = conversation_summary(message, ms, mark=mark)
    if _best_effort(table, message.senderId, summary) or only_mark is None:
        return
    _best_effort(table, message.senderId, only_mark)


def _best_effort(table: Table, sender_id: str, update: Update) -> bool:
    from inbox.observability import logger  # not at import: tests import the store before Powertools' env

    try:
        return table.update(conversation_key(sender_id), update) is not None
    except StoreUnavailable as exc:
        logger.warning("conversation summary not updated", extra={"code": exc.code})
        return False


# ------------------------------------------------------------------------------ the row's codec


_LAST_NAMES = {"#text": "lastText", "#dir": "lastDirection", "#status": "lastStatus"}
_NEWER_THAN_LAST = (
    "(attribute_not_exists(lastMessageMs) OR lastMessageMs < :ms"
    " OR (lastMessageMs = :ms AND lastMessageId <= :id))"
)
"""The row's last message is older than ``:ms`` / ``:id`` (ties broken by id), or there is none."""


def _last_message(message: NormalizedMessage, ms: int) -> tuple[dict[str, object], list[str]]:
    """The values and SET clauses that make ``message`` the row's last one (names: _LAST_NAMES);
    an inbound message's username too, as the customer's latest."""
    values: dict[str, object] = {
        ":ms": ms,
        ":at": message.timestamp,
        ":id": message.messageId,
        ":dir": message.direction,
        ":text": message.text,
        ":count": len(message.attachments),
        ":status": message.status,
    }
    sets = [
        "lastMessageMs = :ms",
        "lastMessageAt = :at",
        "lastMessageId = :id",
        "#dir = :dir",
        "#text = :text",
        "lastAttachmentCount = :count",
        "#status = :status",
    ]
    if message.username is not None and message.direction == "inbound":
        sets.append("username = :username")
        values[":username"] = message.username
    return values, sets


def conversation_count(message: NormalizedMessage, ms: int | None, mode: ConversationWrite) -> Update:
    """One more message in the sender's conversation (created on the first).

    ``newest``: also this message as the conversation's last one, and
    for an inbound message the reply window, on condition it is newer than the last one (ties
    broken by id). ``window``: the count and the reply window, on condition the message is newer
    than the window. ``count``: the count alone.
    """
    sender = message.senderId
    inbound = message.direction == "inbound"
    values: dict[str, object] = {":one": 1, ":kind": "conversation", ":sender": sender}
    names = {"#kind": "kind"}
    sets = ["#kind = :kind", "senderId = :sender"]
    condition = None
    if mode == "newest" and ms is not None:
        last_values, last_sets = _last_message(message, ms)
        values |= last_values
        names |= _LAST_NAMES
        sets += last_sets
        condition = _NEWER_THAN_LAST
        if inbound:
            sets += ["lastInboundMs = :ms", "lastInboundAt = :at"]
            condition += " AND (attribute_not_exists(lastInboundMs) OR lastInboundMs <= :ms)"
    elif mode == "window" and ms is not None:
        values |= {":ms": ms, ":at": message.timestamp}
        sets += ["lastInboundMs = :ms", "lastInboundAt = :at"]
        condition = "attribute_not_exists(lastInboundMs) OR lastInboundMs < :ms"
    # A row written before issue 14 item 2 was listed on gsi2 (partition CONV): out of it on its next
    # message, which costs that row one index delete once; a row without them, nothing.
    return Update(
        "SET " + ", ".join(sets) + " REMOVE gsi2pk, gsi2sk ADD messageCount :one", values, condition, names
    )


def conversation_summary(
    message: NormalizedMessage, ms: int, *, mark: str | None
) -> tuple[Update, Update | None]:
    """Move the ``last*`` fields to ``message`` if it is newer than the one they describe (ties by
    id); with ``mark`` (``lastAnswered``) raise it too. The second update raises ``mark`` alone, for
    when the message is not the newest."""
    values, sets = _last_message(message, ms)
    if mark is not None:
        sets += [f"{mark}Ms = :ms", f"{mark}At = :at"]
    summary = Update(
        "SET " + ", ".join(sets), values, f"attribute_exists(pk) AND {_NEWER_THAN_LAST}", _LAST_NAMES
    )
    if mark is None:
        return summary, None
    only_mark = Update(
        f"SET {mark}Ms = :ms, {mark}At = :at",
        {":ms": ms, ":at": message.timestamp},
        f"attribute_exists(pk) AND (attribute_not_exists({mark}Ms) OR {mark}Ms < :ms)",
    )
    return summary, only_mark


def conversation_from_item(item: Mapping[str, Any]) -> Conversation:
    from inbox.storage.records import Conversation  # only the operator API reads conversations back

    fields = from_item(item)

    def text(name: str) -> str | None:
        return text_of(fields, name)

    def number(name: str) -> int | None:
        return number_of(fields, name)

    return Conversation(
        senderId=text("senderId") or conversation_sender(item),
        username=text("username"),
        messageCount=number("messageCount") or 0,
        lastMessageId=text("lastMessageId"),
        lastMessageAt=text("lastMessageAt"),
        lastText=text("lastText"),
        lastDirection=text("lastDirection"),
        lastStatus=text("lastStatus"),
        lastAttachmentCount=number("lastAttachmentCount") or 0,
        lastInboundMs=number("lastInboundMs"),
        lastAnsweredMs=number("lastAnsweredMs"),
    )
