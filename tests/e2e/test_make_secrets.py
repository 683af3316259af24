"""`make secrets` (scripts/inbox_secrets) against a stack provisioned in moto: sets SecureStrings,
echoes names only. A production tool, so tested in the e2e tier only (no other tier imports it)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable

import boto3
import pytest
from inbox import settings as inbox_settings
from inbox.operator.passwords import verify_password
from inbox.settings import SETTINGS
from inbox_dev.events import http_api_event
from inbox_dev.lambdas import LambdaContext
from inbox_dev.local_aws import LocalStack
from inbox_secrets import cli as make_secrets

pytestmark = pytest.mark.e2e

STACK = "chatrace-inbox-local"
VALUES = {
    "INBOX_CHATRACE_TOKEN": "chatrace-token-from-env-1234",
    "INBOX_WEBHOOK_SECRET": "webhook-secret-from-env",
    "INBOX_META_APP_SECRET": "meta-app-secret-from-env",
    "INBOX_META_VERIFY_TOKEN": "meta-verify-from-env",
    "INBOX_JWT_SECRET": "jwt-secret-from-env-" + "0123456789abcdef" * 2,
    "INBOX_ADMIN_EMAIL": "ops@example.com",
    "INBOX_ADMIN_PASSWORD": "a long enough password",
}


def run(argv: list[str], **kwargs: object) -> tuple[int, list[str]]:
    printed: list[str] = []
    status = make_secrets.main(
        ["--stack", STACK, *argv],
        client=boto3.client("ssm"),
        out=printed.append,
        **kwargs,  # type: ignore[arg-type]
    )
    return status, printed


def parameter(name: str) -> dict[str, str] | None:
    try:
        found = boto3.client("ssm").get_parameter(Name=f"/{STACK}/{name}", WithDecryption=True)
    except boto3.client("ssm").exceptions.ParameterNotFound:
        return None
    return {"Type": found["Parameter"]["Type"], "Value": found["Parameter"]["Value"]}


def prompts(*answers: str) -> tuple[Callable[[str], str], list[str]]:
    asked: list[str] = []
    remaining = list(answers)

    def ask(question: str) -> str:
        asked.append(question)
        return remaining.pop(0) if remaining else ""

    return ask, asked


def test_every_secret_is_set_from_the_environment_as_a_securestring(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    status, printed = run(["--from-env"], environ=VALUES)
    assert status == 0
    assert parameter("chatrace/token") == {
        "Type": "SecureString",
        "Value": "chatrace-token-from-env-1234",
    }
    assert parameter("auth/admin-email") == {"Type": "SecureString", "Value": "ops@example.com"}
    stored_hash = parameter("auth/admin-password-hash")
    assert stored_hash is not None
    assert stored_hash["Value"].startswith("scrypt$")
    assert verify_password("a long enough password", stored_hash["Value"])
    assert parameter("auth/admin-password") is None
    assert len([line for line in printed if line.startswith("set ")]) == 8  # 7 + the session generation
    shown = "\n".join(printed) + capsys.readouterr().out
    for value in VALUES.values():
        assert value not in shown


def test_only_the_named_secrets_are_touched(stack: LocalStack) -> None:
    status, printed = run(["--from-env", "--only", "webhook-secret"], environ=VALUES)
    assert status == 0
    assert printed[0] == f"set /{STACK}/webhook/webhook-secret (from INBOX_WEBHOOK_SECRET)"
    assert parameter("chatrace/token") is None


def test_the_jwt_secret_is_generated_and_rotated_on_request(stack: LocalStack) -> None:
    run(["--only", "jwt-secret", "--generate-jwt-secret", "--from-env"], environ={})
    first = parameter("auth/jwt-secret")
    run(["--only", "jwt-secret", "--generate-jwt-secret", "--from-env"], environ={})
    second = parameter("auth/jwt-secret")
    assert first is not None
    assert second is not None
    assert len(first["Value"]) >= 32
    assert first["Value"] != second["Value"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("INBOX_JWT_SECRET", "short"),
        ("INBOX_ADMIN_EMAIL", "not an email"),
        ("INBOX_ADMIN_PASSWORD", "short"),
    ],
)
def test_unusable_values_are_refused_before_anything_is_written(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], variable: str, value: str
) -> None:
    status, printed = run(["--from-env"], environ={**VALUES, variable: value})
    assert status == 1
    assert printed == []
    assert variable in capsys.readouterr().err
    assert parameter("webhook/webhook-secret") is None


def test_nothing_to_set_is_an_error_that_names_the_variables(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _ = run(["--from-env", "--only", "chatrace-token"], environ={})
    assert status == 1
    assert "INBOX_CHATRACE_TOKEN" in capsys.readouterr().err


def test_an_unknown_stack_is_refused(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = run(["--from-env"], environ=VALUES)
    assert status == 1
    assert "deploy it first" in capsys.readouterr().err


def test_interactive_prompts_never_echo_and_enter_keeps_or_generates(stack: LocalStack) -> None:
    run(["--from-env", "--only", "webhook-secret"], environ=VALUES)
    ask, asked = prompts(
        "typed-chatrace-token-0001",  # chatrace token
        "",  # webhook secret: keep
        "",  # meta app secret: skip
        "",  # meta verify token: skip
        "",  # jwt secret: generate
        "ops@example.com",
        "first password 123",
        "does not match",  # confirmation fails: asked again
        "second password 123",
        "second password 123",
    )
    status, printed = run([], ask=ask, interactive=True, environ={})
    assert status == 0
    assert parameter("chatrace/token") == {
        "Type": "SecureString",
        "Value": "typed-chatrace-token-0001",
    }
    assert parameter("webhook/webhook-secret") == {"Type": "SecureString", "Value": "webhook-secret-from-env"}
    assert parameter("webhook/meta-app-secret") is None
    jwt_secret = parameter("auth/jwt-secret")
    assert jwt_secret is not None
    assert len(jwt_secret["Value"]) >= 32
    stored_hash = parameter("auth/admin-password-hash")
    assert stored_hash is not None
    assert verify_password("second password 123", stored_hash["Value"])
    assert "webhook secret (X-Webhook-Secret) [set; Enter keeps it]: " in asked
    assert "JWT signing secret [not set; Enter generates one]: " in asked
    assert f"set /{STACK}/auth/jwt-secret (generated)" in printed
    assert not any("password 123" in line or "typed-chatrace" in line for line in printed)


def test_status_shows_names_only(stack: LocalStack) -> None:
    run(["--from-env", "--only", "chatrace-token"], environ=VALUES)
    status, printed = run(["--status"], environ={})
    assert status == 0
    assert any(line.startswith(f"/{STACK}/chatrace/token") and line.endswith(" set") for line in printed)
    assert any(line.endswith("not set") for line in printed)
    assert not any(VALUES["INBOX_CHATRACE_TOKEN"] in line for line in printed)


def test_the_operator_can_log_in_with_what_make_secrets_set(stack: LocalStack) -> None:
    assert run(["--from-env"], environ=VALUES)[0] == 0
    inbox_settings.clear_caches()
    config_app = importlib.reload(importlib.import_module("functions.config.app"))
    body = json.dumps({"email": VALUES["INBOX_ADMIN_EMAIL"], "password": VALUES["INBOX_ADMIN_PASSWORD"]})
    event = http_api_event(
        "POST", "/auth/login", headers={"content-type": "application/json"}, body=body.encode()
    )
    result = config_app.lambda_handler(event, LambdaContext("ConfigFunction", 512, 10))
    assert result["statusCode"] == 200


def test_make_secrets_asks_for_exactly_the_tables_secrets_in_its_order() -> None:
    table = [s for s in SETTINGS if s.secret and s.variable]
    assert [(x.parameter, x.variable, x.label) for x in make_secrets.SECRETS] == [
        (s.name, s.variable, s.about) for s in table
    ]
    assert [x.key for x in make_secrets.SECRETS] == [
        "chatrace-token",
        "webhook-secret",
        "meta-app-secret",
        "meta-verify-token",
        "jwt-secret",
        "admin-email",
        "admin-password",
    ]
