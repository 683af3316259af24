"""`make secrets` ends operator sessions: a new password, or --end-sessions, refuses every older
token (issue 10 item 8; the layer's side, a token of an older generation refused, is
tests/security/test_tokens.py). The operator API runs in-process against moto provisioned from
template.yaml; ``make secrets`` (scripts/inbox_secrets) as ``main`` against the same moto.
"""

from __future__ import annotations

from typing import Any

import boto3
import jwt
import pytest
from inbox import settings as inbox_settings
from inbox.settings import INITIAL_SESSION_GENERATION, SESSION_GENERATION
from inbox_dev.local_aws import LocalStack
from inbox_secrets import cli as make_secrets

from tests.integration.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, OPERATOR, Call

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a brand new operator password"


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
