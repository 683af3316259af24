"""Issue 10 item 5 (fail closed on a fresh stack): no webhook check configured → no delivery taken.

Threat: a stack deployed before anyone ran `make secrets` takes deliveries from anyone, so a
stranger who finds the URL can write messages under any contact. The webhook answers 503
``{"error": "webhook authentication is not configured"}`` until the webhook secret or the Meta app
secret is set, unless the stack parameter AllowUnauthenticatedWebhook=true says otherwise (as
every local stack does: `make dev` prints it). The 503 carries no Retry-After and is not counted
as a storage failure: it is a setup state, not an outage.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from inbox import settings as inbox_settings
from inbox.settings import META_APP_SECRET, WEBHOOK_SECRET, FunctionEnvironment
from inbox.webhook.auth import signature_for
from inbox_dev import cfn
from inbox_dev.devprocess import DevServer, start_dev_server, stop_dev_server
from inbox_dev.local_aws import TEMPLATE_PATH, LocalStack
from inbox_dev.server import webhook_lines

from tests.conftest import Invoke, LogCapture
from tests.integration.conftest import OPERATOR, Call

NOT_CONFIGURED = {"error": "webhook authentication is not configured"}
HOOK_SECRET = "fresh-stack-secret-" + uuid.uuid4().hex
CLOSED = {"AllowUnauthenticatedWebhook": "false"}


@pytest.fixture
def secrets() -> dict[str, str]:
    return dict(OPERATOR)  # the operator can log in; no webhook check is configured


@pytest.fixture
def parameter_overrides() -> dict[str, str]:
    return dict(CLOSED)


def delivery() -> bytes:
    return json.dumps({"senderId": "4242", "messageId": f"fc-{uuid.uuid4()}", "text": "hello"}).encode()


def stored_items(stack: LocalStack) -> list[dict[str, Any]]:
    table = stack.table_names["MessagesTable"]
    return list(boto3.client("dynamodb").scan(TableName=table)["Items"])


def set_secret(stack: LocalStack, name: str, value: str) -> None:
    boto3.client("ssm").put_parameter(
        Name=f"{stack.settings_prefix}/{name}", Value=value, Type="SecureString", Overwrite=True
    )
    inbox_settings.clear_caches()  # as the settings cache's max age would, later


def test_a_deployed_stack_is_closed_by_default() -> None:
    # Given the template as `sam deploy` takes it, with no parameter overrides
    template = cfn.load_template(TEMPLATE_PATH)
    ctx = cfn.Context.for_template(template, stack_name="fresh", region="eu-west-1")
    functions = {f.logical_id: f for f in cfn.functions(template, ctx)}
    # Then the webhook and the operator API are told the webhook is not open
    for name in ("WebhookFunction", "ConfigFunction"):
        environment = FunctionEnvironment.from_environ(functions[name].environment)
        assert environment.allow_unauthenticated_webhook is False, name
    # And a function without the variable at all (an older template) is closed too
    bare = FunctionEnvironment.from_environ({"TABLE_NAME": "table", "SETTINGS_PREFIX": "/fresh"})
    assert bare.allow_unauthenticated_webhook is False


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-webhook-secret": "anything at all"},
        {"x-hub-signature-256": "sha256=" + "0" * 64},
    ],
    ids=["no-credentials", "a-made-up-secret", "a-made-up-signature"],
)
def test_with_no_check_configured_every_delivery_is_refused_503(
    invoke_webhook: Invoke, stack: LocalStack, logs: LogCapture, headers: dict[str, str]
) -> None:
    result = invoke_webhook(body=delivery(), headers={"content-type": "application/json", **headers})
    assert result["statusCode"] == 503
    assert json.loads(result["body"]) == NOT_CONFIGURED
    assert "Retry-After" not in result["headers"], "a setup state, not an outage to retry soon"
    assert stored_items(stack) == [], "nothing stored, no body kept"
    (line,) = logs.named("delivery rejected")
    assert (line["status"], line["reason"]) == (503, NOT_CONFIGURED["error"])
    assert logs.named("delivery not taken: dependency unavailable") == []


def test_the_webhook_opens_once_a_secret_is_set(invoke_webhook: Invoke, stack: LocalStack) -> None:
    assert invoke_webhook(body=delivery())["statusCode"] == 503
    set_secret(stack, WEBHOOK_SECRET, HOOK_SECRET)
    taken = invoke_webhook(body=delivery(), headers={"x-webhook-secret": HOOK_SECRET})
    refused = invoke_webhook(body=delivery())
    assert (taken["statusCode"], refused["statusCode"]) == (200, 401)


def test_the_meta_app_secret_alone_also_opens_it(invoke_webhook: Invoke, stack: LocalStack) -> None:
    set_secret(stack, META_APP_SECRET, "meta-app-secret-value")
    body = delivery()
    signed = invoke_webhook(
        body=body, headers={"x-hub-signature-256": signature_for(body, "meta-app-secret-value")}
    )
    assert signed["statusCode"] == 200
    assert invoke_webhook(body=delivery())["statusCode"] == 401


def test_the_config_view_shows_the_webhook_closed_then_checked(
    call: Call, token: str, stack: LocalStack
) -> None:
    closed = call("GET", "/instagram/config", token=token).body["webhook"]
    set_secret(stack, WEBHOOK_SECRET, HOOK_SECRET)
    checked = call("GET", "/instagram/config", token=token).body["webhook"]
    assert (closed["authentication"], closed["allowUnauthenticated"]) == ("closed", False)
    assert (checked["authentication"], checked["allowUnauthenticated"]) == ("checked", False)


class TestAnOpenStack:
    """AllowUnauthenticatedWebhook=true: what `make dev` runs with, said as much by the config view."""

    @pytest.fixture
    def parameter_overrides(self) -> dict[str, str]:
        return {"AllowUnauthenticatedWebhook": "true"}

    def test_takes_deliveries_and_says_it_is_open(
        self, invoke_webhook: Invoke, call: Call, token: str
    ) -> None:
        assert invoke_webhook(body=delivery())["statusCode"] == 200
        view = call("GET", "/instagram/config", token=token).body["webhook"]
        assert (view["authentication"], view["allowUnauthenticated"]) == ("open", True)

    def test_the_dev_banner_says_it_is_open_and_that_a_deployed_stack_is_not(self, stack: LocalStack) -> None:
        text = " ".join(webhook_lines(stack))
        assert "Webhook: OPEN" in text
        assert "a deployed stack answers 503" in text


# ------------------------------------------------------------------------------ make dev


@pytest.fixture(scope="module")
def closed_dev_server() -> Iterator[DevServer]:
    server = start_dev_server({"INBOX_ALLOW_UNAUTHENTICATED_WEBHOOK": "false"})
    yield server
    stop_dev_server(server)


@pytest.mark.e2e
def test_make_dev_can_run_closed_and_its_banner_says_so(closed_dev_server: DevServer) -> None:
    answer = httpx.post(
        closed_dev_server.webhook_url, content=delivery(), headers={"content-type": "application/json"}
    )
    assert (answer.status_code, answer.json()) == (503, NOT_CONFIGURED)
    assert "Webhook: CLOSED" in closed_dev_server.output
