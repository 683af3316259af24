"""Issue 10 item 7 (login brute force): failures counted per address and per account, growing delays.

Threats: a guesser tries passwords as fast as the API lets them (40 wrong passwords in 9 s were all
answered 401, and the right one still worked after 64 failures); a guesser spreads the guesses over
many addresses; an outsider uses the lock itself to keep the operator out. The operator API is
called in-process (functions/config, against moto provisioned from template.yaml) through its
Lambda handler with the ``OperatorApi``'s clock moved by the test, so the delays pass without
sleeping.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Protocol

import boto3
import pytest
from botocore.exceptions import ClientError
from inbox.http import Answer
from inbox.operator import login_throttle
from inbox.operator.login_throttle import ACCOUNT_POLICY, ADDRESS_POLICY
from inbox.storage.dynamodb import dynamodb_client
from inbox.storage.table import LOGIN_BY_ADDRESS, login_counter_key
from inbox_dev.events import http_api_event
from inbox_dev.lambdas import LambdaContext
from inbox_dev.local_aws import LocalStack

from tests.integration.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, OPERATOR, Call

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
ATTACKER = "203.0.113.7"
OPERATOR_ADDRESS = "198.51.100.20"


@pytest.fixture
def secrets() -> dict[str, str]:
    return dict(OPERATOR)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Login(Protocol):
    def __call__(self, password: str, *, address: str = ATTACKER, email: str = ADMIN_EMAIL) -> Answer: ...


@pytest.fixture
def clock() -> Clock:
    return Clock()


def post_login(config_module: ModuleType, body: str, *, address: str) -> Answer:
    """POST /auth/login through the config function's handler, from ``address``."""
    event = http_api_event(
        "POST",
        "/auth/login",
        headers={"content-type": "application/json"},
        body=body.encode(),
        source_ip=address,
    )
    result = config_module.lambda_handler(event, LambdaContext("ConfigFunction", 512, 10))
    return Answer(result["statusCode"], json.loads(result["body"]), result.get("headers") or {})


@pytest.fixture
def login(config_module: ModuleType, clock: Clock) -> Login:
    """POST /auth/login from an address, at the clock's time."""
    config_module.api.clock = lambda: clock.now

    def attempt(password: str, *, address: str = ATTACKER, email: str = ADMIN_EMAIL) -> Answer:
        return post_login(config_module, json.dumps({"email": email, "password": password}), address=address)

    return attempt


def retry_after(answer: Answer) -> int:
    assert answer.status_code == 429, answer
    assert answer.body == {"error": "too many failed logins; retry later"}
    return int(answer.headers["Retry-After"])


# ------------------------------------------------------------------ one address guessing


def test_forty_wrong_passwords_in_nine_seconds_are_throttled_and_the_right_one_works_after_the_delay(
    login: Login, clock: Clock
) -> None:
    answers = []
    for _ in range(40):
        answers.append(login("wrong password"))
        clock.advance(9 / 40)
    statuses = [answer.status_code for answer in answers]
    assert statuses == [401] * 5 + [429] * 35
    waits = [retry_after(answer) for answer in answers[5:]]
    assert all(0 < wait <= 30 for wait in waits)
    assert waits == sorted(waits, reverse=True)  # the lock counts down; locked tries do not extend it
    # the right password from the locked address waits too (else the lock would be an oracle)…
    assert login(ADMIN_PASSWORD).status_code == 429
    # …and works once the delay has passed
    clock.advance(waits[-1])
    assert login(ADMIN_PASSWORD).status_code == 200


def test_each_failure_after_a_lock_doubles_it_up_to_the_cap(login: Login, clock: Clock) -> None:
    for _ in range(5):
        assert login("wrong").status_code == 401
    locks = []
    for _ in range(8):
        wait = retry_after(login("wrong"))
        locks.append(wait)
        clock.advance(wait)
        assert login("wrong").status_code == 401  # the next guess is checked, and fails
    assert locks == [30, 60, 120, 240, 480, 900, 900, 900]
    assert ADDRESS_POLICY.max_delay_seconds == 900


def test_a_correct_password_resets_the_address(login: Login, clock: Clock) -> None:
    for _ in range(4):
        assert login("wrong").status_code == 401
    assert login(ADMIN_PASSWORD).status_code == 200
    for _ in range(4):  # four free failures again, not one
        assert login("wrong").status_code == 401


def test_failures_are_forgotten_after_a_quiet_day(login: Login, clock: Clock) -> None:
    for _ in range(4):
        login("wrong")
    clock.advance(login_throttle.FORGET_FAILURES_AFTER.total_seconds() + 1)
    for _ in range(4):
        assert login("wrong").status_code == 401


def test_malformed_bodies_are_not_failures(config_module: ModuleType, login: Login, clock: Clock) -> None:
    for _ in range(20):
        assert post_login(config_module, '{"email": 5}', address=ATTACKER).status_code == 400
    assert login(ADMIN_PASSWORD).status_code == 200


