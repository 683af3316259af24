"""The same store cases on the in-memory fake (tests/fakes.py) and the real MessageStore in moto.

The unit tests of ingest, replies and the poller trust the fake; this file is why they may: a rule
the fake got wrong (or the store changed) fails here on one side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from inbox.errors import RefusedMessage
from inbox.models import NormalizedMessage, Reaction
from inbox.storage.conversation_rows import conversation_from_item
from inbox.storage.dynamodb import Table
from inbox.storage.items import message_from_item
from inbox.storage.protocol import Store
from inbox.storage.store import MessageStore
from inbox.storage.table import MAX_ID_BYTES, REPLY_ID_PREFIX, conversation_key, message_key

from tests.fakes import FakeStore, sending_reply


@dataclass
class Subject:
    """A store and what a test reads back of it (the fake's dicts, or the table's items)."""

    store: Store
    message: Callable[[str], NormalizedMessage | None]
    count: Callable[[str], int]


def _fake() -> Subject:
    fake = FakeStore()
    return Subject(fake, fake.messages.get, lambda sender: fake.counts.get(sender, 0))


def _real(table_name: str) -> Subject:
    table = Table(table_name, boto3.client("dynamodb"))

    def message(message_id: str) -> NormalizedMessage | None:
        item = table.get(message_key(message_id), consistent=True)
        return None if item is None else message_from_item(item)

    def count(sender: str) -> int:
        item = table.get(conversation_key(sender), consistent=True)
        return 0 if item is None else conversation_from_item(item).messageCount

    return Subject(MessageStore(table_name, boto3.client("dynamodb")), message, count)


@pytest.fixture(params=["fake", "moto"])
def subject(request: pytest.FixtureRequest) -> Subject:
    if request.param == "fake":
        return _fake()
    return _real(request.getfixturevalue("table_name"))


def inbound(
    message_id: str, sender: str = "s1", *, text: str = "hi", at: str = "2026-12-02T10:00:00Z"
) -> NormalizedMessage:
    return NormalizedMessage(
        messageId=message_id, senderId=sender, text=text, timestamp=at, format="test", receivedAt=at
    )


def reaction(message_id: str, at: str, emoji: str = "❤") -> Reaction:
    return Reaction(
        messageId=message_id, senderId="s1", action="react", reaction="love", emoji=emoji, timestamp=at
    )


def test_a_message_is_stored_once_by_id_and_counted_once(subject: Subject) -> None:
    first = subject.store.write_message(inbound("m1"))
    again = subject.store.write_message(inbound("m1"))
    assert first.outcome == "stored"
    assert (again.outcome, again.duplicate_of, again.matched_on) == ("duplicate", "m1", "id")
    assert subject.store.put_message(inbound("m1")) == "duplicate"
    assert subject.count("s1") == 1
    stored = subject.message("m1")
    assert stored is not None
    assert stored.text == "hi"


def test_a_conversation_counts_each_distinct_message_exactly(subject: Subject) -> None:
    for i in range(3):
        assert (
            subject.store.put_message(inbound(f"m{i}", text=f"t{i}", at=f"2026-12-02T10:0{i}:00Z"))
            == "stored"
        )
    assert subject.store.put_message(inbound("other", "s2")) == "stored"
    assert subject.store.put_message(sending_reply("r1")) == "stored"
    assert (subject.count("s1"), subject.count("s2"), subject.count("nobody")) == (4, 1, 0)


def test_what_can_never_be_stored_is_refused_and_nothing_is_counted(subject: Subject) -> None:
    with pytest.raises(RefusedMessage):
        subject.store.write_message(inbound("x" * (MAX_ID_BYTES + 1)))
    with pytest.raises(RefusedMessage):
        subject.store.write_message(inbound(REPLY_ID_PREFIX + "forged"))
    assert subject.count("s1") == 0


def test_a_reaction_is_kept_only_on_a_known_message_and_only_when_newer(subject: Subject) -> None:
    assert subject.store.keep_reaction(reaction("m1", "2026-12-02T10:01:00Z")) == "unknown message"
    subject.store.put_message(inbound("m1"))
    assert subject.store.keep_reaction(reaction("m1", "2026-12-02T10:01:00Z")) == "kept"
    assert subject.store.keep_reaction(reaction("m1", "2026-12-02T10:01:00Z")) == "unchanged"
    assert subject.store.keep_reaction(reaction("m1", "2026-12-02T10:00:30Z", "😮")) == "unchanged"
    assert subject.store.keep_reaction(reaction("m1", "2026-12-02T10:02:00Z", "😮")) == "kept"
    assert subject.count("s1") == 1  # a reaction is not a message


def _stamp(seconds_ago: int) -> str:
    """Recent: a reply ``sending`` for over a minute reads back as ``unknown`` (reply_status_seen)."""
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_reply_outcome_is_recorded_and_only_a_failed_attempt_is_retaken_once(subject: Subject) -> None:
    sending = sending_reply("r1")
    retaken, later = _stamp(5), _stamp(2)
    assert subject.store.record_reply_outcome(sending_reply("gone")) is False
    assert subject.store.put_message(sending) == "stored"
    attempt = sending.receivedAt
    # Still sending: nobody may take it over
    assert subject.store.retake_reply(sending.messageId, attempt=attempt, stamp=retaken) is False

    assert subject.store.record_reply_outcome(sending._replace(status="failed", error="timeout")) is True
    held = subject.message(sending.messageId)
    assert held is not None
    assert (held.status, held.error) == ("failed", "timeout")

    assert subject.store.retake_reply(sending.messageId, attempt="2026-12-02T09:00:00Z", stamp="x") is False
    assert subject.store.retake_reply(sending.messageId, attempt=attempt, stamp=retaken) is True
    held = subject.message(sending.messageId)
    assert held is not None
    assert (held.status, held.error, held.receivedAt) == (
        "sending",
        None,
        retaken,
    )
    # The same attempt cannot be retaken twice (a second operator's retry loses)
    assert subject.store.retake_reply(sending.messageId, attempt=attempt, stamp=later) is False

    assert subject.store.record_reply_outcome(held._replace(status="sent", error=None)) is True
    held = subject.message(sending.messageId)
    assert held is not None
    assert (held.status, held.error) == ("sent", None)
    assert subject.count("s1") == 1


def test_a_kept_body_is_keyed_by_its_bytes(subject: Subject) -> None:
    at = datetime(2026, 12, 2, 10, tzinfo=UTC)
    first = subject.store.keep_raw(
        b"{broken", reason="unreadable", media_type="application/json", received_at=at, ttl_days=7
    )
    again = subject.store.keep_raw(
        b"{broken", reason="unreadable", media_type="application/json", received_at=at, ttl_days=7
    )
    other = subject.store.keep_raw(
        b"{other", reason="unreadable", media_type="application/json", received_at=at, ttl_days=7
    )
    assert first == again != other
    assert len(first) == 64
