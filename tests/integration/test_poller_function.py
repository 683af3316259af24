"""functions/poller/app.py and inbox.polling (invocation, round) against moto and the fake Chatrace.

The schedule never fires under moto: tests call the handler (one round: a 20 s context leaves no
time for a second) or ``run_invocation`` with a fake clock, whose sleeps take no time, for the
in-invocation loop.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from inbox.errors import LeaseLost
from inbox.polling import round as poll_round
from inbox.polling.round import OVERLAP_MS
from inbox.polling.state import PollerState, read_poller_status
from inbox.settings import (
    CHATRACE_ACCOUNT_ID,
    CHATRACE_INBOX_URL,
    CHATRACE_TOKEN,
    DEFAULT_POLL_INTERVAL_SECONDS,
    POLL_INTERVAL_SECONDS,
)
from inbox_dev.fake_chatrace import DEFAULT_TOKEN, FakeChatrace
from inbox_dev.lambdas import LambdaContext
from inbox_dev.local_aws import LocalStack

from tests.conftest import LogCapture, use_function_environment
from tests.integration.poller_support import (
    FakeClock,
    enable_polling,
    messages,
    run_poller,
    set_settings,
    stored,
)

CONTACT = "2850008055041461"


@pytest.fixture
def secrets(fake_chatrace: FakeChatrace) -> dict[str, str]:
    return {CHATRACE_TOKEN: fake_chatrace.token}


@pytest.fixture
def fake(stack: LocalStack, fake_chatrace: FakeChatrace, monkeypatch: pytest.MonkeyPatch) -> FakeChatrace:
    """Polling on, pointed at the fake (as an operator would set it), in the poller's environment."""
    use_function_environment(stack, "PollerFunction", monkeypatch)
    return enable_polling(stack, fake_chatrace)


def invoke(module: ModuleType, timeout: int = 20) -> dict[str, Any]:
    result: dict[str, Any] = module.lambda_handler({}, LambdaContext("PollerFunction", 512, timeout))
    return result


run = run_poller


# ------------------------------------------------------------------------------- disabled


def test_polling_is_off_by_default_with_one_info_line(
    poller_module: ModuleType, fake_chatrace: FakeChatrace, logs: LogCapture
) -> None:
    answer = invoke(poller_module)
    assert answer["status"] == "disabled"
    (line,) = logs.named("polling disabled")
    assert line["level"] == "INFO"
    assert set(line["reasons"]) == {
        "polling/enabled is not true",
        "chatrace/account-id is not set",
        "chatrace/inbox-url is not set",
    }
    assert fake_chatrace.inbox_requests() == []
    assert not [r for r in logs.records() if r["level"] in ("WARNING", "ERROR")]


@pytest.mark.parametrize("secrets", [{}], ids=["no token"])
def test_polling_without_a_token_is_disabled_and_says_which_setting(
    stack: LocalStack, fake_chatrace: FakeChatrace, poller_module: ModuleType, logs: LogCapture
) -> None:
    set_settings(
        stack,
        {
            "polling/enabled": "true",
            CHATRACE_ACCOUNT_ID: fake_chatrace.account_id,
            CHATRACE_INBOX_URL: fake_chatrace.inbox_url,
        },
    )
    assert invoke(poller_module)["reasons"] == ["chatrace/token is not set"]
    assert len(logs.named("polling disabled")) == 1
    assert fake_chatrace.inbox_requests() == []


def test_unset_marker_counts_as_not_set(
    stack: LocalStack, fake: FakeChatrace, poller_module: ModuleType
) -> None:
    set_settings(stack, {CHATRACE_INBOX_URL: "-"})
    assert invoke(poller_module)["reasons"] == ["chatrace/inbox-url is not set"]


# ------------------------------------------------------------------------------- one round


