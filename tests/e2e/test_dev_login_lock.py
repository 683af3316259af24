"""Issue 10 items 7 and 8 against `make dev` as a user runs it: a guesser gets 429 + Retry-After after
five wrong passwords, the right password waits too; a token carries its session generation.

A server of its own (not the session's shared one): its lock on 127.0.0.1 must not hold back the
other end-to-end tests' logins.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import jwt
import pytest
from inbox.operator.login_throttle import ADDRESS_POLICY
from inbox.settings import INITIAL_SESSION_GENERATION
from inbox_dev.devprocess import DevServer, start_dev_server, stop_dev_server
from inbox_dev.secrets import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def own_server() -> Iterator[DevServer]:
    server = start_dev_server(quiet=True)
    yield server
    stop_dev_server(server)


def login(server: DevServer, password: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/auth/login", json={"email": DEV_ADMIN_EMAIL, "password": password}, timeout=60
    )


def test_a_dev_token_carries_its_generation_and_a_guesser_then_waits(own_server: DevServer) -> None:
    # Given the operator's own login: a token of the session generation that opens the config
    reply = login(own_server, DEV_ADMIN_PASSWORD)
    assert reply.status_code == 200, reply.text
    token = reply.json()["accessToken"]
    assert jwt.decode(token, options={"verify_signature": False})["gen"] == INITIAL_SESSION_GENERATION
    config = httpx.get(
        f"{own_server.base_url}/instagram/config", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert config.status_code == 200
    # When someone guesses from this address: five 401s, then 429 with Retry-After
    statuses = [login(own_server, "a wrong guess").status_code for _ in range(ADDRESS_POLICY.free_failures)]
    assert statuses == [401] * ADDRESS_POLICY.free_failures
    locked = login(own_server, "another wrong guess")
    assert locked.status_code == 429
    assert locked.json() == {"error": "too many failed logins; retry later"}
    assert 0 < int(locked.headers["Retry-After"]) <= ADDRESS_POLICY.first_delay_seconds
    # Then the right password waits too, and the token already issued still works
    assert login(own_server, DEV_ADMIN_PASSWORD).status_code == 429
    again = httpx.get(
        f"{own_server.base_url}/instagram/config", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert again.status_code == 200
