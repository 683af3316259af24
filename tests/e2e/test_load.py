"""A smaller `make load` against the dev server: concurrency must not lose or double a message."""

from __future__ import annotations

import socket
import time
from typing import cast

import pytest
from inbox_dev import load
from inbox_dev import server as dev
from inbox_dev.devprocess import DevServer
from inbox_dev.secrets import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD

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


@pytest.mark.parametrize(
    ("deliveries", "clients", "seed"),
    [
        pytest.param("300", "16", "3", id="concurrent"),
        # issue 14's burst, smaller: 64 clients that each open a connection at once
        pytest.param("128", "64", "5", id="burst-of-64"),
    ],
)
def test_concurrent_deliveries_get_no_5xx_and_are_stored_exactly_once(
    dev_server: DevServer, capsys: pytest.CaptureFixture[str], deliveries: str, clients: str, seed: str
) -> None:
    exit_code = load.main(
        ["--url", dev_server.webhook_url, "--deliveries", deliveries, "--clients", clients, "--seed", seed]
    )
    printed = capsys.readouterr().out
    # Then no answer is a 5xx, every answer is counted right (load.check) and every message is read
    # back once through the operator API (load.verify_stored)
    assert exit_code == 0, printed
    assert "every stored message is listed once, under its answered id" in printed
    assert "nothing lost, nothing stored twice, no 5xx" in printed


def test_the_dev_server_queues_64_connections_arriving_at_once() -> None:
    # Given the dev server's listening socket, before it accepts anything
    server = dev.make_server(cast(dev.LocalApi, None), "127.0.0.1", 0)
    clients = [socket.socket() for _ in range(64)]
    try:
        for client in clients:
            client.setblocking(False)
            client.connect_ex(server.server_address[:2])
        time.sleep(0.5)  # the kernel completes the handshakes it has room for
        # Then all 64 wait to be accepted (socketserver's default backlog of 5 kept 6; the kernel
        # dropped the rest, and each such client waited a second or more to retry)
        server.socket.setblocking(False)
        accepted = 0
        while True:
            try:
                connection, _ = server.socket.accept()
            except BlockingIOError:
                break
            connection.close()
            accepted += 1
        assert accepted == 64
    finally:
        for client in clients:
            client.close()
        server.server_close()


def test_verify_stored_reports_a_message_missing_from_the_listing(dev_server: DevServer) -> None:
    # Given an answer that names a message the store never listed
    delivery = load.Delivery("unique", "u1", b"{}", "application/json")
    ghost = ("1000000000000001", "never-stored", "a text no message has")
    outcomes = [load.Outcome(delivery, 200, "stored", 0.01, (ghost,))]
    # Then reading back finds it missing
    problems = load.verify_stored(dev_server.base_url, outcomes, DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD)
    assert problems == ["stored message never-stored is listed as [] (expected exactly once)"]


def test_check_reports_a_message_stored_twice_and_a_5xx() -> None:
    delivery = load.Delivery("unique", "u1", b"{}", "application/json")
    twin = load.Delivery("duplicate", "u1", b"{}", "application/json")
    outcomes = [load.Outcome(delivery, 200, "stored", 0.01), load.Outcome(twin, 503, "stored", 0.01)]
    problems = load.check(outcomes)
    assert any("5xx" in problem for problem in problems)
    assert any("stored 2 times" in problem for problem in problems)


def test_check_reports_a_delivery_that_got_no_answer() -> None:
    delivery = load.Delivery("unique", "u1", b"{}", "application/json")
    outcomes = [load.Outcome(delivery, 0, "no answer (ReadTimeout)", 120.0)]
    problems = load.check(outcomes)
    assert "1 deliveries got no answer: no answer (ReadTimeout)" in problems
