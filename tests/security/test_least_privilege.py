"""Issue 10 item 6 (least privilege for secrets), as the functions really read their settings.

tests/infrastructure/test_settings_access.py proves what IAM lets each function read; this proves
what each function asks Parameter Store for, with every secret of the stack set: the webhook never
fetches the operator's or Chatrace's secrets, the operator API never fetches the webhook's (it
lists their names), and the poller fetches only the Chatrace account and polling settings.
"""

from __future__ import annotations

import importlib
import json
import uuid
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters import SSMProvider
from inbox import settings
from inbox_dev.lambdas import LambdaContext
from inbox_dev.local_aws import LocalStack

from tests.conftest import Invoke, use_function_environment
from tests.integration.conftest import OPERATOR, Call

WEBHOOK_SECRET_VALUE = "webhook-secret-" + uuid.uuid4().hex
CHATRACE_TOKEN_VALUE = "chatrace-token-" + uuid.uuid4().hex


@pytest.fixture
def secrets() -> dict[str, str]:
    return {
        **OPERATOR,
        settings.WEBHOOK_SECRET: WEBHOOK_SECRET_VALUE,
        settings.META_VERIFY_TOKEN: "verify-" + uuid.uuid4().hex,
        settings.CHATRACE_TOKEN: CHATRACE_TOKEN_VALUE,
    }


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every GetParametersByPath the code makes (through Powertools), with what it returned."""
    calls: list[tuple[str, dict[str, Any]]] = []
    original = SSMProvider.get_multiple

    def recording(self: SSMProvider, path: str, *args: Any, **kwargs: Any) -> Any:
        values = original(self, path, *args, **kwargs)
        calls.append((path, dict(values or {})))
        return values

    monkeypatch.setattr(SSMProvider, "get_multiple", recording)
    settings.clear_caches()
    return calls


def folders(stack: LocalStack, calls: list[tuple[str, dict[str, Any]]]) -> set[str]:
    return {path.removeprefix(stack.settings_prefix + "/") for path, _ in calls}


def values(calls: list[tuple[str, dict[str, Any]]]) -> set[str]:
    return {str(value) for _, found in calls for value in found.values()}


def test_the_webhook_fetches_only_its_own_folders(
    invoke_webhook: Invoke, stack: LocalStack, fetched: list[tuple[str, dict[str, Any]]]
) -> None:
    body = json.dumps({"senderId": "77", "messageId": f"lp-{uuid.uuid4()}", "text": "hi"}).encode()
    taken = invoke_webhook(body=body, headers={"x-webhook-secret": WEBHOOK_SECRET_VALUE})
    handshake = invoke_webhook("GET", query={"hub.mode": "subscribe", "hub.challenge": "1"})
    assert (taken["statusCode"], handshake["statusCode"]) == (200, 403)
    assert folders(stack, fetched) == set(settings.WEBHOOK_READS) == {"webhook", "normalize"}
    seen = values(fetched)
    assert WEBHOOK_SECRET_VALUE in seen
    for name in (settings.JWT_SECRET, settings.ADMIN_PASSWORD_HASH, settings.CHATRACE_TOKEN):
        assert OPERATOR.get(name, CHATRACE_TOKEN_VALUE) not in seen, name


def test_the_operator_api_never_fetches_the_webhooks_secrets(
    call: Call, token: str, stack: LocalStack, fetched: list[tuple[str, dict[str, Any]]]
) -> None:
    view = call("GET", "/instagram/config", token=token)
    assert view.status == 200
    assert folders(stack, fetched) == set(settings.OPERATOR_READS)
    assert WEBHOOK_SECRET_VALUE not in values(fetched)
    assert CHATRACE_TOKEN_VALUE in values(fetched), "replies need the Chatrace token"


def test_the_config_view_knows_the_webhook_secrets_by_name_only(
    call: Call, token: str, fetched: list[tuple[str, dict[str, Any]]]
) -> None:
    body = call("GET", "/instagram/config", token=token).body
    assert body["secrets"]["webhookSecret"] == {"set": True}
    assert body["secrets"]["metaVerifyToken"] == {"set": True}
    assert body["secrets"]["metaAppSecret"] == {"set": False}
    assert body["webhook"]["checks"] == {
        "webhookSecret": True,
        "metaSignature": False,
        "metaVerifyToken": True,
    }
    assert body["webhook"]["authentication"] == "checked"
    assert WEBHOOK_SECRET_VALUE not in json.dumps(body)


def test_the_poller_fetches_only_the_chatrace_and_polling_folders(
    stack: LocalStack, fetched: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_function_environment(stack, "PollerFunction", monkeypatch)
    poller = importlib.reload(importlib.import_module("functions.poller.app"))
    event = {"id": "schedule-event-id", "source": "aws.events", "detail-type": "Scheduled Event"}
    summary = poller.lambda_handler(event, LambdaContext("PollerFunction", 512, 20))
    assert summary["status"] == "disabled"  # polling/enabled is false: it read its settings and stopped
    assert folders(stack, fetched) == set(settings.POLLER_READS) == {"chatrace", "polling"}
    seen = values(fetched)
    assert CHATRACE_TOKEN_VALUE in seen
    assert WEBHOOK_SECRET_VALUE not in seen
    assert OPERATOR[settings.JWT_SECRET] not in seen
