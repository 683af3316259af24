"""The write path under failures: a writer that dies during its write, and a partner that arrives
while a writer is slow.

An inbound message, its content fingerprint and its conversation's count are one transaction
(inbox.storage.matching, docs/performance.md (e)): a fingerprint never exists without its message,
so the other source's copy never has to wait for a writer or guess whether it died. These tests kill
or slow that write and check what the guarantees promise: stored once, counted once, one record per
message seen by two sources.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
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


def test_a_writer_that_dies_leaves_no_claim_and_its_retry_stores_once(
    table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Chatrace delivery whose invocation dies before its write completes
    store = _store(table_name)
    message = webhook_message(chatrace_body("hello", T0))
    _second_write(store, monkeypatch, _die)
    with pytest.raises(Died):
        store.write_message(message)
    # Then nothing is half written: no message and no fingerprint claiming its content
    assert messages(table_name) == []
    assert _fingerprints(table_name) == []
    # When the sender retries (it got no 200), the message is stored and counted once
    assert store.write_message(message).outcome == "stored"
    assert store.write_message(message).outcome == "duplicate"
    assert len(messages(table_name)) == 1
    assert _count(table_name) == 1


def test_a_copy_from_the_other_source_during_a_slow_write_is_stored_once(
    table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the webhook's copy (derived id) is about to write, slowly
    slow = _store(table_name)
    derived = webhook_message(chatrace_body("hello", T0))
    writing = threading.Event()

    def slowly() -> None:
        writing.set()
        time.sleep(0.3)

    _second_write(slow, monkeypatch, slowly)
    outcome: list[str] = []
    writer = threading.Thread(target=lambda: outcome.append(slow.put_message(derived)))
    writer.start()
    assert writing.wait(timeout=10)
    # When the poller's copy (real id) arrives in between
    written = _store(table_name).write_message(polled("mid-1", "hello", T0 + 400))
    writer.join()
    # Then the first to write keeps the message and the other pairs with it: one message, counted once
    assert written.outcome == "stored"
    assert outcome == ["duplicate"]
    (item,) = messages(table_name)
    assert item["messageId"] == {"S": "mid-1"}
    assert _count(table_name) == 1


def test_a_usual_message_costs_one_counted_transaction(table_name: str) -> None:
    """What a message costs in write units (docs/performance.md (e)): one transaction, one
    conversation write, nothing written twice."""
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
    # Then: one transaction for the message, its fingerprint and its conversation's count
    assert [call.operation for call in meter.calls] == ["TransactWriteItems"]
    (counted,) = meter.calls
    units = {w.kind: (w.base_units, w.index_units) for w in counted.writes}
    assert units == {
        "message": (1, {"gsi1": 1, "gsi2": 1}),
        "fingerprint": (1, {}),
        "conversation": (1, {}),  # in no index: the listing walks the messages' gsi2
    }
    assert sum(w.units for call in meter.calls for w in call.writes) == 8