def test_a_new_inbound_message_is_stored_with_source_poller(
    poller_module: ModuleType, fake: FakeChatrace, table_name: str, logs: LogCapture
) -> None:
    row = fake.add_message(
        CONTACT,
        "Is the blue dress still available?",
        attachments=[("image", "https://cdn.example/p.jpg?sig=abc")],
        username="anna.k",
    )
    answer = invoke(poller_module)
    assert answer == {"status": "ok", "rounds": 1, "failedRounds": 0, "stored": 1, "duplicates": 0}
    item = stored(table_name, row["id"])
    assert item is not None
    assert item["source"] == {"S": "poller"}
    assert item["format"] == {"S": "inbox"}
    assert item["senderId"] == {"S": CONTACT}
    assert item["username"] == {"S": "anna.k"}
    assert item["text"] == {"S": "Is the blue dress still available?"}
    assert item["attachments"]["L"][0]["M"]["url"] == {"S": "https://cdn.example/p.jpg?sig=abc"}
    assert item["timestamp"]["S"].endswith("Z")

    (start,) = logs.named("starting polling")
    assert start["intervalSeconds"] == DEFAULT_POLL_INTERVAL_SECONDS
    (round_line,) = logs.named("poll round")
    assert (round_line["conversationsRead"], round_line["messagesRead"], round_line["stored"]) == (1, 1, 1)
    (message_line,) = logs.named("message stored")
    assert (message_line["messageId"], message_line["source"]) == (row["id"], "poller")


def test_requests_carry_the_token_the_mobile_user_agent_and_the_account(
    poller_module: ModuleType, fake: FakeChatrace
) -> None:
    fake.add_message(CONTACT, "hello")
    invoke(poller_module)
    requests = fake.inbox_requests()
    assert {r["token"] for r in requests} == {fake.token}
    assert {r["userAgent"] for r in requests} == {"mobile-app"}
    listing, reading = requests[0]["body"], requests[1]["body"]
    assert listing == {"account_id": 1543616, "op": "conversations", "op1": "get", "offset": 0, "limit": 30}
    assert reading["id"] == CONTACT


def test_only_inbound_instagram_messages_are_stored(
    poller_module: ModuleType, fake: FakeChatrace, table_name: str
) -> None:
    inbound = fake.add_message(CONTACT, "from the customer")
    fake.add_message(CONTACT, "from the bot", inbound=False)
    fake.add_message("1987001122334455", "hello from Messenger", channel="0")
    fake.add_message(CONTACT, raw_message=json.dumps([{"type": "typing"}]))
    invoke(poller_module)
    assert [item["messageId"]["S"] for item in messages(table_name)] == [inbound["id"]]
    assert [r["body"].get("id") for r in fake.inbox_requests()] == [None, CONTACT]


def test_the_sample_message_decodes_text_and_skips_typing(
    poller_module: ModuleType, fake: FakeChatrace, table_name: str
) -> None:
    parts = [{"text": "Hi there", "dir": 1, "channel": 10}, {"type": "typing"}]
    row = fake.add_message(CONTACT, raw_message=json.dumps(parts))
    invoke(poller_module)
    item = stored(table_name, row["id"])
    assert item is not None
    assert item["text"] == {"S": "Hi there"}
    assert item["attachments"] == {"L": []}


def test_one_unreadable_message_never_blocks_the_rest(
    poller_module: ModuleType, fake: FakeChatrace, table_name: str, logs: LogCapture
) -> None:
    now = int(time.time() * 1000)
    fake.add_message(CONTACT, raw_message='[{"text": "cut off', timestamp_ms=now - 2000, message_id="broken")
    good = fake.add_message(CONTACT, "still here", timestamp_ms=now - 1000)
    answer = invoke(poller_module)
    assert (answer["rounds"], answer["stored"]) == (1, 1)
    assert stored(table_name, good["id"]) is not None
    (skipped,) = logs.named("unreadable inbox message skipped")
    assert skipped["messageId"] == "broken"
    assert read_poller_status(table_name).cursor_ms is not None  # the cursor moved past it


