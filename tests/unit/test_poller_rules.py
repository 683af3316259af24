"""The poller's rules without AWS or HTTP: settings, the cursor, paging stops, usernames, backoff."""

from __future__ import annotations

import random
from typing import Any, cast

import pytest
from inbox.chatrace_inbox import Conversation, InboxClient, InboxUnavailable
from inbox.fingerprints import TTL_DAYS
from inbox.models import NormalizedMessage
from inbox.poller import (
    CONVERSATION_PAGE,
    INITIAL_LOOKBACK_MS,
    MAX_BACKOFF_SECONDS,
    MAX_CONVERSATION_PAGES,
    MAX_LOOKBACK_MS,
    OVERLAP_MS,
    Poller,
    PollerConfig,
    PollingDisabled,
    UsernameCache,
    _Invocation,
)
from inbox.poller_state import PollerState
from inbox.settings import Settings
from inbox.store import MessageStore, WriteResult

NOW_MS = 1_731_499_260_000

CONFIGURED = {
    "polling/enabled": "true",
    "secrets/chatrace-token": "t",
    "chatrace/account-id": "1543616",
    "chatrace/inbox-url": "https://app.example/php/user",
}


class Clock:
    def __init__(self, now_ms: int = NOW_MS, remaining: float = 60.0) -> None:
        self.t = now_ms / 1000
        self.remaining = remaining

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds

    def remaining_seconds(self) -> float:
        return self.remaining


class Inbox:
    """Conversation pages and message pages, newest first, as the API would page them."""

    def __init__(
        self, conversations: list[dict[str, Any]], messages: dict[str, list[dict[str, Any]]] | None = None
    ):
        self.rows = conversations
        self.message_rows = messages or {}
        self.calls: list[tuple[str, int]] = []

    def conversations(self, *, offset: int, limit: int) -> list[object]:
        self.calls.append(("list", offset))
        return list(self.rows[offset : offset + limit])

    def messages(self, contact_id: str, *, offset: int, limit: int) -> list[object]:
        self.calls.append((contact_id, offset))
        return list(self.message_rows.get(contact_id, [])[offset : offset + limit])


class Store:
    def __init__(self) -> None:
        self.written: list[NormalizedMessage] = []

    def write_message(self, message: NormalizedMessage) -> WriteResult:
        self.written.append(message)
        return WriteResult("stored")


def poller(inbox: Inbox, store: Store | None = None, clock: Clock | None = None) -> Poller:
    return Poller(
        cast(InboxClient, inbox),
        cast(MessageStore, store or Store()),
        clock=clock or Clock(),
        usernames=UsernameCache(),
    )


def conversation(contact: str, at_ms: int, channel: str = "10") -> dict[str, Any]:
    return {"ms_id": contact, "channel": channel, "timestamp": str(at_ms)}


def message(message_id: str, at_ms: int, *, inbound: bool = True) -> dict[str, Any]:
    return {
        "id": message_id,
        "dir": "1" if inbound else "0",
        "timestamp": str(at_ms),
        "message": '[{"text":"x"}]',
    }


# ------------------------------------------------------------------------------- settings


def test_a_complete_configuration_enables_polling_with_the_default_interval() -> None:
    config = PollerConfig.from_settings(Settings(CONFIGURED))
    assert config == PollerConfig(
        inbox_url="https://app.example/php/user", account_id="1543616", token="t", interval_seconds=10
    )


@pytest.mark.parametrize(
    ("changes", "reasons"),
    [
        ({"polling/enabled": "false"}, ["polling/enabled is not true"]),
        ({"polling/enabled": "-"}, ["polling/enabled is not true"]),
        ({"secrets/chatrace-token": "-"}, ["secrets/chatrace-token is not set"]),
        (
            {"chatrace/account-id": "", "chatrace/inbox-url": "-"},
            ["chatrace/account-id is not set", "chatrace/inbox-url is not set"],
        ),
    ],
)
def test_anything_missing_disables_polling_and_is_named(changes: dict[str, str], reasons: list[str]) -> None:
    with pytest.raises(PollingDisabled) as caught:
        PollerConfig.from_settings(Settings({**CONFIGURED, **changes}))
    assert caught.value.reasons == reasons


@pytest.mark.parametrize(
    ("value", "interval"), [("5", 5), (" 60 ", 60), ("1", 1), ("0", 10), ("61", 10), ("soon", 10)]
)
def test_the_interval_is_read_within_bounds(value: str, interval: int) -> None:
    config = PollerConfig.from_settings(Settings({**CONFIGURED, "polling/interval-seconds": value}))
    assert config.interval_seconds == interval


def test_enabled_is_read_case_insensitively() -> None:
    assert PollerConfig.from_settings(Settings({**CONFIGURED, "polling/enabled": " TRUE "}))


# ------------------------------------------------------------------------------- the cursor


def test_the_cursor_moves_to_the_newest_conversation_listed() -> None:
    inbox = Inbox([conversation("a", NOW_MS - 1000), conversation("b", NOW_MS - 90_000, channel="0")])
    result = poller(inbox).run_round(NOW_MS - 60_000)
    assert result.cursor_ms == NOW_MS - 1000
    assert result.conversations_read == 1  # b is Messenger, and older than the floor


