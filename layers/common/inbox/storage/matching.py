"""How an inbound message is written with its content fingerprint, race-free without a read-then-write
(the cost of each write, and what a crash between two of them leaves, is argued in
docs/performance.md (e)):

1. The usual case — no record of this content in its hour — is one TransactWriteItems: the message
   (``attribute_not_exists``), the hour's fingerprint item (``attribute_not_exists``; near the turn
   of an hour also a check that the neighbouring hour has none) and its conversation's count
   (:mod:`inbox.storage.conversation_rows`). One transaction, because a fingerprint that could
   exist without its message (a writer dying between two writes) would make the other source's copy
   either wait for it or guess, and a count is exact only if it moves with the message. A
   redelivery fails the transaction, reads the window (step 2), finds its own id and answers
   ``duplicate``.
2. When a fingerprint item is already there, the store reads the window's items (consistent
   reads) and decides: this id already accounted for → ``duplicate``; an unpaired record of the
   other kind (derived ↔ real) within ±90 s → pair with it (mark it, and put the real id on a
   derived record as ``realMessageId``) and answer ``duplicate``; otherwise store the message and
   append its entry. Every such write is one transaction conditioned on the version (``ver``) of
   *each* item it read, so a concurrent writer that changed any of them makes it fail and the
   store re-reads and decides again (optimistic concurrency; DynamoDB serializes the
   transactions). The first writer wins and keeps its ``source``.

The fingerprint rules themselves (what counts as the same content, which records pair) are pure
and live in :mod:`inbox.storage.fingerprints`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from inbox.errors import StoreUnavailable
from inbox.storage.conversation_rows import MAX_ATTEMPTS, jitter, put_counted, put_new, transact_counted
from inbox.storage.dynamodb import CONDITION_FAILED, Table
from inbox.storage.fingerprints import MAX_ENTRIES, TTL_DAYS, Entry, Fingerprint, bucket_of, partner, sighting
from inbox.storage.items import entries_of, fingerprint_entries, to_item, to_values
from inbox.storage.table import Item, fingerprint_key, message_key

if TYPE_CHECKING:
    from inbox.models import NormalizedMessage

WriteOutcome = Literal["stored", "duplicate"]
Buckets = dict[str, tuple[int | None, list[Entry]]]


class WriteResult(NamedTuple):
    """What ``MessageStore.write_message`` did: ``duplicate_of`` names the record that was kept."""

    outcome: WriteOutcome
    duplicate_of: str | None = None
    matched_on: Literal["id", "content"] | None = None


def write_matched(
    table: Table, message: NormalizedMessage, item: Item, fingerprint: Fingerprint
) -> WriteResult:
    """Step 1 of the module docstring, and step 2 when a fingerprint item is already there."""
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
    for attempt in range(MAX_ATTEMPTS):
        jitter(attempt)
        buckets = {b: _read_bucket(table, fingerprint.key, b) for b in fingerprint.window}
        entries = [entry for _, bucket_entries in buckets.values() for entry in bucket_entries]
        seen = sighting(entries, message.messageId)
        if seen is not None:
            on_id = seen.message_id == message.messageId
            return WriteResult("duplicate", seen.message_id, "id" if on_id else "content")
        found = partner(entries, fingerprint, exclude=frozenset(vanished))
        if found is not None:
            result = _pair(table, message, fingerprint, found, buckets)
            if result == "vanished":
                vanished.add(found.message_id)
                continue
        else:
            result = _append(table, message, item, fingerprint, buckets)
        if result == "stored":
            return WriteResult("stored")
        if result == "duplicate":
            return WriteResult("duplicate", found.message_id if found else None, "content")
        if result == "exists":
            return duplicate_by_id(message)
    raise StoreUnavailable(
        f"the content index kept changing under {MAX_ATTEMPTS} attempts", code="FingerprintContention"
    )


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
) -> str:
    """Store the message and add it to its hour's entries, if no item of the window changed."""
    version, entries = buckets[fingerprint.bucket]
    if len(entries) >= MAX_ENTRIES:
        return "stored" if put_counted(table, item, message) else "exists"
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
