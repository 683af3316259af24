"""The shapes we keep and return, separate from the raw bodies that come in.

Named tuples rather than pydantic models: the normalizer validates and coerces every field itself
(no raw input reaches these constructors), and the first pydantic model a process builds costs
~70 ms of cold start on the webhook path (measured with `make bench`); rather than frozen
dataclasses, whose generated methods cost every function's cold start 1-2 ms a class (a named tuple
~0.3 ms; docs/performance.md (a)). Pydantic stays where outside input is parsed into a model.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

Source = Literal["webhook", "poller", "operator"]
Direction = Literal["inbound", "outbound"]
ReactionAction = Literal["react", "unreact"]
ReplyStatus = Literal["sending", "sent", "failed", "unknown"]
STALE_SENDING = timedelta(seconds=60)
"""Longer than any invocation of the operator function (10 s): a reply ``sending`` this long was cut
off with its invocation, so its outcome is ``unknown`` (inbox.operator.replies)."""


def reply_status_seen(status: str | None, attempt: str | None, now: datetime) -> str | None:
    """A stored reply status as it reads now: ``sending`` since before STALE_SENDING is ``unknown``."""
    if status == "sending" and attempt is not None and older_than(attempt, now - STALE_SENDING):
        return "unknown"
    return status


def older_than(stamp: str, moment: datetime) -> bool:
    """An ISO-8601 time before ``moment`` (one that cannot be read counts as old)."""
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return True
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)) < moment


class Attachment(NamedTuple):
    type: str
    url: str

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "url": self.url}


class Reaction(NamedTuple):
    """Someone's reaction to a message (``messageId``), or its removal (``unreact``).

    Not a message: it is kept on the message it reacts to (one per person, the latest wins), so a
    redelivery changes nothing and nothing counts it as new.
    """

    messageId: str
    senderId: str
    action: ReactionAction
    reaction: str | None
    emoji: str | None
    timestamp: str

    def to_json(self) -> dict[str, Any]:
        return {
            "messageId": self.messageId,
            "senderId": self.senderId,
            "action": self.action,
            "reaction": self.reaction,
            "emoji": self.emoji,
            "timestamp": self.timestamp,
        }


class NormalizedMessage(NamedTuple):
    """One Instagram message, whatever body it came in (see DESIGN.md's table).

    Inbound messages come from the customer; an ``outbound`` one is an operator's reply sent through
    Chatrace (``source`` ``operator``), with its delivery ``status`` and, when it failed, ``error``.
    """

    messageId: str
    senderId: str
    timestamp: str
    format: str
    receivedAt: str
    username: str | None = None
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()
    source: Source = "webhook"
    direction: Direction = "inbound"
    status: ReplyStatus | None = None
    error: str | None = None
    claimedTimestamp: str | None = None
    """The body's own time when it was too far in the future to be the message's (see
    ``normalize.timestamps.MAX_FUTURE_MS``); ``timestamp`` is then the receive time."""
    reactions: tuple[Reaction, ...] = ()
    """The reactions kept on this message (as read from the table; never set by the normalizer)."""

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape (API answers and logs), in the documented field order."""
        return {
            "messageId": self.messageId,
            "senderId": self.senderId,
            "username": self.username,
            "text": self.text,
            "attachments": [attachment.to_json() for attachment in self.attachments],
            "timestamp": self.timestamp,
            "source": self.source,
            "format": self.format,
            "receivedAt": self.receivedAt,
            "direction": self.direction,
            **({"status": self.status, "error": self.error} if self.direction == "outbound" else {}),
            **({"claimedTimestamp": self.claimedTimestamp} if self.claimedTimestamp is not None else {}),
            **({"reactions": [r.to_json() for r in self.reactions]} if self.reactions else {}),
        }


class NormalizeResult(NamedTuple):
    """What the normalizer made of one body.

    ``format`` is None when no adapter recognized the body (it is then kept as unrecognized);
    a recognized body may still yield no message (echoes, reads, reactions → ``ignored``).
    """

    format: str | None
    messages: tuple[NormalizedMessage, ...] = ()
    unrecognizedParts: tuple[object, ...] = ()
    reactions: tuple[Reaction, ...] = ()
    """Reactions (and their removals) in the body: kept on their messages, never new messages."""

    @property
    def recognized(self) -> bool:
        return self.format is not None
