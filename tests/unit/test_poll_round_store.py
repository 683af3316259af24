"""A poll round's writes on the in-memory store (tests/fakes.py): what the round counts as stored
and duplicate is what the store answered, and re-reading the overlap stores nothing twice."""

from __future__ import annotations

from typing import cast

from inbox.polling.inbox_client import InboxClient
from inbox.polling.round import Poller, UsernameCache

from tests.fakes import FakeStore
from tests.unit.test_poll_round import NOW_MS, Clock, Inbox, conversation, message


def poller(inbox: Inbox, store: FakeStore) -> Poller:
    return Poller(cast(InboxClient, inbox), store, clock=Clock(), usernames=UsernameCache())


def test_a_round_stores_each_new_inbound_message_and_counts_it() -> None:
    inbox = Inbox(
        [conversation("a", NOW_MS - 1000), conversation("b", NOW_MS - 2000)],
        {
            "a": [message("a2", NOW_MS - 1000), message("a1", NOW_MS - 5000)],
            "b": [message("b1", NOW_MS - 2000), message("b0-reply", NOW_MS - 3000, inbound=False)],
        },
    )
    store = FakeStore()
    result = poller(inbox, store).run_round(NOW_MS - 60_000)
    assert (result.stored, result.duplicates) == (3, 0)
    assert set(store.messages) == {"a1", "a2", "b1"}  # the operator's own message is not polled in
    assert store.counts == {"a": 2, "b": 1}
    assert all(m.source != "webhook" for m in store.messages.values())


def test_the_next_round_over_the_overlap_answers_duplicate_and_counts_nothing_again() -> None:
    inbox = Inbox([conversation("a", NOW_MS - 1000)], {"a": [message("a1", NOW_MS - 1000)]})
    store = FakeStore()
    first = poller(inbox, store).run_round(NOW_MS - 60_000)
    again = poller(inbox, store).run_round(first.cursor_ms)
    assert (first.stored, again.stored, again.duplicates) == (1, 0, 1)
    assert store.counts == {"a": 1}


def test_a_message_stored_first_under_the_same_id_is_kept_and_the_round_counts_a_duplicate() -> None:
    inbox = Inbox([conversation("a", NOW_MS - 1000)], {"a": [message("a1", NOW_MS - 1000)]})
    store = FakeStore()
    first = FakeStore()
    poller(inbox, first).run_round(NOW_MS - 60_000)
    earlier = first.messages["a1"]._replace(source="webhook", text="from the webhook")
    assert store.put_message(earlier) == "stored"
    result = poller(inbox, store).run_round(NOW_MS - 60_000)
    assert (result.stored, result.duplicates) == (0, 1)
    assert store.messages["a1"].text == "from the webhook"
    assert store.counts == {"a": 1}
