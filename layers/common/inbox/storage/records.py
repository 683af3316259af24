"""The table's non-message records as Python values (messages are :class:`inbox.models.NormalizedMessage`).

They live here, below every module that reads or writes them, so the codecs in
:mod:`inbox.storage.items` can build them without an import pointing upwards; the modules that
own their behaviour (conversations, the poller's state) re-export them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from inbox.models import reply_status_seen
from inbox.normalize.timestamps import datetime_to_ms, format_ms
from inbox.storage.table import sort_stamp

REPLY_WINDOW = timedelta(hours=24)
TokenStatus = Literal["ok", "rejected", "unknown"]


@dataclass(frozen=True, slots=True, kw_only=True)
class KeptBody:
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Conversation:
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


@dataclass(frozen=True, slots=True)
class Backlog:
    """A catch-up in progress (see inbox.polling.round): every Instagram conversation whose last activity
    lies between ``done_from_ms`` and ``done_to_ms`` has had all its messages newer than
    ``floor_ms`` stored, and has not changed since."""

    floor_ms: int
    done_from_ms: int
    done_to_ms: int

    def covers(self, stamp: int | None) -> bool:
        return stamp is not None and self.done_from_ms <= stamp <= self.done_to_ms

    def to_log(self) -> dict[str, str]:
        return {"floor": format_ms(self.floor_ms), "doneFrom": format_ms(self.done_from_ms)}


@dataclass(frozen=True, slots=True)
class PollerStatus:
    """The poller's state item as read (see :mod:`inbox.polling.state`); defaults when it never ran."""

    token_status: TokenStatus = "unknown"  # noqa: S105 - a state, not a password
    token_checked_at: str | None = None
    token_detail: str | None = None
    cursor_ms: int | None = None
    last_round_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    lease_owner: str | None = None
    lease_expires_ms: int | None = None
    backlog: Backlog | None = None

    def to_json(self) -> dict[str, Any]:
        """What the operator API shows (no secret: the token's health, never the token)."""
        return {
            "token": {
                "status": self.token_status,
                "checkedAt": self.token_checked_at,
                "detail": self.token_detail,
            },
            "cursor": format_ms(self.cursor_ms) if self.cursor_ms is not None else None,
            "lastRoundAt": self.last_round_at,
            "catchingUpFrom": format_ms(self.backlog.floor_ms) if self.backlog is not None else None,
            "lastError": {"reason": self.last_error, "at": self.last_error_at} if self.last_error else None,
        }


@dataclass(frozen=True, slots=True)
class LoginCounterItem:
    """A failed-login counter item as stored (see :mod:`inbox.operator.login_throttle`)."""

    version: int
    failures: int
    last_failure_at: int
    locked_until: int
    trusted_until: int