@pytest.mark.parametrize("bad_id", ["😀" * 512, "reply:0123456789abcdef"], ids=["2-kb-id", "reply-id"])
def test_a_polled_message_the_store_refuses_is_skipped_and_the_rest_stored(
    poller_module: ModuleType, fake: FakeChatrace, table_name: str, logs: LogCapture, bad_id: str
) -> None:
    """docs/security.md §4 and §9: an id the store refuses never stops the round or the cursor."""
    now = int(time.time() * 1000)
    fake.add_message(CONTACT, "refused", timestamp_ms=now - 2000, message_id=bad_id)
    good = fake.add_message(CONTACT, "still here", timestamp_ms=now - 1000)
    answer = invoke(poller_module)
    assert (answer["status"], answer["rounds"], answer["failedRounds"], answer["stored"]) == ("ok", 1, 0, 1)
    assert stored(table_name, good["id"]) is not None
    (refused,) = logs.named("inbox message refused")
    assert refused["messageId"] == bad_id[:100]
    assert read_poller_status(table_name).cursor_ms == int(good["timestamp"])


def test_a_redelivered_poll_is_a_duplicate_and_the_cursor_moves_forward(
    poller_module: ModuleType, fake: FakeChatrace, table_name: str
) -> None:
    first = fake.add_message(CONTACT, "first", timestamp_ms=int(time.time() * 1000) - 5000)
    assert invoke(poller_module)["stored"] == 1
    cursor = read_poller_status(table_name).cursor_ms
    assert cursor == int(first["timestamp"])
    second = fake.add_message(CONTACT, "second")
    again = invoke(poller_module)
    # The overlap window re-reads "first": a duplicate, never a second copy.
    assert (again["stored"], again["duplicates"]) == (1, 1)
    assert {item["messageId"]["S"] for item in messages(table_name)} == {first["id"], second["id"]}
    assert read_poller_status(table_name).cursor_ms == int(second["timestamp"])


def test_username_is_remembered_per_contact_when_later_rows_omit_it(
    poller_module: ModuleType, fake: FakeChatrace, table_name: str
) -> None:
    contact = f"contact-{time.time_ns()}"
    fake.add_message(contact, "one", username="remembered")
    invoke(poller_module)
    fake.conversations[contact].username = None
    later = fake.add_message(contact, "two")
    invoke(poller_module)
    item = stored(table_name, later["id"])
    assert item is not None
    assert item["username"] == {"S": "remembered"}


def test_no_username_from_the_inbox_api_is_stored_as_null(
    poller_module: ModuleType, fake: FakeChatrace, table_name: str
) -> None:
    row = fake.add_message(f"contact-{time.time_ns()}", "hi")
    invoke(poller_module)
    item = stored(table_name, row["id"])
    assert item is not None
    assert "username" not in item


def test_conversations_and_messages_are_paged_with_offset(
    stack: LocalStack, fake: FakeChatrace, table_name: str
) -> None:
    now = int(time.time() * 1000)
    for index in range(35):
        fake.add_message(f"contact-{index}", f"hello {index}", timestamp_ms=now - index * 1000)
    for index in range(120):
        fake.add_message(CONTACT, f"busy {index}", timestamp_ms=now - 40_000 - index * 10)
    assert run(table_name, FakeClock(budget=20)).stored == 35 + 120
    listings = [r["body"]["offset"] for r in fake.inbox_requests() if "id" not in r["body"]]
    busy = [r["body"]["offset"] for r in fake.inbox_requests() if r["body"].get("id") == CONTACT]
    assert listings == [0, 30]
    assert busy == [0, 100]


def test_first_run_reads_only_recent_conversations(
    poller_module: ModuleType, fake: FakeChatrace, table_name: str
) -> None:
    old = fake.add_message("old-contact", "last week", timestamp_ms=int(time.time() * 1000) - 7 * 86_400_000)
    recent = fake.add_message(CONTACT, "just now")
    invoke(poller_module)
    assert stored(table_name, recent["id"]) is not None
    assert stored(table_name, old["id"]) is None
    assert [r["body"].get("id") for r in fake.inbox_requests()] == [None, CONTACT]


# ------------------------------------------------------------------------------- the loop


def test_one_invocation_polls_every_interval_until_its_time_runs_short(
    stack: LocalStack, fake: FakeChatrace, table_name: str, logs: LogCapture
) -> None:
    clock = FakeClock(budget=70)
    summary = run(table_name, clock)
    # Rounds at 0, 10, ..., 50 s; at 60 s only 10 s would be left (< 15 s for a round).
    assert (summary.status, summary.rounds) == ("ok", 6)
    assert clock.sleeps == [pytest.approx(10, abs=1)] * 5
    assert len(logs.named("poll round")) == 6
    assert read_poller_status(table_name).lease_owner is None  # released at the end


