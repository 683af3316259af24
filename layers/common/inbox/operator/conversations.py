"""`GET /instagram/conversations`: one row per sender, newest activity first.

The rows are kept by the write path (:mod:`inbox.storage.store`: ``CONV#<senderId>``, counted in the same
transaction as each stored message, ``last*`` moved forward by a conditional update) and listed
with one Query on ``gsi2`` partition ``CONV`` — no Scan, no recount. ``unanswered`` is true while
the customer's last message is newer than the last reply Chatrace accepted. Instagram lets a
business answer only within 24 hours of the customer's last message: ``replyWindow`` says whether
that is still the case and until when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field

from inbox.http import Answer
from inbox.models import NormalizedMessage, reply_status_seen
from inbox.normalize.timestamps import datetime_to_ms
from inbox.paging import decode_cursor, encode_cursor
from inbox.storage.readers import Item, MessageReader, Page, message_from_item
from inbox.storage.store import (
    CONVERSATIONS_PARTITION,
    conversation_key,
    item_number,
    item_text,
    message_key,
    read_unavailable,
    sort_stamp,
)

REPLY_WINDOW = timedelta(hours=24)
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
LISTING = "conversations"


@dataclass(frozen=True, slots=True, kw_only=True)
class Conversation:
    senderId: str
    username: str | None
    messageCount: int
    lastMessageId: str | None
    lastMessageAt: str | None
    lastText: str | None
    lastDirection: str | None
    lastStatus: str | None
    lastAttachmentCount: int
    lastInboundMs: int | None
    lastAnsweredMs: int | None

    @property
    def unanswered(self) -> bool:
        return self.lastInboundMs is not None and self.lastInboundMs > (self.lastAnsweredMs or -1)

    def window_until(self) -> datetime | None:
        if self.lastInboundMs is None:
            return None
        return datetime.fromtimestamp(self.lastInboundMs / 1000, UTC) + REPLY_WINDOW

    def window_open(self, now: datetime) -> bool:
        until = self.window_until()
        return until is not None and now < until

    def reply_window(self, now: datetime) -> dict[str, Any]:
        until = self.window_until()
        return {
            "open": self.window_open(now),
            "until": sort_stamp(datetime_to_ms(until)) if until is not None else None,
        }

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "senderId": self.senderId,
            "username": self.username,
            "lastMessage": {
                "messageId": self.lastMessageId,
                "text": self.lastText,
                "timestamp": self.lastMessageAt,
                "direction": self.lastDirection,
                "attachments": self.lastAttachmentCount,
                "status": reply_status_seen(self.lastStatus, self.lastMessageAt, now),
            },
            "lastMessageAt": self.lastMessageAt,
            "messageCount": self.messageCount,
            "unanswered": self.unanswered,
            "replyWindow": self.reply_window(now),
        }


class ConversationReader(MessageReader):
    """The conversation rows, and one message by id (for replies)."""

    def conversations(self, *, limit: int, before: str | None) -> Page[Conversation]:
        items, last = self._newest_first(
            "gsi2",
            CONVERSATIONS_PARTITION,
            since=None,
            limit=limit,
            before=before,
            time_of=lambda i: str(i.get("lastMessageAt", {}).get("S", "")),
        )
        return Page([conversation_from_item(item) for item in items], last)

    def conversation(self, sender_id: str) -> Conversation | None:
        item = self._get(conversation_key(sender_id))
        return conversation_from_item(item) if item else None

    def message(self, message_id: str) -> NormalizedMessage | None:
        item = self._get(message_key(message_id))
        return message_from_item(item) if item else None

    def _get(self, key: dict[str, Any]) -> Item | None:
        try:
            found = self._client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise read_unavailable(exc) from exc
        item = found.get("Item")
        return cast(Item, item) if item else None


def conversation_from_item(item: Item) -> Conversation:
    def text(name: str) -> str | None:
        return item_text(item, name)

    def number(name: str) -> int | None:
        return item_number(item, name)

    return Conversation(
        senderId=text("senderId") or str(item["pk"]["S"]).removeprefix("CONV#"),
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
