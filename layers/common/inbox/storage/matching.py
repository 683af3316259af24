"""How an inbound message is written with its content fingerprint, race-free without a read-then-write
(the cost of each write, and what a crash between two of them leaves, is argued in
docs/performance.md (e)):

1. The usual case — no record of this content in its hour — is two writes. One conditional PutItem
   *claims* the content: the hour's fingerprint item, created with ``attribute_not_exists``. Then
   one TransactWriteItems stores the message (``attribute_not_exists``) with its conversation's
   count (:mod:`inbox.storage.conversation_rows`): the only transaction, because a count is exact
   only if it moves with the message. A redelivery fails the claim, reads it (step 2), finds its
   own id and answers ``duplicate`` (after storing the message if the claim's writer died before
   doing so). Near the turn of an hour the ±90 s window spans two items: the claim, the
   neighbouring hour's check and the message are then one transaction.
2. When a fingerprint item is already there, the store reads the window's items (consistent
   reads) and decides: this id already accounted for → ``duplicate``; an unpaired record of the
   other kind (derived ↔ real) within ±90 s → pair with it (mark it, and put the real id on a
   derived record as ``realMessageId``) and answer ``duplicate``; otherwise store the message and
   append its entry. Every such write is one transaction conditioned on the version (``ver``) of
   *each* item it read, so a concurrent writer that changed any of them makes it fail and the
   store re-reads and decides again (optimistic concurrency; DynamoDB serializes the
   transactions). The first writer wins and keeps its ``source``. A claim whose message is not
   there (yet) is waited for (:data:`IN_FLIGHT_WAITS`, its writer is between its two writes); if
   it still is not, its writer died: this message is stored instead and the claim marked as paired
   with it, so a late retry of the dead one stays a duplicate.

The fingerprint rules themselves (what counts as the same content, which records pair) are pure
and live in :mod:`inbox.storage.fingerprints`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from inbox.errors import StoreUnavailable
from inbox.storage.conversation_rows import MAX_ATTEMPTS, jitter, put_counted, put_new, transact_counted
from inbox.storage.dynamodb import CONDITION_FAILED, Table
from inbox.storage.fingerprints import MAX_ENTRIES, TTL_DAYS, Entry, Fingerprint, bucket_of, partner, sighting
from inbox.storage.items import entries_of, fingerprint_entries, to_item, to_values
from inbox.storage.table import Item, fingerprint_key, message_key

if TYPE_CHECKING:
    from inbox.models import NormalizedMessage

WriteOutcome = Literal["stored", "duplicate"]
IN_FLIGHT_WAITS = (0.05, 0.1, 0.2, 0.4)
"""Seconds a partner waits for a claimed record's message (its writer is between its two writes)
before taking the claim over; an alive writer finishes in one DynamoDB round trip."""
Buckets = dict[str, tuple[int | None, list[Entry]]]


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What ``MessageStore.write_message`` did: ``duplicate_of`` names the record that was kept."""

    outcome: WriteOutcome
    duplicate_of: str | None = None
    matched_on: Literal["id", "content"] | None = None


def write_matched(
    table: Table, message: NormalizedMessage, item: Item, fingerprint: Fingerprint
) -> WriteResult:
    """Step 1 of the module docstring, and step 2 when a fingerprint item is already there."""
    if fingerprint.window == (fingerprint.bucket,):
        # The usual case: claim the content's hour with one conditional put, then store.
        claim = _fingerprint_item(fingerprint, fingerprint.bucket, [fingerprint.entry()], version=None)
        if table.put(claim, if_new=True):
            stored = put_counted(table, item, message)
            return WriteResult("stored") if stored else duplicate_by_id(message)
        return _write_contended(table, message, item, fingerprint)
    # Near the turn of an hour the claim spans two items: one transaction checks both.
    actions = [
        put_new(table, item),
        _put_fingerprint(table, fingerprint, fingerprint.bucket, [fingerprint.entry()], version=None),
        *(
            _check_version(table, fingerprint.key, b, None)
            for b in fingerprint.window
            if b != fingerprint.bucket
        ),
    ]
    reasons = transact_counted(table, actions, message)
    if reasons is None:
        return WriteResult("stored")
    if reasons[0] == CONDITION_FAILED:
        return duplicate_by_id(message)
    return _write_contended(table, message, item, fingerprint)


def duplicate_by_id(message: NormalizedMessage) -> WriteResult:
    return WriteResult("duplicate", message.messageId, "id")