def test_the_cursor_never_passes_the_pollers_own_clock() -> None:
    inbox = Inbox([conversation("a", NOW_MS + 3_600_000)])  # a bogus time an hour ahead
    assert poller(inbox).run_round(NOW_MS - 60_000).cursor_ms == NOW_MS


def test_the_cursor_stays_when_nothing_was_listed() -> None:
    assert poller(Inbox([])).run_round(NOW_MS - 60_000).cursor_ms == NOW_MS - 60_000
    assert poller(Inbox([])).run_round(None).cursor_ms is None


def test_a_first_run_starts_at_the_lookback_and_never_sets_the_cursor_below_it() -> None:
    inbox = Inbox([conversation("old", NOW_MS - 86_400_000)], {"old": [message("m", NOW_MS - 86_400_000)]})
    store = Store()
    result = poller(inbox, store).run_round(None)
    assert result.cursor_ms == NOW_MS - INITIAL_LOOKBACK_MS
    assert store.written == []
    assert inbox.calls == [("list", 0)]


def test_a_cursor_older_than_the_fingerprints_remember_resumes_from_their_limit() -> None:
    """Past the fingerprints' TTL a webhook-stored message (derived id) would be stored again."""
    assert MAX_LOOKBACK_MS < TTL_DAYS * 86_400_000
    limit = NOW_MS - MAX_LOOKBACK_MS
    inbox = Inbox(
        [conversation("a", NOW_MS - 1000)],
        {"a": [message("new", NOW_MS - 1000), message("inside", limit + 1), message("forgotten", limit - 1)]},
    )
    store = Store()
    result = poller(inbox, store).run_round(NOW_MS - 40 * 86_400_000)  # 40 days without a round
    assert [m.messageId for m in store.written] == ["new", "inside"]
    assert result.cursor_ms == NOW_MS - 1000

    quiet = poller(Inbox([])).run_round(NOW_MS - 40 * 86_400_000)
    assert quiet.cursor_ms == limit + OVERLAP_MS  # nothing listed: the cursor still moves up to the limit


def test_listing_stops_at_the_first_page_that_reaches_the_floor() -> None:
    cursor = NOW_MS - 600_000
    rows = [conversation(f"c{i}", NOW_MS - i * 10_000) for i in range(100)]  # 10 s apart
    inbox = Inbox(rows)
    poller(inbox).run_round(cursor)
    floor = cursor - OVERLAP_MS  # 720 s back: conversation 72 is the first at or below it
    assert [c for c in inbox.calls if c[0] == "list"] == [("list", 0), ("list", 30), ("list", 60)]
    assert len([c for c in inbox.calls if c[0] != "list"]) == 72
    assert floor == NOW_MS - 720_000


def test_too_many_changed_conversations_keep_the_cursor() -> None:
    rows = [conversation(f"c{i}", NOW_MS - i) for i in range(CONVERSATION_PAGE * MAX_CONVERSATION_PAGES + 1)]
    result = poller(Inbox(rows)).run_round(NOW_MS - 60_000)
    assert result.cursor_ms == NOW_MS - 60_000


def test_only_inbound_messages_newer_than_the_floor_are_stored_and_paging_stops_at_the_floor() -> None:
    cursor = NOW_MS - 300_000
    rows = [message(f"m{i}", NOW_MS - i * 5_000, inbound=i % 3 != 0) for i in range(150)]
    inbox = Inbox([conversation("a", NOW_MS)], {"a": rows})
    store = Store()
    poller(inbox, store).run_round(cursor)
    floor = cursor - OVERLAP_MS  # 420 s back: messages 0..83 are newer
    expected = [f"m{i}" for i in range(84) if i % 3 != 0]
    assert [m.messageId for m in store.written] == expected
    assert [c for c in inbox.calls if c[0] == "a"] == [("a", 0)]  # message 99 is past the floor already
    assert all(int(r["timestamp"]) > floor for r in rows[:84])


# ------------------------------------------------------------------------------- usernames


def test_usernames_are_remembered_per_contact_within_a_bound() -> None:
    cache = UsernameCache(size=2)

    def seen(contact: str, name: str | None) -> str | None:
        return cache.username(
            Conversation(contact_id=contact, channel="10", timestamp_ms=None, username=name)
        )

    assert seen("a", "anna") == "anna"
    assert seen("a", None) == "anna"
    assert seen("b", "bob") == "bob"
    assert seen("c", "cy") == "cy"
    assert seen("a", None) is None  # the oldest was forgotten
    assert seen("b", None) == "bob"


# ------------------------------------------------------------------------------- backoff


class State:
    def record_error(self, owner: str, *, at: str, reason: str) -> None:
        pass


@pytest.mark.parametrize("seed", range(20))
def test_backoff_is_jittered_between_the_interval_and_a_growing_ceiling(seed: int) -> None:
    invocation = _Invocation(
        cast(Poller, None),
        cast(PollerState, State()),
        Clock(),
        "me",
        PollerConfig(inbox_url="u", account_id="1", token="t", interval_seconds=10),
        random.Random(seed),
    )
    delays = [invocation._failed(InboxUnavailable("HTTP 500")) for _ in range(5)]
    for failures, delay in enumerate(delays, start=1):
        assert 10 <= delay <= min(MAX_BACKOFF_SECONDS, 10 * 2**failures)
    assert invocation._failed(InboxUnavailable("HTTP 429", retry_after=45)) >= 45