def test_the_interval_setting_is_used(stack: LocalStack, fake: FakeChatrace, table_name: str) -> None:
    set_settings(stack, {POLL_INTERVAL_SECONDS: "5"})
    clock = FakeClock(budget=70)
    assert run(table_name, clock).rounds == 12  # 0, 5, ..., 55 s (15 s left at 55 s is enough)
    assert clock.sleeps[0] == pytest.approx(5, abs=1)


def test_a_message_added_between_rounds_is_stored_by_the_next_round(
    stack: LocalStack, fake: FakeChatrace, table_name: str
) -> None:
    class AddsAMessage(FakeClock):
        added: dict[str, Any] | None = None

        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)
            if self.added is None:
                self.added = fake.add_message(
                    CONTACT, "arrived while sleeping", timestamp_ms=int(self.t * 1000)
                )

    clock = AddsAMessage(budget=30)
    summary = run(table_name, clock)
    assert summary.stored == 1
    assert clock.added is not None
    assert stored(table_name, clock.added["id"]) is not None


# ------------------------------------------------------------------------------- faults


@pytest.mark.parametrize("fault", ["429", "500", "503", "malformed", "error200"])
def test_transient_faults_back_off_keep_the_cursor_and_lose_nothing(
    stack: LocalStack, fake: FakeChatrace, table_name: str, logs: LogCapture, fault: str
) -> None:
    row = fake.add_message(CONTACT, f"survives {fault}")
    fake.fail(fault, times=2)
    clock = FakeClock(budget=70)
    summary = run(table_name, clock)
    assert summary.failed_rounds == 2
    assert summary.stored == 1
    assert len(messages(table_name)) == 1
    assert stored(table_name, row["id"]) is not None
    failures = logs.named("poll round failed; backing off (cursor kept)")
    assert [f["failures"] for f in failures] == [1, 2]
    # Backoff with jitter: never sooner than the interval, growing with each failure.
    assert 10 <= clock.sleeps[0] <= 20
    assert 10 <= clock.sleeps[1] <= 40
    assert read_poller_status(table_name).last_error is not None


def test_timeouts_back_off_and_lose_nothing(
    stack: LocalStack, fake: FakeChatrace, table_name: str, logs: LogCapture
) -> None:
    fake.slow_seconds = 1.0
    row = fake.add_message(CONTACT, "slow but safe")
    fake.fail("slow", times=1)
    summary = run(table_name, FakeClock(budget=30), timeout=0.3)
    assert (summary.failed_rounds, summary.stored) == (1, 1)
    assert stored(table_name, row["id"]) is not None
    (failure,) = logs.named("poll round failed; backing off (cursor kept)")
    assert "timed out" in failure["reason"]


def test_a_failed_round_keeps_the_cursor(stack: LocalStack, fake: FakeChatrace, table_name: str) -> None:
    fake.add_message(CONTACT, "before", timestamp_ms=int(time.time() * 1000) - 1000)
    run(table_name, FakeClock(budget=20))
    cursor = read_poller_status(table_name).cursor_ms
    fake.add_message(CONTACT, "after")
    fake.fail("500", times=None)
    summary = run(table_name, FakeClock(budget=40), owner="invocation-2")
    assert (summary.rounds, summary.failed_rounds) == (0, 2)
    assert read_poller_status(table_name).cursor_ms == cursor


def test_retry_after_is_honoured(stack: LocalStack, fake: FakeChatrace, table_name: str) -> None:
    set_settings(stack, {POLL_INTERVAL_SECONDS: "1"})
    fake.fail("429", times=1)  # the fake sends Retry-After: 1
    clock = FakeClock(budget=20)
    run(table_name, clock)
    assert clock.sleeps[0] >= 1


