"""Issue 10 item 8 (tokens): a token dies with the password, and never outlives the configured lifetime.

Threats: a token stolen (or left in a browser) before the operator changed the password keeps
working until it expires; a token signed with a leaked key, or minted by a bug, with ``exp`` years
ahead (or no ``iat``) is accepted for as long as it says. The operator API is called in-process
(functions/config) against moto provisioned from template.yaml; a new session generation is
written as ``make secrets`` writes it (that it does: tests/e2e/test_make_secrets_sessions.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import jwt
import pytest
from inbox import settings as inbox_settings
from inbox.settings import SESSION_GENERATION
from inbox_dev.local_aws import LocalStack

from tests.integration.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, OPERATOR, Call, forged

NEW_PASSWORD = "a brand new operator password"
LIFETIME = 3600  # the template's default auth/token-lifetime-seconds


@pytest.fixture
def secrets() -> dict[str, str]:
    return dict(OPERATOR)


def login(call: Call, password: str = ADMIN_PASSWORD) -> Any:
    return call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": password})


# ------------------------------------------------------------------ a new generation
# (make secrets writes one with each password and for --end-sessions: tests/e2e/test_make_secrets_sessions.py)


def new_generation(stack: LocalStack, value: str) -> None:
    """What `make secrets` writes after a new password hash, or for --end-sessions."""
    boto3.client("ssm").put_parameter(
        Name=f"{stack.settings_prefix}/{SESSION_GENERATION}", Value=value, Type="SecureString", Overwrite=True
    )
    inbox_settings.clear_caches()  # what the functions' 60 s cache does on its own


def test_a_token_of_an_older_generation_is_refused_and_a_new_login_works(
    call: Call, token: str, stack: LocalStack
) -> None:
    # Given a working token
    assert call("GET", "/instagram/config", token=token).status == 200
    # When a new session generation is written (a new password, or make secrets --end-sessions)
    new_generation(stack, "generation-two")
    # Then the old token is refused and a new login carries the new generation
    refused = call("GET", "/instagram/config", token=token)
    assert refused.status == 401
    assert refused.body == {"error": "invalid token"}
    fresh = login(call)
    assert fresh.status == 200
    assert (
        jwt.decode(fresh.body["accessToken"], options={"verify_signature": False})["gen"] == "generation-two"
    )
    assert call("GET", "/instagram/config", token=fresh.body["accessToken"]).status == 200


# ------------------------------------------------------------------ the lifetime cap


def test_a_correctly_signed_token_of_the_current_generation_is_accepted(call: Call) -> None:
    # the control for the refusals below: the forger's tokens differ from this one in one claim only
    assert call("GET", "/instagram/messages", token=forged()).status == 200


TEN_YEARS = 10 * 365 * 86400


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"exp_in": TEN_YEARS}, id="exp-ten-years-ahead"),
        pytest.param({"exp_in": LIFETIME + 1}, id="exp-minus-iat-over-the-max"),
        pytest.param({"iat": None}, id="no-iat"),
        pytest.param({"gen": None}, id="no-gen"),
        pytest.param({"gen": "an-older-generation"}, id="other-gen"),
        pytest.param({"gen": 0}, id="gen-not-a-string"),
    ],
)
def test_a_correctly_signed_token_beyond_the_rules_is_refused(call: Call, changes: dict[str, Any]) -> None:
    changes = dict(changes)
    if "exp_in" in changes:
        changes["exp"] = int(datetime.now(UTC).timestamp()) + changes.pop("exp_in")
    reply = call("GET", "/instagram/messages", token=forged(**changes))
    assert reply.status == 401, reply
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]


def test_lowering_the_lifetime_ends_tokens_issued_for_longer(call: Call, token: str) -> None:
    assert call("PUT", "/instagram/config", token=token, body={"tokenLifetimeSeconds": 600}).status == 200
    assert call("GET", "/instagram/config", token=token).status == 401
    short = login(call)
    assert short.body["expiresIn"] == 600
    assert call("GET", "/instagram/config", token=short.body["accessToken"]).status == 200