def _write_contended(
    table: Table, message: NormalizedMessage, item: Item, fingerprint: Fingerprint
) -> WriteResult:
    """Step 2: read the window, decide, write conditioned on what was read."""
    vanished: set[str] = set()
    taken_over: Entry | None = None
    waits = list(IN_FLIGHT_WAITS)
    attempt = 0
    while attempt < MAX_ATTEMPTS:
        jitter(attempt)
        attempt += 1
        buckets = {b: _read_bucket(table, fingerprint.key, b) for b in fingerprint.window}
        entries = [entry for _, bucket_entries in buckets.values() for entry in bucket_entries]
        seen = sighting(entries, message.messageId)
        if seen is not None:
            on_id = seen.message_id == message.messageId
            # Its own claim, with no message: left by an attempt that died before storing.
            unpaired = on_id and seen.matched_by is None
            if unpaired and not _exists(table, message.messageId) and put_counted(table, item, message):
                return WriteResult("stored")
            return WriteResult("duplicate", seen.message_id, "id" if on_id else "content")
        found = partner(entries, fingerprint, exclude=frozenset(vanished))
        if found is not None:
            result = _pair(table, message, fingerprint, found, buckets)
            if result == "vanished":
                if waits:  # its writer may be between its claim and its message: give it time
                    time.sleep(waits.pop(0))
                    attempt -= 1
                    continue
                vanished.add(found.message_id)
                taken_over = taken_over or found
                continue
        else:
            result = _append(table, message, item, fingerprint, buckets, taken_over=taken_over)
        if result == "stored":
            return WriteResult("stored")
        if result == "duplicate":
            return WriteResult("duplicate", found.message_id if found else None, "content")
        if result == "exists":
            return duplicate_by_id(message)
    raise StoreUnavailable(
        f"the content index kept changing under {MAX_ATTEMPTS} attempts", code="FingerprintContention"
    )


def _exists(table: Table, message_id: str) -> bool:
    return table.get(message_key(message_id), consistent=True, projection="pk") is not None


def _pair(
    table: Table, message: NormalizedMessage, fingerprint: Fingerprint, found: Entry, buckets: Buckets
) -> str:
    """Mark ``found`` as seen again under this message's id; the message itself is not stored."""
    bucket = bucket_of(found.timestamp_ms)
    version, entries = buckets[bucket]
    key = message_key(found.message_id)
    exists = {"TableName": table.name, "Key": key, "ConditionExpression": "attribute_exists(pk)"}
    if found.derived:  # the kept record has a derived id: give it the real one
        real = {
            "UpdateExpression": "SET realMessageId = :real",
            "ExpressionAttributeValues": to_values({":real": message.messageId}),
        }
        counterpart: dict[str, Any] = {"Update": exists | real}
    else:
        counterpart = {"ConditionCheck": exists}
    updated = [e.paired(message.messageId) if e == found else e for e in entries]
    free = {
        "TableName": table.name,
        "Key": message_key(message.messageId),
        "ConditionExpression": "attribute_not_exists(pk)",
    }
    reasons = table.transact(
        [
            {"ConditionCheck": free},
            _put_fingerprint(table, fingerprint, bucket, updated, version=version),
            counterpart,
        ]
    )
    if reasons is None:
        return "duplicate"
    if reasons[0] == CONDITION_FAILED:
        return "exists"
    if reasons[2] == CONDITION_FAILED:
        return "vanished"  # the kept record was deleted since: do not pair with it
    return "retry"


def _append(
    table: Table,
    message: NormalizedMessage,
    item: Item,
    fingerprint: Fingerprint,
    buckets: Buckets,
    *,
    taken_over: Entry | None = None,
) -> str:
    """Store the message and add it to its hour's entries, if no item of the window changed.

    ``taken_over``: a claim of the other kind whose message never came (its writer died between
    its two writes); it is marked as paired with this message, so a retry of it stays a duplicate.
    """
    version, entries = buckets[fingerprint.bucket]
    if len(entries) >= MAX_ENTRIES:
        return "stored" if put_counted(table, item, message) else "exists"
    if taken_over is not None:
        entries = [e.paired(fingerprint.message_id) if e == taken_over else e for e in entries]
    others = [
        _check_version(table, fingerprint.key, b, buckets[b][0])
        for b in fingerprint.window
        if b != fingerprint.bucket
    ]
    own = _put_fingerprint(
        table, fingerprint, fingerprint.bucket, [*entries, fingerprint.entry()], version=version
    )
    reasons = transact_counted(table, [put_new(table, item), own, *others], message)
    if reasons is None:
        return "stored"
    return "exists" if reasons[0] == CONDITION_FAILED else "retry"


def _read_bucket(table: Table, key: str, bucket: str) -> tuple[int | None, list[Entry]]:
    found = table.get(fingerprint_key(key, bucket), consistent=True)
    return entries_of(found) if found else (None, [])


def _fingerprint_item(
    fingerprint: Fingerprint, bucket: str, entries: list[Entry], *, version: int | None
) -> Item:
    bucket_start = datetime.strptime(bucket, "%Y-%m-%dT%H").replace(tzinfo=UTC)
    expires = int((bucket_start + timedelta(days=TTL_DAYS, hours=1)).timestamp())
    fields = {
        "kind": "fingerprint",
        "entries": fingerprint_entries(entries),
        "ver": (version or 0) + 1,
        "ttl": expires,
    }
    return fingerprint_key(fingerprint.key, bucket) | to_item(fields)


def _put_fingerprint(
    table: Table, fingerprint: Fingerprint, bucket: str, entries: list[Entry], *, version: int | None
) -> dict[str, Any]:
    item = _fingerprint_item(fingerprint, bucket, entries, version=version)
    return {"Put": {"TableName": table.name, "Item": item, **_version_condition(version)}}


def _check_version(table: Table, key: str, bucket: str, version: int | None) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "TableName": table.name,
            "Key": fingerprint_key(key, bucket),
            **_version_condition(version),
        }
    }


def _version_condition(version: int | None) -> dict[str, Any]:
    if version is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {"ConditionExpression": "ver = :ver", "ExpressionAttributeValues": to_values({":ver": version})}