@pytest.mark.parametrize("fault", ["401", "403", "token-error200"])
def test_a_rejected_token_is_said_once_recorded_and_stops_the_invocation(
    stack: LocalStack, fake: FakeChatrace, table_name: str, logs: LogCapture, fault: str
) -> None:
    fake.add_message(CONTACT, "waiting", timestamp_ms=int(time.time() * 1000) - 1000)
    run(table_name, FakeClock(budget=20))
    cursor = read_poller_status(table_name).cursor_ms
    fake.add_message(CONTACT, "not yet")
    fake.fail(fault, times=None)
    clock = FakeClock(budget=70)
    summary = run(table_name, clock, owner="invocation-2")
    assert (summary.status, summary.rounds) == ("token rejected", 0)
    assert clock.sleeps == []  # stops at once, until the next invocation
    (error,) = [r for r in logs.records() if r["level"] == "ERROR"]
    assert error["message"].startswith("Chatrace rejected the token")
    status = read_poller_status(table_name)
    assert status.token_status == "rejected"
    assert status.token_checked_at is not None
    assert status.cursor_ms == cursor
    assert status.lease_owner is None


def test_token_health_turns_ok_again_after_a_good_round(
    stack: LocalStack, fake: FakeChatrace, table_name: str
) -> None:
    fake.fail("401", times=1)
    run(table_name, FakeClock(budget=20))
    assert read_poller_status(table_name).token_status == "rejected"
    run(table_name, FakeClock(budget=20), owner="invocation-2")
    status = read_poller_status(table_name)
    assert status.token_status == "ok"
    assert status.to_json()["token"]["status"] == "ok"


def test_a_wrong_token_in_settings_is_rejected_by_the_api(
    stack: LocalStack, fake: FakeChatrace, table_name: str, logs: LogCapture
) -> None:
    fake.token = "rotated-elsewhere"
    summary = run(table_name, FakeClock(budget=20))
    assert summary.status == "token rejected"
    assert "HTTP 401" in (summary.detail or "")
    assert DEFAULT_TOKEN not in logs.text  # the token sent (the seeded secret) is never logged


# ------------------------------------------------------------------------------- lease


def test_an_invocation_waits_while_another_holds_the_lease(
    stack: LocalStack, fake: FakeChatrace, table_name: str, logs: LogCapture
) -> None:
    row = fake.add_message(CONTACT, "one poller at a time")
    clock = FakeClock(budget=70)
    held_until = int((clock.now() + 25) * 1000)
    assert PollerState(table_name).acquire("other", now_ms=int(clock.now() * 1000), expires_ms=held_until)
    summary = run(table_name, clock)
    # Tries at 0, 10, 20 s are refused; at 30 s the other's lease has expired.
    assert len(logs.named("another invocation is polling; waiting for its lease")) == 1
    assert summary.rounds == 3  # 30, 40, 50 s
    assert stored(table_name, row["id"]) is not None


def test_the_lease_is_exclusive_until_released_or_expired(table_name: str) -> None:
    state = PollerState(table_name)
    assert state.acquire("a", now_ms=1_000, expires_ms=60_000) is not None
    assert state.acquire("b", now_ms=2_000, expires_ms=60_000) is None
    assert state.acquire("a", now_ms=3_000, expires_ms=70_000) is not None  # renewing is fine
    state.release("b")  # not b's: no effect
    assert state.acquire("b", now_ms=4_000, expires_ms=60_000) is None
    state.release("a")
    assert state.acquire("b", now_ms=5_000, expires_ms=60_000) is not None
    assert state.acquire("c", now_ms=60_001, expires_ms=90_000) is not None  # b's expired


def test_only_the_lease_holder_moves_the_cursor(table_name: str) -> None:
    state = PollerState(table_name)
    state.acquire("a", now_ms=1_000, expires_ms=2_000)
    state.acquire("b", now_ms=3_000, expires_ms=9_000)
    with pytest.raises(LeaseLost):
        state.record_round("a", cursor_ms=5_000, at="2024-11-13T12:00:00Z")
    assert read_poller_status(table_name).cursor_ms is None


