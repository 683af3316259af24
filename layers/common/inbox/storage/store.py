r"""The one write path for messages, shared by the webhook and the poller.

Table design (one table, on demand; see docs/architecture.md):

- message: ``pk = MSG#<messageId>``, ``sk = MSG``, written with ``attribute_not_exists(pk)`` so a
  redelivery — or the same message seen by webhook and poller — is stored once, also when two
  writers race (DynamoDB decides, not a read-then-write).
- per sender: GSI ``gsi1`` (``SENDER#<senderId>``, ``<timestamp>#<messageId>``).
- newest first: GSI ``gsi2`` (``MSG``, ``<timestamp>#<messageId>``): one partition for all
  messages, so `GET /instagram/messages` is one Query from any point in time. Per-day partitions
  (``DAY#<date>``) would spread nothing — all of today's writes hit today's key either way — but
  would cost a Query per day walked, and a message dated years back (the seed's own example is
  2024-11-13) would be out of reach of any bounded walk.
- unrecognized or malformed bodies: ``pk = RAW#<sha256 of the bytes>`` — keyed by content rather
  than a random uuid, so a sender retrying the same broken body keeps one copy — on their own
  partition ``RAW`` of ``gsi2`` (listing messages never has to filter them out), expiring via ``ttl``.
- content fingerprints: ``pk = FP#<sha256 of sender + content>``, ``sk = <yyyy-mm-ddThh>`` (see
  :mod:`inbox.storage.fingerprints`), so a message seen by the webhook with a derived id and by the poller
  (or Meta) with its real id is stored once.

How a message is written (:meth:`MessageStore.write_message`), race-free without a read-then-write
(the cost of each write, and what a crash between two of them leaves, is argued in
docs/performance.md (e)):

1. The usual case — no record of this content in its hour — is two writes. One conditional PutItem
   *claims* the content: the hour's fingerprint item, created with ``attribute_not_exists``. Then
   one TransactWriteItems stores the message (``attribute_not_exists``) with its conversation's
   count (below): the only transaction, because a count is exact only if it moves with the message.
   A redelivery fails the claim, reads it (step 2), finds its own id and answers ``duplicate``
   (after storing the message if the claim's writer died before doing so). Near the turn of an
   hour the ±90 s window spans two items: the claim, the neighbouring hour's check and the message
   are then one transaction.
2. When a fingerprint item is already there, the store reads the window's items (consistent
   reads) and decides: this id already accounted for → ``duplicate``; an unpaired record of the
   other kind (derived ↔ real) within ±90 s → pair with it (mark it, and put the real id on a
   derived record as ``realMessageId``) and answer ``duplicate``; otherwise store the message and
   append its entry. Every such write is one transaction conditioned on the version (``ver``) of
   *each* item it read, so a concurrent writer that changed any of them makes it fail and the
   store re-reads and decides again (optimistic concurrency; DynamoDB serializes the
   transactions). The first writer wins and keeps its ``source``. A claim whose message is not
   there (yet) is waited for (:data:`_IN_FLIGHT_WAITS`, its writer is between its two writes); if
   it still is not, its writer died: this message is stored instead and the claim marked as paired
   with it, so a late retry of the dead one stays a duplicate.

Failed-login counters (see :mod:`inbox.operator.login_throttle`): ``pk = LOGIN#address#<ip or /64>`` and
``LOGIN#account#<hash of the email>``, ``sk = LOGIN``, expiring via ``ttl``; never indexed.

Conversations (one row per sender, see :mod:`inbox.operator.conversations`): ``pk = CONV#<senderId>``,
``sk = CONV``, listed newest activity first on ``gsi2`` partition ``CONV`` with
``gsi2sk = <last activity, always with .fff>#<senderId>`` (the fixed width keeps string order equal
to time order; message times are stored with or without milliseconds). The transaction that
*stores* a message also writes its conversation once: ``ADD``\ s one to ``messageCount`` — so the
count is exact, a duplicate never counts and nothing is ever recounted — and, when the message is
newer than the row's last one (``lastMessageMs``, ties broken by id; the usual case), sets the
``last*`` fields, the listing position and, for an inbound message, the reply window
(``lastInboundMs``/``lastInboundAt``). When only that condition fails (an older message arriving
late) the transaction runs again with the count and the window (if the message is newer than the
window), then with the count alone. So a stored message is always counted, shown when it is the
newest, and a stored customer message always has its window. :meth:`MessageStore.touch_conversation`
moves the row after a reply Chatrace accepted (its status and ``lastAnsweredMs``).

What the store refuses (:func:`check_message`, :class:`~inbox.errors.RefusedMessage`, a 4xx for
that message alone): an id longer than :data:`MAX_ID_BYTES` of UTF-8, an inbound id in the
replies' ``reply:`` space, and any item DynamoDB answers with ``ValidationException`` — retrying
cannot fix those, so they never become StoreUnavailable (503, retried forever).
Outbound replies are stored by id alone: they never take part in content matching (a customer's
"ok" must never be taken for the operator's "ok").
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from inbox.errors import RefusedMessage, StoreUnavailable
from inbox.normalize.timestamps import to_epoch_ms
from inbox.storage.fingerprints import MAX_ENTRIES, TTL_DAYS, Entry, Fingerprint, bucket_of, partner, sighting

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from inbox.models import NormalizedMessage, Reaction

WriteOutcome = Literal["stored", "duplicate"]


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What :meth:`MessageStore.write_message` did: ``duplicate_of`` names the record that was kept."""

    outcome: WriteOutcome
    duplicate_of: str | None = None
    matched_on: Literal["id", "content"] | None = None


