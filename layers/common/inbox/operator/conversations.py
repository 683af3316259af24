"""`GET /instagram/conversations`: one row per sender, newest activity first.

The rows are kept by the write path (:mod:`inbox.storage.store`: ``CONV#<senderId>``, counted in the same
transaction as each stored message, ``last*`` moved forward by a conditional update) and listed
with one Query on ``gsi2`` partition ``CONV`` — no Scan, no recount. ``unanswered`` is true while
the customer's last message is newer than the last reply Chatrace accepted. Instagram lets a
business answer only within 24 hours of the customer's last message: ``replyWindow`` says whether
that is still the case and until when.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from inbox.http import Answer
from inbox.models import NormalizedMessage
from inbox.paging import decode_cursor, encode_cursor
from inbox.storage.conversation_rows import conversation_from_item
from inbox.storage.items import message_from_item
from inbox.storage.readers import MessageReader, Page
from inbox.storage.records import Conversation
from inbox.storage.table import CONVERSATIONS_PARTITION, NEWEST, conversation_key, message_key

__all__ = ["Conversation", "ConversationReader", "list_conversations"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
LISTING = "conversations"


class ConversationReader(MessageReader):
    """The conversation rows, and one message by id (for replies)."""

    def conversations(self, *, limit: int, before: str | None) -> Page[Conversation]:
        return self.newest_first(
            NEWEST,
            CONVERSATIONS_PARTITION,
            since=None,
            limit=limit,
            before=before,
            decode=conversation_from_item,
            time_of=lambda c: c.lastMessageAt or "",
        )

    def conversation(self, sender_id: str) -> Conversation | None:
        item = self._table.get(conversation_key(sender_id), consistent=True)
        return conversation_from_item(item) if item else None

    def message(self, message_id: str) -> NormalizedMessage | None:
        item = self._table.get(message_key(message_id), consistent=True)
        return message_from_item(item) if item else None


class ConversationsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

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
