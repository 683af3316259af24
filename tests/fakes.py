"""An in-memory store for unit tests: :class:`inbox.storage.protocol.Store` without moto.

It keeps the rules the callers rely on — a message stored once by id (the second write answers
``duplicate`` of that id), a conversation's exact message count, reactions kept only when newer,
the reply claim/outcome rules of ``retake_reply`` and ``record_reply_outcome``, kept bodies by
sha256 — and ``tests/integration/test_store_contract.py`` runs the same cases on it and on the real
MessageStore in moto, so it cannot drift. Not modelled: content matching across sources (the
real store's fingerprints; a webhook copy and a polled copy with different ids are two messages
here), the transaction's retries and StoreUnavailable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from inbox.models import NormalizedMessage, Reaction
from inbox.normalize.timestamps import to_epoch_ms
from inbox.storage.matching import WriteOutcome, WriteResult
from inbox.storage.store import ReactionOutcome, check_message
from inbox.storage.table import MAX_ID_BYTES, REPLY_ID_PREFIX, sort_stamp


@dataclass(frozen=True, slots=True)
class KeptRaw:
    raw: bytes
    reason: str
    media_type: str
    received_at: datetime
    request_id: str | None


class FakeStore:
    """Dicts in place of the table; every write method of the Store protocol, same answers."""

    def __init__(self) -> None:
        self.messages: dict[str, NormalizedMessage] = {}
        self.counts: dict[str, int] = {}
        self.answered: set[str] = set()
        self.reactions: dict[tuple[str, str], tuple[str, Reaction]] = {}
        self.kept: dict[str, KeptRaw] = {}

    def put_message(self, message: NormalizedMessage) -> WriteOutcome:
        return self.write_message(message).outcome

    def write_message(self, message: NormalizedMessage) -> WriteResult:
        check_message(message)
        if message.messageId in self.messages:
            return WriteResult("duplicate", message.messageId, "id")
        self.messages[message.messageId] = message
        self.counts[message.senderId] = self.counts.get(message.senderId, 0) + 1
        return WriteResult("stored")

    def keep_reaction(self, reaction: Reaction) -> ReactionOutcome:
        ids = (reaction.messageId, reaction.senderId)
        if any(len(value.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES for value in ids):
            return "unknown message"
        if reaction.messageId not in self.messages:
            return "unknown message"
        stamp = sort_stamp(to_epoch_ms(reaction.timestamp) or 0)
        key = (reaction.messageId, reaction.senderId)
        held = self.reactions.get(key)
        if held is not None and not held[0] < stamp:
            return "unchanged"
        self.reactions[key] = (stamp, reaction)
        return "kept"

    def retake_reply(self, message_id: str, *, attempt: str, stamp: str) -> bool:
        held = self.messages.get(message_id)
        if held is None or held.status != "failed" or held.receivedAt != attempt:
            return False
        self.messages[message_id] = held._replace(status="sending", receivedAt=stamp, error=None)
        return True

    def record_reply_outcome(self, done: NormalizedMessage) -> bool:
        held = self.messages.get(done.messageId)
        if held is None:
            return False
        self.messages[done.messageId] = held._replace(status=done.status, error=done.error)
        if done.status == "sent":
            self.answered.add(done.senderId)
        return True

    def keep_raw(
        self,
        raw: bytes,
        *,
        reason: str,
        media_type: str,
        received_at: datetime,
        ttl_days: int,
        request_id: str | None = None,
    ) -> str:
        raw_id = hashlib.sha256(raw).hexdigest()
        self.kept.setdefault(raw_id, KeptRaw(raw, reason, media_type, received_at, request_id or None))
        return raw_id


def sending_reply(key: str, sender: str = "s1", *, at: str = "2026-12-02T10:05:00Z") -> NormalizedMessage:
    """A reply as its claim writes it before Chatrace answers: outbound, ``sending``, attempted ``at``."""
    return NormalizedMessage(
        messageId=REPLY_ID_PREFIX + key,
        senderId=sender,
        text="on our way",
        timestamp=at,
        source="operator",
        format="reply",
        receivedAt=at,
        direction="outbound",
        status="sending",
    )
