"""A smaller `make load` against the dev server: concurrency must not lose or double a message."""

from __future__ import annotations

import pytest
from inbox_dev import load
from inbox_dev.devprocess import DevServer

pytestmark = pytest.mark.e2e


def test_plan_mixes_redeliveries_after_their_originals_and_bad_bodies() -> None:
    deliveries = load.plan(200, 0.3, 0.05, seed=1)
    kinds = [d.kind for d in deliveries]
    assert (kinds.count("unique"), kinds.count("duplicate"), kinds.count("bad")) == (130, 60, 10)
    first_seen: dict[str, int] = {}
    for position, delivery in enumerate(deliveries):
        first_seen.setdefault(delivery.key, position)
        if delivery.kind == "duplicate":
            assert deliveries[first_seen[delivery.key]].kind == "unique"


def test_concurrent_deliveries_are_stored_exactly_once(
    dev_server: DevServer, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code = load.main(
        ["--url", dev_server.webhook_url, "--deliveries", "300", "--clients", "16", "--seed", "3"]
    )
    printed = capsys.readouterr().out
    assert exit_code == 0, printed
    assert "nothing lost, nothing stored twice, no 5xx" in printed


def test_check_reports_a_message_stored_twice_and_a_5xx() -> None:
    delivery = load.Delivery("unique", "u1", b"{}", "application/json")
    twin = load.Delivery("duplicate", "u1", b"{}", "application/json")
    outcomes = [load.Outcome(delivery, 200, "stored", 0.01), load.Outcome(twin, 503, "stored", 0.01)]
    problems = load.check(outcomes)
    assert any("5xx" in problem for problem in problems)
    assert any("stored 2 times" in problem for problem in problems)
