"""The one write path for messages, shared by the webhook and the poller (and replies, by id).

A message is stored once — by id (``attribute_not_exists`` on ``MSG#<messageId>``, see
:mod:`inbox.storage.table`), and by content across sources (:mod:`inbox.storage.matching`), counted
in its conversation in the same transaction (:mod:`inbox.storage.conversation_rows`).

What the store refuses (:func:`check_message`, :class:`~inbox.errors.RefusedMessage`, a 4xx for
that message alone): an id longer than :data:`MAX_ID_BYTES` of UTF-8, an inbound id in the
replies' ``reply:`` space, and any item DynamoDB answers with ``ValidationException`` — retrying
cannot fix those, so they never become StoreUnavailable (503, retried forever).
Outbound replies are stored by id alone: they never take part in content matching (a customer's
"ok" must never be taken for the operator's "ok"). Their outcome is written by the named methods
below (:meth:`MessageStore.retake_reply`, :meth:`MessageStore.record_reply_outcome`), so no caller
writes a DynamoDB expression itself.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from inbox.errors import RefusedMessage
from inbox.normalize.timestamps import to_epoch_ms
from inbox.storage import conversation_rows
from inbox.storage.dynamodb import Table, dynamodb_client
from inbox.storage.fingerprints import Fingerprint
from inbox.storage.items import Update, message_item, raw_item, reaction_update
from inbox.storage.matching import WriteOutcome, WriteResult, duplicate_by_id, write_matched
from inbox.storage.table import MAX_ID_BYTES, MAX_RAW_BYTES, REPLY_ID_PREFIX, message_key, sort_stamp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from inbox.models import NormalizedMessage, Reaction

__all__ = ["MessageStore", "ReactionOutcome", "WriteOutcome", "WriteResult", "check_message"]

ReactionOutcome = Literal["kept", "unchanged", "unknown message"]


class MessageStore:
    """DynamoDB access for messages and kept bodies; AWS errors become StoreUnavailable."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client or dynamodb_client()
        self._table = Table(table_name, self._client)

    def put_message(self, message: NormalizedMessage) -> WriteOutcome:
        """Store a message once — by id, and by content across sources; see :meth:`write_message`."""
        return self.write_message(message).outcome

    def write_message(self, message: NormalizedMessage) -> WriteResult:
        """The one write path: stored, or the duplicate of which record and why.

        Raises RefusedMessage for a message that can never be stored (see :func:`check_message`).
        """
        check_message(message)
        item = message_item(message)
        fingerprint = Fingerprint.of(message) if message.direction == "inbound" else None
        if fingerprint is None:  # a reply, or a timestamp that cannot be read back: by id alone
            stored = conversation_rows.put_counted(self._table, item, message)
            return WriteResult("stored") if stored else duplicate_by_id(message)
        return write_matched(self._table, message, item, fingerprint)

    def touch_conversation(self, message: NormalizedMessage, *, answered: bool = False) -> None:
        """After a reply's outcome is known: the conversation's ``last*`` fields and answered mark
        (best effort, never raises; a stored message's own transaction wrote the rest)."""
        conversation_rows.touch(self._table, message, answered=answered)

    def keep_reaction(self, reaction: Reaction) -> ReactionOutcome:
        """Keep a reaction (or its removal) on the message it reacts to: ``reaction:<senderId>``
        ``{action, at, reaction, emoji}``, written only when that person has no newer one there — so
        a redelivery, or an older reaction arriving late, changes nothing. A removal is kept as
        ``unreact`` (not deleted), so an older ``react`` redelivered after it cannot bring it back.
        No message item is created and no conversation is touched: a reaction is not a message."""
        ids = (reaction.messageId, reaction.senderId)
        if any(len(value.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES for value in ids):
            return "unknown message"  # no stored message or sender can have such an id
        stamp = sort_stamp(to_epoch_ms(reaction.timestamp) or 0)
        key = message_key(reaction.messageId)
        if self._table.update(key, reaction_update(reaction, stamp)) is not None:
            return "kept"
        return "unchanged" if self._table.get(key, projection="pk") else "unknown message"

    def retake_reply(self, message_id: str, *, attempt: str, stamp: str) -> bool:
        """A ``failed`` reply back to ``sending`` (attempt ``stamp``), only if nobody else did it first."""
        update = Update(
            "SET #status = :sending, receivedAt = :now REMOVE #error",
            {":sending": "sending", ":now": stamp, ":failed": "failed", ":attempt": attempt},
            "#status = :failed AND receivedAt = :attempt",
            {"#status": "status", "#error": "error"},
        )
        return self._table.update(message_key(message_id), update) is not None

    def record_reply_outcome(self, done: NormalizedMessage) -> bool:
        """Store a reply's outcome (``done.status``, ``done.error``), then its conversation's marks;
        False when the reply is gone. Raises StoreUnavailable."""
        values: dict[str, object] = {":status": done.status or ""}
        expression = "SET #status = :status"
        if done.error is None:
            expression += " REMOVE #error"
        else:
            expression += ", #error = :error"
            values[":error"] = done.error
        update = Update(expression, values, "attribute_exists(pk)", {"#status": "status", "#error": "error"})
        if self._table.update(message_key(done.messageId), update) is None:
            return False
        self.touch_conversation(done, answered=done.status == "sent")
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
        """Keep a body no adapter could read, so an operator can see it; returns its id.

        Keyed by the bytes' sha256, so a sender retrying the same broken body keeps one copy."""

        raw_id = hashlib.sha256(raw).hexdigest()
        item = raw_item(
            raw_id,
            raw,
            limit=MAX_RAW_BYTES,
            received_at=received_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            ttl=int((received_at + timedelta(days=ttl_days)).timestamp()),
            reason=reason,
            mediaType=media_type,
            requestId=request_id or None,
        )
        self._table.put(item, if_new=True)
        return raw_id


def check_message(message: NormalizedMessage) -> None:
    """Raise RefusedMessage for a message no write could store (module docstring); names the field."""
    for field, value in (("messageId", message.messageId), ("senderId", message.senderId)):
        size = len(value.encode("utf-8", "surrogatepass"))
        if size > MAX_ID_BYTES:
            raise RefusedMessage(f"{field}: {size} bytes of UTF-8; the limit is {MAX_ID_BYTES}", field=field)
    if message.direction == "inbound" and message.messageId.startswith(REPLY_ID_PREFIX):
        raise RefusedMessage(
            f'messageId: ids starting with "{REPLY_ID_PREFIX}" are reserved for replies', field="messageId"
        )
