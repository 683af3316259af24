"""`GET /instagram/conversations`: one row per sender, newest activity first.

The rows are kept by the write path (:mod:`inbox.storage.conversation_rows`: ``CONV#<senderId>``,
counted in the same transaction as each stored message) but are in no index: a position by last
activity would move with every message, a delete and a put in the index — 2 of a message's write
units (docs/performance.md (e)). A page instead walks the messages' own newest-first index (``gsi2``
partition ``MSG``) and takes each sender once, where it is first met — at its newest message, so in
order of last activity (an operator's reply is a message too) — and reads those senders' rows with
BatchGetItem. A sender without a row is not listed.

Paging: the cursor is the walk's position (``<timestamp>#<messageId>``) where a page stopped; the
next page walks strictly before it and skips a sender that has a message at or after it (met, and
listed, on an earlier page; or moved up since, to the first page). The row says where the sender's
newest message is; only when that is in the cursor's own second (stored times with and without
milliseconds do not sort as time within one second) is the sender's own index asked (one Query).
The walk is bounded (:data:`MAX_WALK` messages a request: a chatty sender's older messages are
walked past, not listed), so a page may hold fewer than ``limit`` rows — even none — with a
``nextCursor``: there is more until ``nextCursor`` is null. ``unanswered`` is true while the
customer's last message is newer than the last reply Chatrace accepted. Instagram lets a business
answer only within 24 hours of the customer's last message: ``replyWindow`` says whether that is
still the case and until when.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from inbox.http import Answer
from inbox.models import NormalizedMessage
from inbox.paging import decode_cursor, encode_cursor
from inbox.storage.conversation_rows import conversation_from_item
from inbox.storage.items import message_from_item
from inbox.storage.readers import MessageReader, Page
from inbox.storage.records import Conversation
from inbox.storage.table import (
    BY_SENDER,
    MESSAGES_PARTITION,
    NEWEST,
    Item,
    conversation_key,
    message_key,
    message_sort_key,
    sender_partition,
    sort_key_of,
)

__all__ = ["Conversation", "ConversationReader", "list_conversations"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
LISTING = "conversations"
MAX_WALK = 1000
"""The most messages one request walks (about 600 KB of typical messages: 75 read units)."""
WALK_QUERY_ITEMS = 400
"""The most messages one Query of the walk asks for: the first asks for ``limit + 1`` (each sender
needs one), each next one twice as many, so a page reads about what it needs (a Query is billed by
the size of what it read)."""
ROWS_AT_ONCE = 10
"""The fewest senders whose rows one BatchGetItem reads (a row costs a read unit, a call a round trip)."""
_WALKED = "senderId, gsi2sk"
"""All the walk reads of a message."""
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z")
_SECOND = len("2024-11-13T12:00:00")

Met = tuple[Conversation, str]
"""A listed conversation and the walk's position where it was met."""


class ConversationReader(MessageReader):
    """The conversations, newest activity first; one row or one message by id (for replies)."""

    def conversations(self, *, limit: int, before: str | None) -> Page[Conversation]:
        """At most ``limit`` conversations met strictly before ``before``, and where to go on (module
        docstring): the position of the last one when another was found, the end of a walk cut short
        by :data:`MAX_WALK`, or None when the walk reached the oldest message."""
        met: list[Met] = []
        seen: set[str] = set()
        pending: list[tuple[str, str]] = []  # senders met first, their rows not read yet
        walked = queries = 0
        position = before

        def next_query() -> int:
            nonlocal queries
            queries += 1
            grown: int = (limit + 1) << (queries - 1)
            return min(grown, WALK_QUERY_ITEMS, MAX_WALK - walked)

        for items in self.pages(
            NEWEST, MESSAGES_PARTITION, before=before, limit=next_query, projection=_WALKED
        ):
            for item in items:
                sender = str(item.get("senderId", {}).get("S", ""))
                if not sender or sender in seen:
                    continue
                seen.add(sender)
                pending.append((sender, sort_key_of(item, NEWEST)))
                if len(pending) > max(
                    limit - len(met), ROWS_AT_ONCE - 1
                ):  # the page, and whether there is more
                    met += self._listable(pending, before)
                    pending = []
                    if len(met) > limit:
                        return Page([row for row, _ in met[:limit]], met[limit - 1][1])
            walked += len(items)
            if items:
                position = sort_key_of(items[-1], NEWEST)
            if walked >= MAX_WALK:
                break
        else:
            position = None  # the walk reached the oldest message
        met += self._listable(pending, before)
        if len(met) > limit:
            return Page([row for row, _ in met[:limit]], met[limit - 1][1])
        return Page([row for row, _ in met], position)

    def _listable(self, pending: list[tuple[str, str]], before: str | None) -> list[Met]:
        """The rows of ``pending`` senders (in walk order) not met at or after ``before``."""
        if not pending:
            return []
        keys = [conversation_key(sender) for sender, _ in pending]
        # After a cursor a stale row could list a sender twice; the first page has nothing to skip.
        rows = {
            row.senderId: row
            for row in map(conversation_from_item, self._table.batch_get(keys, consistent=before is not None))
        }
        listable = []
        for sender, position in pending:
            row = rows.get(sender)
            if row is not None and (before is None or not self._met_at_or_after(row, before)):
                listable.append((row, position))
        return listable

    def _met_at_or_after(self, row: Conversation, cursor: str) -> bool:
        """Whether the sender has a message at or after ``cursor`` in the walk's order."""
        at, message_id = row.lastMessageAt, row.lastMessageId
        if at and message_id and _STAMP.fullmatch(at) and at[:_SECOND] != cursor[:_SECOND]:
            return message_sort_key(at, message_id) >= cursor
        found: list[Item] = next(
            self.pages(
                BY_SENDER,
                sender_partition(row.senderId),
                before=None,
                floor=cursor,
                limit=lambda: 1,
                projection="pk",
            ),
            [],
        )
        return bool(found)

    def conversation(self, sender_id: str) -> Conversation | None:
        item = self._table.get(conversation_key(sender_id), consistent=True)
        return conversation_from_item(item) if item else None

    def message(self, message_id: str) -> NormalizedMessage | None:
        item = self._table.get(message_key(message_id), consistent=True)
        return message_from_item(item) if item else None


class ConversationsQuery(BaseModel):
    # Built when its route first validates a request, not at the cold start (issue 14).
    model_config = ConfigDict(extra="forbid", defer_build=True)

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, min_length=1, max_length=4096)


def list_conversations(params: ConversationsQuery, reader: ConversationReader, *, now: datetime) -> Answer:
    before = decode_cursor(params.cursor, listing=LISTING) if params.cursor else None
    page = reader.conversations(limit=params.limit, before=before)
    return Answer(
        200,
        {
            "conversations": [conversation.to_json(now) for conversation in page.items],
            "count": len(page.items),
            "nextCursor": encode_cursor(LISTING, page.last_sort_key) if page.last_sort_key else None,
        },
    )
