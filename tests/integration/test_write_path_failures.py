"""The write path's two writes (a content claim, then the message and its count) under failures:
a writer that dies between them, and a partner that arrives while a writer is between them.

The usual message claims its content's hour with one conditional put and is then stored with its
conversation's count in one transaction (inbox.storage.store, docs/performance.md (e)). These tests
kill or slow the second write and check what the guarantees promise: stored once, counted once,
one record per message seen by two sources.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from inbox.models import NormalizedMessage
from inbox.storage.store import MessageStore
from inbox.storage.table import conversation_key

from tests.integration.poller_support import messages
from tests.integration.test_cross_source_dedupe import CONTACT, T0, chatrace_body, polled, webhook_message


class Died(Exception):
    """The invocation ended here (a timeout, the container recycled)."""


def _store(table_name: str) -> MessageStore:
    return MessageStore(table_name, boto3.client("dynamodb"))


def _second_write(store: MessageStore, monkeypatch: pytest.MonkeyPatch, then: Callable[[], None]) -> None:
    """Run ``then`` before the store's next transaction (the message and its count)."""
    real = store._client.transact_write_items

    def patched(**kwargs: Any) -> Any:
        monkeypatch.setattr(store._client, "transact_write_items", real)
        then()
        return real(**kwargs)

    monkeypatch.setattr(store._client, "transact_write_items", patched)


def _die() -> None:
    raise Died


def _count(table_name: str) -> int:
    row = boto3.client("dynamodb").get_item(TableName=table_name, Key=conversation_key(CONTACT))["Item"]
    return int(row["messageCount"]["N"])


def _fingerprints(table_name: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=table_name)["Items"]
    return [item for item in items if item["pk"]["S"].startswith("FP#")]


def test_a_writer_that_died_after_its_claim_is_completed_by_the_retry(
    table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Chatrace delivery whose invocation dies after claiming the content, before storing
    store = _store(table_name)
    message = webhook_message(chatrace_body("hello", T0))
    _second_write(store, monkeypatch, _die)
    with pytest.raises(Died):
        store.write_message(message)
    assert messages(table_name) == []
    assert len(_fingerprints(table_name)) == 1
    # When the sender retries (it got no 200)
    result = store.write_message(message)
    # Then the message is stored and counted once, and a further redelivery is a duplicate
    assert result.outcome == "stored"
    assert store.write_message(message).outcome == "duplicate"
    assert len(messages(table_name)) == 1
    assert _count(table_name) == 1


def test_a_partner_arriving_between_a_writers_two_writes_waits_and_pairs(
    table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the webhook's copy (derived id) has claimed its content and is slow to store it
    slow = _store(table_name)
    derived = webhook_message(chatrace_body("hello", T0))
    _second_write(slow, monkeypatch, lambda: time.sleep(0.3))
    outcome: list[str] = []
    writer = threading.Thread(target=lambda: outcome.append(slow.put_message(derived)))
    writer.start()
    deadline = time.monotonic() + 5
    while not _fingerprints(table_name) and time.monotonic() < deadline:
        time.sleep(0.01)
    # When the poller's copy (real id) arrives in between
    written = _store(table_name).write_message(polled("mid-1", "hello", T0 + 400))
    writer.join()
    # Then it waited for the record and paired with it: one message, counted once
    assert (written.outcome, written.duplicate_of, written.matched_on) == (
        "duplicate",
        derived.messageId,
        "content",
    )
    assert outcome == ["stored"]
    assert len(messages(table_name)) == 1
    assert _count(table_name) == 1


def test_a_claim_whose_writer_died_is_taken_over_by_the_other_source(
    table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Chatrace delivery died between its claim and its message, and Chatrace never retries
    store = _store(table_name)
    derived: NormalizedMessage = webhook_message(chatrace_body("hello", T0))
    _second_write(store, monkeypatch, _die)
    with pytest.raises(Died):
        store.write_message(derived)
    # When the poller brings the same message
    assert store.write_message(polled("mid-1", "hello", T0 + 400)).outcome == "stored"
    # Then it is stored once, from the poller; a late retry of the dead delivery stays a duplicate
    (item,) = messages(table_name)
    assert item["messageId"] == {"S": "mid-1"}
    assert store.write_message(derived).outcome == "duplicate"
    assert len(messages(table_name)) == 1
    assert _count(table_name) == 1


def test_a_usual_message_costs_a_claim_and_one_counted_transaction(table_name: str) -> None:
    """What a message costs in write units (docs/performance.md (e)): the claim outside the
    transaction, one conversation write, nothing written twice."""
    from inbox_dev.bench_cost import DynamoDBMeter

    # Given a conversation that already exists
    store = _store(table_name)
    assert store.put_message(webhook_message(chatrace_body("hello", T0))) == "stored"
    meter = DynamoDBMeter(store._client, table_name)
    # When the customer's next message arrives
    assert store.put_message(
        webhook_message(chatrace_body("is the blue dress still there?", T0 + 60_000))
    ) == ("stored")
    meter.close()
    # Then: one conditional put for the claim, one transaction for the message and its count
    assert [call.operation for call in meter.calls] == ["PutItem", "TransactWriteItems"]
    claim, counted = meter.calls
    assert [(w.kind, w.transactional, w.units) for w in claim.writes] == [("fingerprint", False, 1)]
    units = {w.kind: (w.base_units, w.index_units) for w in counted.writes}
    assert units == {"message": (1, {"gsi1": 1, "gsi2": 1}), "conversation": (1, {"gsi2": 2})}
    assert sum(w.units for call in meter.calls for w in call.writes) == 9
