"""One poller invocation's rules without AWS or HTTP (inbox.polling.invocation): settings, backoff."""

from __future__ import annotations

import random
from typing import cast

import pytest
from inbox.errors import InboxUnavailable, PollingDisabled
from inbox.polling.invocation import MAX_BACKOFF_SECONDS, PollerConfig, _Invocation
from inbox.polling.round import Poller
from inbox.polling.state import PollerState
from inbox.settings import Settings

from tests.unit.test_poll_round import Clock

CONFIGURED = {
    "polling/enabled": "true",
    "chatrace/token": "t",
    "chatrace/account-id": "1543616",
    "chatrace/inbox-url": "https://app.example/php/user",
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
        ({"chatrace/token": "-"}, ["chatrace/token is not set"]),
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
