"""The table's records the operator API reads, as Python values (messages are
:class:`inbox.models.NormalizedMessage`; the poller's state is :mod:`inbox.polling.state`'s).

They live here, below every module that reads or writes them, so the codecs in
:mod:`inbox.storage.items` and :mod:`inbox.storage.conversation_rows` can build them without an
import pointing upwards. Those codecs import them where they build one: the webhook, poller and
events functions never read these records, so their cold start does not build these classes; named
tuples rather than frozen dataclasses, whose generated methods cost the operator function's cold
start 1-2 ms a class (docs/performance.md (a)).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from inbox.models import reply_status_seen
from inbox.normalize.timestamps import datetime_to_ms
from inbox.storage.table import sort_stamp

REPLY_WINDOW = timedelta(hours=24)


class KeptBody(NamedTuple):
    """A body the webhook kept because no message came of it (see ``MessageStore.keep_raw``)."""

    id: str
    receivedAt: str
    reason: str
    mediaType: str
    size: int
    truncated: bool
    raw: bytes
    requestId: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Text when the bytes are UTF-8 (``body``), else base64 (``bodyBase64``)."""
        try:
            text: str | None = self.raw.decode("utf-8")
            encoded = None
        except UnicodeDecodeError:
            text, encoded = None, base64.b64encode(self.raw).decode("ascii")
        return {
            "id": self.id,
            "receivedAt": self.receivedAt,
            "reason": self.reason,
            "mediaType": self.mediaType,
            "size": self.size,
            "truncated": self.truncated,
            "body": text,
            "bodyBase64": encoded,
            "requestId": self.requestId,
        }


class Conversation(NamedTuple):
    """One sender's row (see :mod:`inbox.operator.conversations`)."""

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


class LoginCounterItem(NamedTuple):
    """A failed-login counter item as stored (see :mod:`inbox.operator.login_throttle`)."""

    version: int
    failures: int
    last_failure_at: int
    locked_until: int
    trusted_until: int