# gsi2's partition for messages, kept bodies and conversations (see the module docstring).
MESSAGES_PARTITION = "MSG"
RAW_PARTITION = "RAW"
CONVERSATIONS_PARTITION = "CONV"

MAX_ID_BYTES = 512
"""The most UTF-8 bytes a ``messageId`` or ``senderId`` may take. They are parts of keys: ``MSG#<id>``
and ``SENDER#<senderId>`` (partition keys, at most 2048 bytes) and ``<timestamp>#<id>`` /
``<stamp>#<senderId>`` (gsi sort keys, at most 1024 bytes, the timestamp up to 24). 512 leaves room,
and is far above any real id (Meta's ``mid`` is about 100 ASCII characters)."""

REACTION_PREFIX = "reaction:"
"""A reaction is kept on its message as the attribute ``reaction:<senderId>`` (one per person)."""
ReactionOutcome = Literal["kept", "unchanged", "unknown message"]

REPLY_ID_PREFIX = "reply:"
"""Ids of operator replies (:mod:`inbox.operator.replies`); an inbound message may not take one."""

# A DynamoDB item may hold 400 KB; keep the raw body well inside that.
MAX_RAW_BYTES = 300 * 1024

_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 3, "mode": "standard"})


@cache
def dynamodb_client() -> DynamoDBClient:
    """One client per container (clients are thread-safe and costly to build)."""
    return boto3.client("dynamodb", config=_CLIENT_CONFIG)


