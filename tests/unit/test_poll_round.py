"""One poll round's rules without AWS or HTTP (inbox.polling.round): the cursor, paging stops, usernames."""

from __future__ import annotations

from typing import Any, cast

from inbox.models import NormalizedMessage
from inbox.polling.inbox_client import Conversation, InboxClient
from inbox.polling.round import (
    CONVERSATION_PAGE,
    INITIAL_LOOKBACK_MS,
    MAX_CONVERSATION_PAGES,
    MAX_CONVERSATION_READS,
    MAX_LOOKBACK_MS,
    OVERLAP_MS,
    Poller,
    UsernameCache,
)
from inbox.storage.fingerprints import TTL_DAYS
from inbox.storage.store import MessageStore, WriteResult

NOW_MS = 1_731_499_260_000


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

    def t_ms(self) -> int:
        return int(self.t * 1000)


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


def backlog_of(count: int, *, apart_ms: int = 1000, cursor: int = NOW_MS - 3_600_000) -> Inbox:
    """``count`` changed Instagram conversations, each with one new inbound message."""
    rows = [conversation(f"c{i}", NOW_MS - i * apart_ms) for i in range(count)]
    messages = {f"c{i}": [message(f"m{i}", NOW_MS - i * apart_ms)] for i in range(count)}
    assert NOW_MS - count * apart_ms > cursor
    return Inbox(rows, messages)


def test_a_backlog_bigger_than_a_round_is_read_over_rounds_and_then_the_cursor_moves() -> None:
    inbox, store, clock = backlog_of(MAX_CONVERSATION_READS + 150), Store(), Clock()
    cursor = NOW_MS - 3_600_000

    first = poller(inbox, store, clock).run_round(cursor)
    assert (first.conversations_read, first.cursor_ms) == (MAX_CONVERSATION_READS, cursor)
    assert first.backlog is not None
    assert first.backlog.floor_ms == cursor - OVERLAP_MS
    assert [m.messageId for m in store.written] == [f"m{i}" for i in range(MAX_CONVERSATION_READS)]

    # Meanwhile a customer writes again in a conversation read already, and a new one starts
    clock.sleep(10)
    inbox.rows.insert(0, conversation("c3", clock.t_ms()))
    inbox.message_rows["c3"].insert(0, message("m3-again", clock.t_ms()))
    inbox.rows.insert(0, conversation("new", clock.t_ms()))
    inbox.message_rows["new"] = [message("m-new", clock.t_ms())]
    inbox.calls.clear()

    second = poller(inbox, store, clock).run_round(cursor, first.backlog)
    assert second.backlog is None
    assert second.cursor_ms == clock.t_ms()  # the newest conversation listed
    read = [contact for contact, _ in inbox.calls if contact != "list"]
    assert read[:2] == ["new", "c3"]  # changed since: read again
    # c0..c119 changed within the overlap before the first round began: read again, in case Chatrace
    # stamped a message into them late; c120..c599 are skipped; the rest are read for the first time.
    again = [f"c{i}" for i in range(120) if i != 3]
    assert read[2:] == again + [f"c{i}" for i in range(MAX_CONVERSATION_READS, MAX_CONVERSATION_READS + 150)]
    ids = [m.messageId for m in store.written]
    assert len(ids) == len(set(ids)) + 1 + len(again)  # m3 (c3 changed) and the overlap, nothing else
    assert set(ids) == {f"m{i}" for i in range(MAX_CONVERSATION_READS + 150)} | {"m-new", "m3-again"}


class RunsOut(Clock):
    """An invocation whose time runs out after ``requests`` requests (a slow Chatrace)."""

    def __init__(self, requests: int) -> None:
        super().__init__()
        self.left = requests

    def remaining_seconds(self) -> float:
        self.left -= 1
        return 60.0 if self.left >= 0 else 0.0


def test_a_round_cut_short_keeps_what_it_read_for_the_next_round() -> None:
    inbox, store = backlog_of(40, apart_ms=10_000), Store()
    cursor = NOW_MS - 3_600_000

    first = poller(inbox, store, RunsOut(requests=2 + 25)).run_round(cursor)  # two listing pages, 25 reads
    assert first.cut_short
    assert first.cursor_ms == cursor
    assert len(store.written) == 25
    assert first.backlog is not None
    assert first.backlog.done_from_ms == NOW_MS - 25 * 10_000 + 1  # c25 was next: c0..c24 are done

    inbox.calls.clear()
    second = poller(inbox, store, Clock(NOW_MS + 10_000)).run_round(cursor, first.backlog)
    assert (second.cut_short, second.backlog, second.cursor_ms) == (False, None, NOW_MS)
    # c0..c11 changed within the overlap before the first round began: read again; c12..c24 skipped
    assert [c for c, _ in inbox.calls if c != "list"] == [f"c{i}" for i in [*range(12), *range(25, 40)]]
    ids = [m.messageId for m in store.written]
    assert set(ids) == {f"m{i}" for i in range(40)}
    assert len(ids) == 40 + 12  # the overlap's, read twice (the store answers those duplicate)


def test_a_backlog_without_a_time_to_vouch_for_makes_no_progress_claim() -> None:
    rows = [conversation(f"c{i}", NOW_MS - i * 1000) for i in range(MAX_CONVERSATION_READS + 1)]
    rows[-1] = {"ms_id": "undated", "channel": "10"}  # the one left over has no time
    result = poller(Inbox(rows)).run_round(NOW_MS - 3_600_000)
    assert result.backlog is None
    assert result.cursor_ms == NOW_MS - 3_600_000


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
