"""A reply's states on the in-memory store (no moto): its outcome recorded, a failed attempt retaken
once, a settled one answered again, an outcome the store could not take written later
(inbox.operator.replies: PendingOutcomes and the Idempotency-Key reclaim)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from inbox.errors import StoreUnavailable
from inbox.http import Answer
from inbox.models import NormalizedMessage
from inbox.operator.conversations import ConversationReader
from inbox.operator.replies import PendingOutcomes, _reclaim
from inbox.storage.table import REPLY_ID_PREFIX

from tests.fakes import FakeStore, sending_reply

NOW = datetime(2026, 12, 2, 10, 5, tzinfo=UTC)
ID = REPLY_ID_PREFIX + "k1"


class Reader:
    """The one read replies make of a reply: by id, from the fake's own records."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def message(self, message_id: str) -> NormalizedMessage | None:
        return self.store.messages.get(message_id)


def sending() -> NormalizedMessage:
    return sending_reply("k1", at="2026-12-02T10:04:00Z")


def reclaim(store: FakeStore, text: str = "on our way") -> NormalizedMessage | Answer:
    return _reclaim(ID, text, store=store, reader=cast(ConversationReader, Reader(store)), now=NOW)


def test_an_outcome_is_recorded_on_the_reply_and_a_sent_one_marks_the_conversation_answered() -> None:
    store, pending = FakeStore(), PendingOutcomes()
    store.put_message(sending())
    done = pending.record(store, sending(), "sent", None)
    assert (done.status, store.messages[ID].status) == ("sent", "sent")
    assert store.answered == {"s1"}
    assert len(pending) == 0


def test_a_failed_reply_is_retaken_once_and_a_second_retry_is_refused() -> None:
    store = FakeStore()
    store.put_message(sending()._replace(status="failed", error="Chatrace: 500"))
    retaken = reclaim(store)
    assert isinstance(retaken, NormalizedMessage)
    assert (retaken.status, retaken.error) == ("sending", None)
    assert (store.messages[ID].status, store.messages[ID].receivedAt) == ("sending", retaken.receivedAt)
    again = reclaim(store)
    assert isinstance(again, Answer)
    assert again.status_code == 409


def test_a_sent_reply_is_answered_again_and_never_retaken() -> None:
    store = FakeStore()
    store.put_message(sending()._replace(status="sent"))
    answer = reclaim(store)
    assert isinstance(answer, Answer)
    assert answer.status_code == 200
    assert isinstance(answer.body, dict)
    assert answer.body["replayed"] is True
    assert store.messages[ID].status == "sent"
    other_text = reclaim(store, "something else")
    assert isinstance(other_text, Answer)
    assert other_text.status_code == 409


class Failing(FakeStore):
    """The fake while DynamoDB refuses writes (``down``)."""

    down = True

    def record_reply_outcome(self, done: NormalizedMessage) -> bool:
        if self.down:
            raise StoreUnavailable("throttled", code="ThrottlingException")
        return super().record_reply_outcome(done)


def test_an_outcome_the_store_refused_is_written_by_the_next_request() -> None:
    store, pending = Failing(), PendingOutcomes()
    store.put_message(sending())
    pending.record(store, sending(), "failed", "Chatrace: 500")
    assert (len(pending), store.messages[ID].status) == (1, "sending")
    pending.complete(store)  # still down: kept
    assert len(pending) == 1
    store.down = False
    pending.complete(store)
    assert len(pending) == 0
    assert (store.messages[ID].status, store.messages[ID].error) == ("failed", "Chatrace: 500")