def test_overlap_window_is_re_read(stack: LocalStack, fake: FakeChatrace, table_name: str) -> None:
    """A message Chatrace stamps a little before the cursor (written late) is still found."""
    now = int(time.time() * 1000)
    fake.add_message(CONTACT, "newest", timestamp_ms=now)
    run(table_name, FakeClock(budget=20))
    late = fake.add_message("late-contact", "stamped early", timestamp_ms=now - OVERLAP_MS // 2)
    run(table_name, FakeClock(budget=20), owner="invocation-2")
    assert stored(table_name, late["id"]) is not None


def test_a_backlog_bigger_than_a_round_is_caught_up_over_rounds_and_invocations(
    stack: LocalStack,
    fake: FakeChatrace,
    table_name: str,
    logs: LogCapture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given eight changed conversations, 100 s apart, and rounds that read at most four
    monkeypatch.setattr(poll_round, "MAX_CONVERSATION_READS", 4)
    now = int(time.time() * 1000)
    rows = [fake.add_message(f"contact-{i}", f"text {i}", timestamp_ms=now - i * 100_000) for i in range(8)]

    # When one invocation has time for a single round
    run(table_name, FakeClock(budget=20))

    # Then it stored the newest four and kept its progress, not the cursor
    status = read_poller_status(table_name)
    assert [stored(table_name, row["id"]) is not None for row in rows] == [True] * 4 + [False] * 4
    assert status.cursor_ms is None
    assert status.backlog is not None
    assert status.to_json()["catchingUpFrom"] is not None

    # And the next invocation goes on below what was read, until a round moves the cursor
    summary = run(table_name, FakeClock(budget=70), owner="invocation-2")
    assert all(stored(table_name, row["id"]) is not None for row in rows)
    assert len(messages(table_name)) == 8
    status = read_poller_status(table_name)
    assert status.backlog is None
    assert status.cursor_ms == now
    rounds = logs.named("poll round")
    assert [r.get("backlog") is not None for r in rounds[:3]] == [True, True, False]  # None is left out
    assert summary.stored == 4


def test_a_round_cut_short_by_a_slow_chatrace_records_its_progress_and_ends_the_invocation(
    stack: LocalStack, fake: FakeChatrace, table_name: str, logs: LogCapture
) -> None:
    class RunsOut(FakeClock):
        """Time for the lease, the listing and three conversations, then the invocation is ending."""

        requests = 0

        def remaining_seconds(self) -> float:
            self.requests += 1
            return super().remaining_seconds() if self.requests <= 5 else 1.0

    now = int(time.time() * 1000)
    rows = [fake.add_message(f"slow-{i}", f"text {i}", timestamp_ms=now - i * 200_000) for i in range(4)]

    summary = run(table_name, RunsOut(budget=70))

    assert (summary.status, summary.rounds, summary.stored) == ("ok", 1, 3)
    (line,) = logs.named("round cut short: the invocation is ending (cursor kept, progress kept)")
    assert line["backlog"]["doneFrom"]
    status = read_poller_status(table_name)
    assert status.cursor_ms is None
    assert status.backlog is not None
    assert status.backlog.covers(now - 400_000)  # the third conversation: read, and older than the overlap
    assert stored(table_name, rows[3]["id"]) is None

    run(table_name, FakeClock(budget=20), owner="invocation-2")
    assert stored(table_name, rows[3]["id"]) is not None
    assert read_poller_status(table_name).backlog is None


# ------------------------------------------------------------------------------- metrics


def test_rounds_publish_the_poller_metrics(
    stack: LocalStack, fake: FakeChatrace, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.add_message(CONTACT, "counted")
    fake.fail("500", times=1)
    run(table_name, FakeClock(budget=30))
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    totals: dict[str, float] = {}
    for blob in blobs:
        for definition in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            name = definition["Name"]
            value = blob[name]
            totals[name] = totals.get(name, 0) + (sum(value) if isinstance(value, list) else value)
    assert totals["PollErrors"] == 1
    assert totals["PollRounds"] == 1
    assert totals["MessagesPolled"] == 1
    assert totals["MessagesStored"] == 1
    assert totals["DeliveryGap"] == 1
    assert totals["PollLagSeconds"] >= 0  # one value: the stored message's age when the poller stored it
    assert sum("PollLagSeconds" in blob for blob in blobs) == 1
    assert {blob["_aws"]["CloudWatchMetrics"][0]["Namespace"] for blob in blobs} == {"ChatraceInbox"}


@pytest.fixture(autouse=True)
def _fresh_usernames() -> Iterator[None]:
    yield
    poll_round.USERNAMES = poll_round.UsernameCache()
