"""GET /instagram/conversations walks the messages' newest-first index (inbox.operator.conversations):
each sender once, at its newest message, across pages, within a bounded walk per request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from inbox.models import NormalizedMessage
from inbox.operator import conversations as listing
from inbox.operator.conversations import ConversationReader
from inbox.storage.store import MessageStore

from tests.integration.conftest import OPERATOR, Call

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def put(store: MessageStore, sender: str, at: str, message_id: str | None = None) -> str:
    """One inbound message of ``sender`` stored at ``at`` (as written: with or without milliseconds)."""
    message_id = message_id or f"{sender}@{at}"
    message = NormalizedMessage(
        messageId=message_id, senderId=sender, text=f"hi {at}", timestamp=at, format="flat", receivedAt=at
    )
    assert store.put_message(message) == "stored"
    return message_id


def minute(offset: float) -> str:
    return (T0 + timedelta(minutes=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")


def every_page(reader: ConversationReader, limit: int) -> list[list[str]]:
    """The senders of each page, following nextCursor until there is none."""
    pages: list[list[str]] = []
    before = None
    for _ in range(50):
        page = reader.conversations(limit=limit, before=before)
        pages.append([row.senderId for row in page.items])
        if page.last_sort_key is None:
            return pages
        before = page.last_sort_key
    raise AssertionError(f"the cursor never ended: {pages}")


@pytest.fixture
def secrets() -> dict[str, str]:
    return dict(OPERATOR)


@pytest.fixture
def reader(table_name: str) -> ConversationReader:
    return ConversationReader(table_name, boto3.client("dynamodb"))


def test_a_chatty_sender_is_listed_once_at_its_newest_message_across_pages(
    store: MessageStore, reader: ConversationReader
) -> None:
    # Given a sender who wrote 25 times over 24 minutes, and four others in between and after
    for n in range(25):
        put(store, "chatty", minute(n))
    for sender, at in (("early", 5.5), ("middle", 10.5), ("late", 20.5), ("newest", 30)):
        put(store, sender, minute(at))
    # When the operator pages through two conversations at a time
    pages = every_page(reader, limit=2)
    # Then every sender is listed once, newest activity first: the chatty one at its last message,
    # and skipped where its older messages fall on later pages
    assert pages == [["newest", "chatty"], ["late", "middle"], ["early"]]
    (chatty,) = [row for row in reader.conversations(limit=5, before=None).items if row.senderId == "chatty"]
    assert (chatty.messageCount, chatty.lastMessageAt) == (25, minute(24))


def test_a_sender_met_again_in_the_cursors_own_second_is_skipped(
    store: MessageStore, reader: ConversationReader
) -> None:
    # Given messages within one second, stored with and without milliseconds: "…:00Z" sorts after
    # "…:00.500Z" in the index although it is older, so "a" is met first at its older message
    put(store, "a", "2026-03-01T12:00:00Z", "a1")
    put(store, "a", "2026-03-01T12:00:00.500Z", "a2")
    put(store, "b", "2026-03-01T12:00:00.200Z", "b1")
    # When a page of one is followed by the next
    first = reader.conversations(limit=1, before=None)
    assert [row.senderId for row in first.items] == ["a"]
    assert first.last_sort_key == "2026-03-01T12:00:00Z#a1"
    second = reader.conversations(limit=1, before=first.last_sort_key)
    # Then "a" (whose newest message, by time, sorts below the cursor) is not listed again
    assert [row.senderId for row in second.items] == ["b"]
    assert second.last_sort_key is None


def test_a_bounded_walk_answers_a_short_or_empty_page_with_a_cursor(
    store: MessageStore, reader: ConversationReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a walk of at most 7 messages a request, and a sender whose 18 newest messages come first
    monkeypatch.setattr(listing, "MAX_WALK", 7)
    monkeypatch.setattr(listing, "WALK_QUERY_ITEMS", 3)
    put(store, "old", minute(1))
    put(store, "quiet", minute(2))
    for n in range(18):
        put(store, "chatty", minute(10 + n))
    # When the operator asks for 50 and follows every cursor
    pages = every_page(reader, limit=50)
    # Then the first page holds fewer rows than asked, one holds none, and all still come, once each
    assert pages == [["chatty"], [], ["quiet", "old"]]


def test_the_api_pages_conversations_within_its_contract(store: MessageStore, call: Call, token: str) -> None:
    # Given three senders, one of them chatty
    for n in range(6):
        put(store, "chatty", minute(n))
    put(store, "second", minute(3.5))
    put(store, "third", minute(1.5))
    # When the operator lists them two at a time through the API
    first = call("GET", "/instagram/conversations", token=token, query={"limit": "2"})
    assert first.status == 200, first
    rest = call(
        "GET",
        "/instagram/conversations",
        token=token,
        query={"limit": "2", "cursor": first.body["nextCursor"]},
    )
    # Then the rows, counts and cursors are as before: one row per sender, newest first
    assert [(r["senderId"], r["messageCount"]) for r in first.body["conversations"]] == [
        ("chatty", 6),
        ("second", 1),
    ]
    assert first.body["count"] == 2
    assert [r["senderId"] for r in rest.body["conversations"]] == ["third"]
    assert rest.body["nextCursor"] is None
    # And a cursor of another listing is still a 400
    other = call("GET", "/instagram/messages", token=token, query={"limit": "1"}).body["nextCursor"]
    assert call("GET", "/instagram/conversations", token=token, query={"cursor": other}).status == 400
