"""inbox.operator.login_throttle's pure parts: which counter an address or email falls in, and the delays."""

from __future__ import annotations

import pytest
from inbox.operator.login_throttle import (
    ACCOUNT_POLICY,
    ADDRESS_POLICY,
    Policy,
    account_subject,
    address_subject,
)


@pytest.mark.parametrize(
    ("source_ip", "subject"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("", "unknown"),
        (None, "unknown"),
        ("203.0.113.7, 10.0.0.1", "unknown"),  # a forwarded list is never taken apart
        ("not-an-address", "unknown"),
    ],
)
def test_addresses_map_to_one_counter_per_host(source_ip: str | None, subject: str) -> None:
    assert address_subject(source_ip) == subject


def test_an_email_is_counted_as_compared_and_never_kept() -> None:
    assert account_subject(" Boss@Example.COM ") == account_subject("boss@example.com")
    assert account_subject("boss@example.com") != account_subject("other@example.com")
    assert "boss" not in account_subject("boss@example.com")


def test_delays_start_after_the_free_failures_double_and_stop_at_the_cap() -> None:
    policy = Policy(free_failures=3, first_delay_seconds=5, max_delay_seconds=60)
    assert [policy.delay_after(n) for n in range(1, 10)] == [0, 0, 5, 10, 20, 40, 60, 60, 60]
    assert policy.delay_after(10_000) == 60


def test_the_documented_numbers() -> None:
    assert (
        ADDRESS_POLICY.free_failures,
        ADDRESS_POLICY.first_delay_seconds,
        ADDRESS_POLICY.max_delay_seconds,
    ) == (
        5,
        30,
        900,
    )
    assert (
        ACCOUNT_POLICY.free_failures,
        ACCOUNT_POLICY.first_delay_seconds,
        ACCOUNT_POLICY.max_delay_seconds,
    ) == (
        10,
        2,
        60,
    )
