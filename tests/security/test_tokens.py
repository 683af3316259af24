"""Issue 10 item 8 (tokens): a token dies with the password, and never outlives the configured lifetime.

Threats: a token stolen (or left in a browser) before the operator changed the password keeps
working until it expires; a token signed with a leaked key, or minted by a bug, with ``exp`` years
ahead (or no ``iat``) is accepted for as long as it says. The operator API is called in-process
(functions/config) against moto provisioned from template.yaml; ``make secrets`` is run as
``inbox_dev.secrets.main`` against the same moto.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import jwt
import pytest
from inbox import settings as inbox_settings
from inbox.operator import tokens
from inbox.settings import INITIAL_SESSION_GENERATION, SESSION_GENERATION
from inbox_dev import secrets as make_secrets
from inbox_dev.local_aws import LocalStack

from tests.integration.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET, OPERATOR, Call

NEW_PASSWORD = "a brand new operator password"
LIFETIME = 3600  # the template's default auth/token-lifetime-seconds


@pytest.fixture
def secrets() -> dict[str, str]:
    return dict(OPERATOR)


def run_make_secrets(stack: LocalStack, *argv: str, environ: dict[str, str] | None = None) -> list[str]:
    printed: list[str] = []
    status = make_secrets.main(
        ["--stack", stack.settings_prefix.strip("/"), *argv],
        environ=environ or {},
        client=boto3.client("ssm"),
        out=printed.append,
    )
    assert status == 0, printed
    inbox_settings.clear_caches()  # what the functions' 60 s cache does on its own
    return printed


def login(call: Call, password: str = ADMIN_PASSWORD) -> Any:
    return call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": password})


def signed(**changes: Any) -> str:
    """A token signed with the stack's real key: what a leaked key or a minting bug would produce."""
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {
        "sub": "admin",
        "iat": now,
        "exp": now + 600,
        "iss": tokens.issuer_for("/chatrace-inbox-local"),
        "aud": tokens.AUDIENCE,
        "gen": INITIAL_SESSION_GENERATION,
    }
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, JWT_SECRET, algorithm="HS256")


# ------------------------------------------------------------------ the password changes


def test_a_token_dies_when_make_secrets_sets_a_new_password(
    call: Call, token: str, stack: LocalStack
) -> None:
    # Given a working token
    assert call("GET", "/instagram/config", token=token).status == 200
    # When the operator sets a new password with make secrets
    printed = run_make_secrets(
        stack, "--from-env", "--only", "admin-password", environ={"INBOX_ADMIN_PASSWORD": NEW_PASSWORD}
    )
    # Then the old token is refused, the old password too, and the new password gives a working token
    assert any(SESSION_GENERATION in line for line in printed)
    refused = call("GET", "/instagram/config", token=token)
    assert refused.status == 401
    assert refused.body == {"error": "invalid token"}
    assert login(call).status == 401
    fresh = login(call, NEW_PASSWORD)
    assert fresh.status == 200
    assert call("GET", "/instagram/config", token=fresh.body["accessToken"]).status == 200


def test_every_password_change_is_a_new_generation(call: Call, stack: LocalStack) -> None:
    run_make_secrets(
        stack, "--from-env", "--only", "admin-password", environ={"INBOX_ADMIN_PASSWORD": NEW_PASSWORD}
    )
    first = jwt.decode(login(call, NEW_PASSWORD).body["accessToken"], options={"verify_signature": False})
    run_make_secrets(
        stack, "--from-env", "--only", "admin-password", environ={"INBOX_ADMIN_PASSWORD": NEW_PASSWORD}
    )
    second = login(call, NEW_PASSWORD).body["accessToken"]
    assert jwt.decode(second, options={"verify_signature": False})["gen"] not in (
        first["gen"],
        INITIAL_SESSION_GENERATION,
    )
    assert call("GET", "/instagram/messages", token=second).status == 200


def test_end_sessions_logs_everyone_out_and_keeps_the_password(
    call: Call, token: str, stack: LocalStack
) -> None:
    run_make_secrets(stack, "--end-sessions")
    assert call("GET", "/instagram/messages", token=token).status == 401
    again = login(call)
    assert again.status == 200
    assert call("GET", "/instagram/messages", token=again.body["accessToken"]).status == 200


def test_setting_other_secrets_keeps_sessions(call: Call, token: str, stack: LocalStack) -> None:
    run_make_secrets(
        stack, "--from-env", "--only", "webhook-secret", environ={"INBOX_WEBHOOK_SECRET": "hook-" + "w" * 20}
    )
    assert call("GET", "/instagram/messages", token=token).status == 200


# ------------------------------------------------------------------ the lifetime cap


def test_a_correctly_signed_token_of_the_current_generation_is_accepted(call: Call) -> None:
    # the control for the refusals below: the forger's tokens differ from this one in one claim only
    assert call("GET", "/instagram/messages", token=signed()).status == 200


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
    reply = call("GET", "/instagram/messages", token=signed(**changes))
    assert reply.status == 401, reply
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]


def test_lowering_the_lifetime_ends_tokens_issued_for_longer(call: Call, token: str) -> None:
    assert call("PUT", "/instagram/config", token=token, body={"tokenLifetimeSeconds": 600}).status == 200
    assert call("GET", "/instagram/config", token=token).status == 401
    short = login(call)
    assert short.body["expiresIn"] == 600
    assert call("GET", "/instagram/config", token=short.body["accessToken"]).status == 200