def test_parallel_guesses_cannot_slip_past_the_count(login: Login) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: login("wrong").status_code, range(24)))
    assert statuses.count(401) <= ADDRESS_POLICY.free_failures
    assert statuses.count(401) + statuses.count(429) == 24


# ------------------------------------------------------------------ the operator cannot be kept out


def test_a_locked_attacker_address_does_not_lock_the_operators(login: Login, clock: Clock) -> None:
    for _ in range(40):
        login("wrong")
    assert login("wrong").status_code == 429
    assert login(ADMIN_PASSWORD, address=OPERATOR_ADDRESS).status_code == 200


def test_ipv6_addresses_of_one_64_share_one_counter(login: Login) -> None:
    for host in range(1, 6):
        assert login("wrong", address=f"2001:db8:1:2::{host:x}").status_code == 401
    assert login(ADMIN_PASSWORD, address="2001:db8:1:2:ffff::1").status_code == 429
    assert login(ADMIN_PASSWORD, address="2001:db8:1:3::1").status_code == 200


def test_guesses_spread_over_many_addresses_lock_the_account_briefly(login: Login, clock: Clock) -> None:
    for n in range(ACCOUNT_POLICY.free_failures):
        assert login("wrong", address=f"192.0.2.{n + 1}").status_code == 401
    # a fresh address, even with the right password, waits out the account's short lock
    wait = retry_after(login(ADMIN_PASSWORD, address="192.0.2.200"))
    assert 0 < wait <= ACCOUNT_POLICY.max_delay_seconds
    clock.advance(wait)
    assert login(ADMIN_PASSWORD, address="192.0.2.200").status_code == 200


def test_the_account_lock_is_capped(login: Login, clock: Clock) -> None:
    waits = []
    for n in range(30):
        answer = login("wrong", address=f"192.0.2.{n + 1}")
        if answer.status_code == 429:
            wait = retry_after(answer)
            waits.append(wait)
            clock.advance(wait)
            assert login("wrong", address=f"198.18.0.{n + 1}").status_code == 401
    assert max(waits) == ACCOUNT_POLICY.max_delay_seconds == 60


def test_an_address_that_logged_in_before_is_not_held_by_the_account_lock(login: Login, clock: Clock) -> None:
    assert login(ADMIN_PASSWORD, address=OPERATOR_ADDRESS).status_code == 200
    clock.advance(3600)
    for n in range(40):  # an attacker who knows the email, from forty addresses
        login("wrong", address=f"192.0.2.{n + 1}")
    assert login(ADMIN_PASSWORD, address="192.0.2.250").status_code == 429
    assert login(ADMIN_PASSWORD, address=OPERATOR_ADDRESS).status_code == 200


def test_an_unknown_account_gets_the_same_answers_as_the_real_one(login: Login) -> None:
    def answers(email: str, prefix: str) -> list[tuple[int, dict[str, str] | str]]:
        seen = []
        for n in range(14):
            answer = login("wrong", email=email, address=f"{prefix}.{n % 3 + 1}")
            seen.append((answer.status_code, answer.body))
        return seen

    assert answers(ADMIN_EMAIL, "192.0.2") == answers("nobody@example.com", "198.51.100")


# ------------------------------------------------------------------ storage


def test_counters_expire_by_ttl_and_hold_no_email(login: Login, stack: LocalStack, clock: Clock) -> None:
    for _ in range(6):
        login("wrong")
    table = stack.table_names["MessagesTable"]
    client = boto3.client("dynamodb")
    items = client.scan(TableName=table)["Items"]
    counters = [item for item in items if item["pk"]["S"].startswith("LOGIN#")]
    assert {item["pk"]["S"].split("#")[1] for item in counters} == {"address", "account"}
    assert ADMIN_EMAIL.lower() not in json.dumps(counters).lower()
    address = client.get_item(TableName=table, Key=login_counter_key(LOGIN_BY_ADDRESS, ATTACKER))["Item"]
    expires = int(address["ttl"]["N"])
    assert int(address["lockedUntil"]["N"]) <= expires <= clock.now.timestamp() + 24 * 3600


def test_a_counter_that_cannot_be_read_fails_closed(login: Login, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(operation: str, params: object) -> None:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, operation)

    monkeypatch.setattr(dynamodb_client(), "_make_api_call", refuse)
    answer = login(ADMIN_PASSWORD)
    assert answer.status_code == 503
    assert "accessToken" not in answer.body


# ------------------------------------------------------------------ over HTTP


def test_the_http_answer_is_429_json_with_retry_after(call: Call) -> None:
    for _ in range(5):
        assert call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": "wrong"}).status == 401
    reply = call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert reply.status == 429
    assert reply.headers["Content-Type"] == "application/json"
    assert 0 < int(reply.headers["Retry-After"]) <= 30
    assert reply.body == {"error": "too many failed logins; retry later"}