class MessageStore:
    """DynamoDB access for messages and kept bodies; AWS errors become StoreUnavailable."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client or dynamodb_client()

    def put_message(self, message: NormalizedMessage) -> WriteOutcome:
        """Store a message once — by id, and by content across sources; see :meth:`write_message`."""
        return self.write_message(message).outcome

    def write_message(self, message: NormalizedMessage) -> WriteResult:
        """The one write path (module docstring): stored, or the duplicate of which record and why.

        Raises RefusedMessage for a message that can never be stored (see :func:`check_message`).
        """
        check_message(message)
        return self._write(message)

    def _write(self, message: NormalizedMessage) -> WriteResult:
        item = _message_item(message)
        fingerprint = Fingerprint.of(message) if message.direction == "inbound" else None
        if fingerprint is None:  # a reply, or a timestamp that cannot be read back: by id alone
            return WriteResult("stored") if self._put_message(item) else _duplicate_by_id(message)
        if fingerprint.window == (fingerprint.bucket,):
            # The usual case: claim the content's hour with one conditional put, then store.
            entries = [fingerprint.entry()]
            claim = self._put_fingerprint(fingerprint, fingerprint.bucket, entries, version=None)
            if self._put_if_new(claim["Put"]["Item"]):
                return WriteResult("stored") if self._put_message(item) else _duplicate_by_id(message)
            return self._write_contended(message, item, fingerprint)
        # Near the turn of an hour the claim spans two items: one transaction checks both.
        actions = [
            self._put_new(item),
            self._put_fingerprint(fingerprint, fingerprint.bucket, [fingerprint.entry()], version=None),
            *(
                self._check_version(fingerprint.key, b, None)
                for b in fingerprint.window
                if b != fingerprint.bucket
            ),
        ]
        reasons = self._transact_counted(actions, item)
        if reasons is None:
            return WriteResult("stored")
        if reasons[0] == _CONDITION_FAILED:
            return _duplicate_by_id(message)
        return self._write_contended(message, item, fingerprint)

    def _write_contended(
        self, message: NormalizedMessage, item: dict[str, Any], fingerprint: Fingerprint
    ) -> WriteResult:
        """Step 2 of the module docstring: read the window, decide, write conditioned on what was read."""
        vanished: set[str] = set()
        taken_over: Entry | None = None
        waits = list(_IN_FLIGHT_WAITS)
        attempt = 0
        while attempt < _MAX_ATTEMPTS:
            if attempt:
                time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - jitter, not a secret
            attempt += 1
            buckets = {b: self._read_bucket(fingerprint.key, b) for b in fingerprint.window}
            entries = [entry for _, bucket_entries in buckets.values() for entry in bucket_entries]
            seen = sighting(entries, message.messageId)
            if seen is not None:
                on_id = seen.message_id == message.messageId
                # Its own claim, with no message: left by an attempt that died before storing.
                unpaired = on_id and seen.matched_by is None
                if unpaired and not self._exists(message_key(message.messageId)) and self._put_message(item):
                    return WriteResult("stored")
                return WriteResult("duplicate", seen.message_id, "id" if on_id else "content")
            found = partner(entries, fingerprint, exclude=frozenset(vanished))
            if found is not None:
                result = self._pair(message, fingerprint, found, buckets)
                if result == "vanished":
                    if waits:  # its writer may be between its claim and its message: give it time
                        time.sleep(waits.pop(0))
                        attempt -= 1
                        continue
                    vanished.add(found.message_id)
                    taken_over = taken_over or found
                    continue
            else:
                result = self._append(item, fingerprint, buckets, taken_over=taken_over)
            if result in ("stored", "duplicate"):
                return WriteResult("stored") if result == "stored" else _paired(found)
            if result == "exists":
                return _duplicate_by_id(message)
        raise StoreUnavailable(
            f"the content index kept changing under {_MAX_ATTEMPTS} attempts", code="FingerprintContention"
        )

    def _pair(
        self,
        message: NormalizedMessage,
        fingerprint: Fingerprint,
        found: Entry,
        buckets: dict[str, tuple[int | None, list[Entry]]],
    ) -> str:
        """Mark ``found`` as seen again under this message's id; the message itself is not stored."""
        bucket = bucket_of(found.timestamp_ms)
        version, entries = buckets[bucket]
        key = message_key(found.message_id)
        if found.derived:  # the kept record has a derived id: give it the real one
            counterpart: dict[str, Any] = {
                "Update": {
                    "TableName": self.table_name,
                    "Key": key,
                    "UpdateExpression": "SET realMessageId = :real",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":real": {"S": message.messageId}},
                }
            }
        else:
            counterpart = {
                "ConditionCheck": {
                    "TableName": self.table_name,
                    "Key": key,
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
        updated = [e.paired(message.messageId) if e == found else e for e in entries]
        reasons = self._transact(
            [
                {
                    "ConditionCheck": {
                        "TableName": self.table_name,
                        "Key": message_key(message.messageId),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                self._put_fingerprint(fingerprint, bucket, updated, version=version),
                counterpart,
            ]
        )
        if reasons is None:
            return "duplicate"
        if reasons[0] == _CONDITION_FAILED:
            return "exists"
        if reasons[2] == _CONDITION_FAILED:
            return "vanished"  # the kept record was deleted since: do not pair with it
        return "retry"

    def _append(
        self,
        item: dict[str, Any],
        fingerprint: Fingerprint,
        buckets: dict[str, tuple[int | None, list[Entry]]],
        *,
        taken_over: Entry | None = None,
    ) -> str:
        """Store the message and add it to its hour's entries, if no item of the window changed.

        ``taken_over``: a claim of the other kind whose message never came (its writer died between
        its two writes); it is marked as paired with this message, so a retry of it stays a duplicate.
        """
        version, entries = buckets[fingerprint.bucket]
        if len(entries) >= MAX_ENTRIES:
            return "stored" if self._put_message(item) else "exists"
        if taken_over is not None:
            entries = [e.paired(fingerprint.message_id) if e == taken_over else e for e in entries]
        others = [
            self._check_version(fingerprint.key, b, buckets[b][0])
            for b in fingerprint.window
            if b != fingerprint.bucket
        ]
        reasons = self._transact_counted(
            [
                self._put_new(item),
                self._put_fingerprint(
                    fingerprint, fingerprint.bucket, [*entries, fingerprint.entry()], version=version
                ),
                *others,
            ],
            item,
        )
        if reasons is None:
            return "stored"
        return "exists" if reasons[0] == _CONDITION_FAILED else "retry"

    def _exists(self, key: dict[str, Any]) -> bool:
        try:
            found = self._client.get_item(
                TableName=self.table_name, Key=key, ProjectionExpression="pk", ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise read_unavailable(exc) from exc
        return "Item" in found

    def _read_bucket(self, key: str, bucket: str) -> tuple[int | None, list[Entry]]:
        try:
            found = self._client.get_item(
                TableName=self.table_name,
                Key={"pk": {"S": key}, "sk": {"S": bucket}},
                ConsistentRead=True,
            ).get("Item")
        except (ClientError, BotoCoreError) as exc:
            raise read_unavailable(exc) from exc
        if not found:
            return None, []
        return int(found["ver"]["N"]), [_entry_of(value) for value in found.get("entries", {}).get("L", [])]

    def _put_message(self, item: dict[str, Any]) -> bool:
        """Store a message by id alone, counted in its conversation in the same transaction."""
        for attempt in range(_MAX_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - jitter, not a secret
            reasons = self._transact_counted([self._put_new(item)], item)
            if reasons is None:
                return True
            if reasons[0] == _CONDITION_FAILED:
                return False
        raise StoreUnavailable(
            f"the conversation kept changing under {_MAX_ATTEMPTS} attempts", code="ConversationContention"
        )

    def _transact_counted(self, actions: list[dict[str, Any]], item: dict[str, Any]) -> list[str] | None:
        """``actions`` (which store ``item``) plus its conversation's one write; the cancellation codes
        of ``actions`` alone, as ``_transact``.

        The conversation's write is tried as the newest message first (count, ``last*``, listing
        position and, for an inbound message, the reply window), conditioned on being newer; when only
        that condition failed the message is older than what the row shows, and the same actions run
        again with the count and the window (an inbound message newer than the window), then the
        count alone.
        """
        inbound = item_text(item, "direction") == "inbound"
        modes: tuple[_ConversationWrite, ...] = _INBOUND_MODES if inbound else _OUTBOUND_MODES
        reasons: list[str] | None = None
        for mode in modes:
            reasons = self._transact([*actions, self._count_in_conversation(item, mode)])
            older = reasons is not None and reasons[-1] == _CONDITION_FAILED
            if not (older and all(reason == "None" for reason in (reasons or [])[:-1])):
                break
        return None if reasons is None else reasons[:-1]

    def _count_in_conversation(self, item: dict[str, Any], mode: _ConversationWrite) -> dict[str, Any]:
        """Transaction action: one more message in the sender's conversation (created on the first).

        ``newest``: also this message as the conversation's last one (and its listing position), and
        for an inbound message the reply window, on condition it is newer than the last one (ties
        broken by id). ``window``: the count and the reply window, on condition the message is newer
        than the window. ``count``: the count alone.
        """
        sender = item["senderId"]["S"]
        ms = _epoch_ms(item_text(item, "timestamp"), item_text(item, "receivedAt"))
        inbound = item_text(item, "direction") == "inbound"
        values: dict[str, Any] = {
            ":one": {"N": "1"},
            ":kind": {"S": "conversation"},
            ":sender": {"S": sender},
            ":part": {"S": CONVERSATIONS_PARTITION},
            ":sk": {"S": f"{sort_stamp(ms or 0)}#{sender}"},
        }
        names = {"#kind": "kind"}
        sets = ["#kind = :kind", "senderId = :sender", "gsi2pk = :part"]
        update: dict[str, Any] = {"TableName": self.table_name, "Key": conversation_key(sender)}
        if mode == "newest" and ms is not None:
            values |= {
                ":ms": {"N": str(ms)},
                ":at": item["timestamp"],
                ":id": item["messageId"],
                ":dir": item["direction"],
                ":text": item.get("text", {"NULL": True}),
                ":count": {"N": str(len(item["attachments"]["L"]))},
                ":status": item.get("status", {"NULL": True}),
            }
            names |= {"#text": "lastText", "#dir": "lastDirection", "#status": "lastStatus"}
            sets += [
                "gsi2sk = :sk",
                "lastMessageMs = :ms",
                "lastMessageAt = :at",
                "lastMessageId = :id",
                "#dir = :dir",
                "#text = :text",
                "lastAttachmentCount = :count",
                "#status = :status",
            ]
            condition = (
                "(attribute_not_exists(lastMessageMs) OR lastMessageMs < :ms"
                " OR (lastMessageMs = :ms AND lastMessageId <= :id))"
            )
            if inbound:
                sets += ["lastInboundMs = :ms", "lastInboundAt = :at"]
                condition += " AND (attribute_not_exists(lastInboundMs) OR lastInboundMs <= :ms)"
                if "username" in item:
                    sets.append("username = :username")
                    values[":username"] = item["username"]
            update["ConditionExpression"] = condition
        else:
            sets.append("gsi2sk = if_not_exists(gsi2sk, :sk)")
            if mode == "window" and ms is not None:
                values |= {":ms": {"N": str(ms)}, ":at": item["timestamp"]}
                sets += ["lastInboundMs = :ms", "lastInboundAt = :at"]
                update["ConditionExpression"] = "attribute_not_exists(lastInboundMs) OR lastInboundMs < :ms"
        update["UpdateExpression"] = "SET " + ", ".join(sets) + " ADD messageCount :one"
        update["ExpressionAttributeNames"] = names
        update["ExpressionAttributeValues"] = values
        return {"Update": update}

    def touch_conversation(self, message: NormalizedMessage, *, answered: bool = False) -> None:
        """After a reply's outcome is known (``answered``: Chatrace accepted it): move the
        conversation's ``last*`` fields (its status) forward if this message is still the newest, and
        raise its answered mark. A stored message's own transaction already wrote the rest.

        Conditional UpdateItems, so concurrent writers in any order keep the newest. A failure here
        is logged, never raised: the message is stored and counted, the next one repairs the rest.
        """
        ms = _epoch_ms(message.timestamp, message.receivedAt)
        if ms is None:
            return
        key = conversation_key(message.senderId)
        mark = "lastAnswered" if answered and message.direction == "outbound" else None
        names = {"#text": "lastText", "#dir": "lastDirection", "#status": "lastStatus"}
        values: dict[str, Any] = {
            ":ms": {"N": str(ms)},
            ":at": {"S": message.timestamp},
            ":id": {"S": message.messageId},
            ":dir": {"S": message.direction},
            ":sk": {"S": f"{sort_stamp(ms)}#{message.senderId}"},
            ":text": {"S": message.text} if message.text is not None else {"NULL": True},
            ":count": {"N": str(len(message.attachments))},
            ":status": {"S": message.status} if message.status is not None else {"NULL": True},
        }
        sets = [
            "lastMessageMs = :ms",
            "lastMessageAt = :at",
            "lastMessageId = :id",
            "#dir = :dir",
            "gsi2sk = :sk",
            "#text = :text",
            "lastAttachmentCount = :count",
            "#status = :status",
        ]
        if message.username is not None and message.direction == "inbound":
            sets.append("username = :username")
            values[":username"] = {"S": message.username}
        if mark is not None:
            sets += [f"{mark}Ms = :ms", f"{mark}At = :at"]
        newer = (
            "attribute_exists(pk) AND (attribute_not_exists(lastMessageMs) OR lastMessageMs < :ms"
            " OR (lastMessageMs = :ms AND lastMessageId <= :id))"
        )
        if self._update_if(key, "SET " + ", ".join(sets), newer, values, names) or mark is None:
            return
        self._update_if(
            key,
            f"SET {mark}Ms = :ms, {mark}At = :at",
            f"attribute_exists(pk) AND (attribute_not_exists({mark}Ms) OR {mark}Ms < :ms)",
            {":ms": values[":ms"], ":at": values[":at"]},
            None,
        )

    def _update_if(
        self,
        key: dict[str, Any],
        expression: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None,
    ) -> bool:
        """Best effort (the conversation summary): a failed update is logged, never raised."""
        from inbox.observability import logger  # not at import: tests import the store before Powertools' env

        try:
            return self.update_if(key, expression, condition, values, names)
        except StoreUnavailable as exc:
            logger.warning("conversation summary not updated", extra={"code": exc.code})
            return False

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
        value = {
            "action": {"S": reaction.action},
            "at": {"S": stamp},
            "reaction": {"S": reaction.reaction} if reaction.reaction else {"NULL": True},
            "emoji": {"S": reaction.emoji} if reaction.emoji else {"NULL": True},
        }
        key = message_key(reaction.messageId)
        if self.update_if(
            key,
            "SET #r = :r",
            "attribute_exists(pk) AND (attribute_not_exists(#r) OR #r.#at < :at)",
            {":r": {"M": value}, ":at": {"S": stamp}},
            {"#r": REACTION_PREFIX + reaction.senderId, "#at": "at"},
        ):
            return "kept"
        try:
            found = self._client.get_item(TableName=self.table_name, Key=key, ProjectionExpression="pk")
        except (ClientError, BotoCoreError) as exc:
            raise read_unavailable(exc) from exc
        return "unchanged" if found.get("Item") else "unknown message"

    def update_if(
        self,
        key: dict[str, Any],
        expression: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> bool:
        """One conditional UpdateItem: True when applied, False when its condition failed."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": key,
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if names:
            request["ExpressionAttributeNames"] = names
        return applied(lambda: self._client.update_item(**request))

    def _put_new(self, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _put_fingerprint(
        self, fingerprint: Fingerprint, bucket: str, entries: list[Entry], *, version: int | None
    ) -> dict[str, Any]:
        bucket_start = datetime.strptime(bucket, "%Y-%m-%dT%H").replace(tzinfo=UTC)
        put: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": {
                "pk": {"S": fingerprint.key},
                "sk": {"S": bucket},
                "kind": {"S": "fingerprint"},
                "entries": {"L": [_entry_value(entry) for entry in entries]},
                "ver": {"N": str((version or 0) + 1)},
                "ttl": {"N": str(int((bucket_start + timedelta(days=TTL_DAYS, hours=1)).timestamp()))},
            },
            **_version_condition(version),
        }
        return {"Put": put}

    def _check_version(self, key: str, bucket: str, version: int | None) -> dict[str, Any]:
        return {
            "ConditionCheck": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": key}, "sk": {"S": bucket}},
                **_version_condition(version),
            }
        }

    def _transact(self, actions: list[dict[str, Any]]) -> list[str] | None:
        """None when the transaction committed, else each action's cancellation code (``"None"`` = fine).

        Conflicts with a concurrent transaction come back as ``TransactionConflict`` codes, for the
        caller to retry; anything else DynamoDB refuses becomes StoreUnavailable.
        """
        try:
            self._client.transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            if code == "TransactionCanceledException":
                cancelled = exc.response.get("CancellationReasons", [])
                reasons = [str(reason.get("Code", "None")) for reason in cancelled]
                if len(reasons) == len(actions) and set(reasons) <= _RETRYABLE_REASONS:
                    return reasons
                if "ValidationError" in reasons:  # an item out of DynamoDB's limits, inside a transaction
                    raise RefusedMessage("DynamoDB refused the message (ValidationError)") from exc
            elif code in ("TransactionConflictException", "TransactionInProgressException"):
                return ["TransactionConflict"] * len(actions)
            elif code == "ValidationException":  # an item out of DynamoDB's limits (a key too long)
                raise RefusedMessage(f"DynamoDB refused the message ({code})") from exc
            raise StoreUnavailable(f"DynamoDB refused the write ({code})", code=code) from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(
                f"DynamoDB could not be reached ({type(exc).__name__})", code=type(exc).__name__
            ) from exc
        return None

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
        """Keep a body no adapter could read, so an operator can see it; returns its id."""
        raw_id = hashlib.sha256(raw).hexdigest()
        body, truncated = raw[:MAX_RAW_BYTES], len(raw) > MAX_RAW_BYTES
        stamp = _iso(received_at)
        item: dict[str, Any] = {
            "pk": {"S": f"RAW#{raw_id}"},
            "sk": {"S": "RAW"},
            "kind": {"S": "raw"},
            "gsi2pk": {"S": RAW_PARTITION},
            "gsi2sk": {"S": f"{stamp}#{raw_id}"},
            "reason": {"S": reason},
            "mediaType": {"S": media_type},
            "size": {"N": str(len(raw))},
            "truncated": {"BOOL": truncated},
            "receivedAt": {"S": stamp},
            "ttl": {"N": str(int((received_at + timedelta(days=ttl_days)).timestamp()))},
        }
        try:
            item["body"] = {"S": body.decode("utf-8")}
        except UnicodeDecodeError:
            item["body"] = {"B": body}
        if request_id:
            item["requestId"] = {"S": request_id}
        self._put_if_new(item)
        return raw_id

    def _put_if_new(self, item: dict[str, Any]) -> bool:
        return applied(
            lambda: self._client.put_item(
                TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        )


def applied(write: Callable[[], object]) -> bool:
    """Run one conditional write: True when applied, False when its condition failed.

    Every other DynamoDB error becomes StoreUnavailable — the package's one mapping of AWS error
    codes for single writes (transactions have their own, in ``_transact``).
    """
    try:
        write()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        if code == "ConditionalCheckFailedException":
            return False
        raise StoreUnavailable(f"DynamoDB refused the write ({code})", code=code) from exc
    except BotoCoreError as exc:
        raise StoreUnavailable(
            f"DynamoDB could not be reached ({type(exc).__name__})", code=type(exc).__name__
        ) from exc
    return True


_MAX_ATTEMPTS = 8
_IN_FLIGHT_WAITS = (0.05, 0.1, 0.2, 0.4)
"""Seconds a partner waits for a claimed record's message (its writer is between its two writes)
before taking the claim over; an alive writer finishes in one DynamoDB round trip."""
_ConversationWrite = Literal["newest", "window", "count"]
_INBOUND_MODES: tuple[_ConversationWrite, ...] = ("newest", "window", "count")
_OUTBOUND_MODES: tuple[_ConversationWrite, ...] = ("newest", "count")
_CONDITION_FAILED = "ConditionalCheckFailed"
_RETRYABLE_REASONS = frozenset({"None", _CONDITION_FAILED, "TransactionConflict"})


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


def _duplicate_by_id(message: NormalizedMessage) -> WriteResult:
    return WriteResult("duplicate", message.messageId, "id")


def _paired(found: Entry | None) -> WriteResult:
    return WriteResult("duplicate", found.message_id if found else None, "content")


def message_key(message_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"MSG#{message_id}"}, "sk": {"S": "MSG"}}


def conversation_key(sender_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"CONV#{sender_id}"}, "sk": {"S": "CONV"}}


# Failed-login counters (inbox.operator.login_throttle), one per source address and one per account.
LOGIN_BY_ADDRESS = "LOGIN#address#"
LOGIN_BY_ACCOUNT = "LOGIN#account#"


def login_counter_key(prefix: str, subject: str) -> dict[str, Any]:
    """A failed-login counter: ``prefix`` is LOGIN_BY_ADDRESS or LOGIN_BY_ACCOUNT."""
    return {"pk": {"S": prefix + subject}, "sk": {"S": "LOGIN"}}


def sort_stamp(ms: int) -> str:
    """``2024-11-13T12:00:00.000Z``: always with milliseconds, so string order is time order."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def read_unavailable(exc: ClientError | BotoCoreError) -> StoreUnavailable:
    """A failed DynamoDB read as the package's own error (every reader of the table uses this)."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        return StoreUnavailable(f"DynamoDB refused the read ({code})", code=code)
    return StoreUnavailable(f"DynamoDB could not be reached ({type(exc).__name__})", code=type(exc).__name__)


def item_text(item: Mapping[str, Any], name: str) -> str | None:
    """A string attribute of a raw DynamoDB item, None when absent (every reader of items uses this)."""
    value = item.get(name, {}).get("S")
    return str(value) if value is not None else None


def item_number(item: Mapping[str, Any], name: str) -> int | None:
    """A number attribute of a raw DynamoDB item as an int, None when absent."""
    value = item.get(name, {}).get("N")
    return int(value) if value is not None else None


def _epoch_ms(timestamp: str | None, received_at: str | None) -> int | None:
    """The message's time in ms (its receive time when its own cannot be read)."""
    ms = to_epoch_ms(timestamp)
    return ms if ms is not None else to_epoch_ms(received_at)


def _version_condition(version: int | None) -> dict[str, Any]:
    if version is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {"ConditionExpression": "ver = :ver", "ExpressionAttributeValues": {":ver": {"N": str(version)}}}


def _entry_value(entry: Entry) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": {"S": entry.message_id},
        "ts": {"N": str(entry.timestamp_ms)},
        "derived": {"BOOL": entry.derived},
    }
    if entry.matched_by is not None:
        value["matchedBy"] = {"S": entry.matched_by}
    return {"M": value}


def _entry_of(value: dict[str, Any]) -> Entry:
    fields = value["M"]
    matched = fields.get("matchedBy")
    return Entry(
        message_id=fields["id"]["S"],
        timestamp_ms=int(fields["ts"]["N"]),
        derived=bool(fields["derived"]["BOOL"]),
        matched_by=matched["S"] if matched else None,
    )


def _message_item(message: NormalizedMessage) -> dict[str, Any]:
    sort_key = f"{message.timestamp}#{message.messageId}"
    item: dict[str, Any] = {
        **message_key(message.messageId),
        "kind": {"S": "message"},
        "gsi1pk": {"S": f"SENDER#{message.senderId}"},
        "gsi1sk": {"S": sort_key},
        "gsi2pk": {"S": MESSAGES_PARTITION},
        "gsi2sk": {"S": sort_key},
        "messageId": {"S": message.messageId},
        "senderId": {"S": message.senderId},
        "timestamp": {"S": message.timestamp},
        "source": {"S": message.source},
        "format": {"S": message.format},
        "receivedAt": {"S": message.receivedAt},
        "direction": {"S": message.direction},
        "attachments": {
            "L": [{"M": {"type": {"S": a.type}, "url": {"S": a.url}}} for a in message.attachments]
        },
    }
    if message.username is not None:
        item["username"] = {"S": message.username}
    if message.text is not None:
        item["text"] = {"S": message.text}
    if message.status is not None:
        item["status"] = {"S": message.status}
    if message.error is not None:
        item["error"] = {"S": message.error}
    if message.claimedTimestamp is not None:
        item["claimedTimestamp"] = {"S": message.claimedTimestamp}
    return item


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
