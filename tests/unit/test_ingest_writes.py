"""Ingest's answers from the store's outcomes, on the in-memory fake (no moto): stored, duplicate,
rejected, counts, reactions (inbox.webhook.ingest.store_messages / store_reactions)."""

from __future__ import annotations

from inbox.models import NormalizedMessage, Reaction
from inbox.webhook.ingest import store_messages, store_reactions

from tests.fakes import FakeStore


def message(message_id: str, sender: str = "s1", text: str = "hi") -> NormalizedMessage:
    at = "2026-12-02T10:00:00Z"
    return NormalizedMessage(
        messageId=message_id, senderId=sender, text=text, timestamp=at, format="test", receivedAt=at
    )


def test_a_new_delivery_is_stored_and_counted() -> None:
    store = FakeStore()
    status, answered = store_messages([message("m1"), message("m2", text="again")], store)
    assert status == "stored"
    assert [(a["messageId"], a["status"]) for a in answered] == [("m1", "stored"), ("m2", "stored")]
    assert store.counts == {"s1": 2}


def test_a_redelivery_is_answered_duplicate_and_counted_once() -> None:
    store = FakeStore()
    store_messages([message("m1")], store)
    status, answered = store_messages([message("m1")], store)
    assert status == "duplicate"
    assert answered[0]["status"] == "duplicate"
    assert store.counts == {"s1": 1}


def test_one_new_message_among_redelivered_ones_makes_the_delivery_stored() -> None:
    store = FakeStore()
    store_messages([message("m1")], store)
    status, answered = store_messages([message("m1"), message("m2", "s2")], store)
    assert status == "stored"
    assert [a["status"] for a in answered] == ["duplicate", "stored"]
    assert store.counts == {"s1": 1, "s2": 1}


def test_a_refused_message_is_rejected_alone_and_the_others_are_stored() -> None:
    store = FakeStore()
    status, answered = store_messages([message("reply:forged"), message("m1")], store)
    assert status == "stored"
    assert answered[0]["status"] == "rejected"
    assert "reserved for replies" in answered[0]["error"]
    assert set(store.messages) == {"m1"}
    only_refused, _ = store_messages([message("reply:forged")], FakeStore())
    assert only_refused == "rejected"


def test_a_reaction_is_kept_on_a_stored_message_once() -> None:
    store = FakeStore()
    react = Reaction(
        messageId="m1",
        senderId="s1",
        action="react",
        reaction="love",
        emoji="❤",
        timestamp="2026-12-02T10:01:00Z",
    )
    assert [a["status"] for a in store_reactions([react], store)] == ["unknown message"]
    store_messages([message("m1")], store)
    assert [a["status"] for a in store_reactions([react, react], store)] == ["kept", "unchanged"]
    assert store.counts == {"s1": 1}
