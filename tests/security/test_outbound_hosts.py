"""Issue 10 item 2 (outbound hosts): the Chatrace token goes only to the allow-listed hosts, over https.

Threats: whoever holds an operator token (or can write the stack's parameters) points ``apiUrl`` or
``inboxUrl`` at their own server, and the next reply or poll hands it ``X-ACCESS-TOKEN``; a ``@``,
``?`` or ``#`` in the value lets them choose the host or the whole path; a contact id with ``/`` or
``..`` changes the path of a send. The stack here is provisioned with the template's *deployed*
allow-list (no loopback address), so the fake Chatrace on 127.0.0.1 stands for an attacker's server:
anything that reached it would be the token leaving.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import httpx
import pytest
from inbox import settings as inbox_settings
from inbox.errors import OutboundRefused
from inbox.operator import chatrace_client
from inbox.outbound import AllowedHosts, contact_segment
from inbox.polling.inbox_client import InboxClient
from inbox.settings import CHATRACE_ACCOUNT_ID, CHATRACE_API_URL, CHATRACE_INBOX_URL, POLLING_ENABLED
from inbox_dev import cfn
from inbox_dev.fake_chatrace import FakeChatrace
from inbox_dev.lambdas import LambdaContext
from inbox_dev.local_aws import TEMPLATE_PATH, LocalStack

from tests.conftest import Invoke, LogCapture, use_function_environment
from tests.integration.conftest import OPERATOR, Call

TOKEN = "chatrace-token-that-must-not-leave-0123456789"
DEPLOYED_HOSTS = str(cfn.load_template(TEMPLATE_PATH)["Parameters"]["ChatraceAllowedHosts"]["Default"])
ALLOWED = AllowedHosts(tuple(DEPLOYED_HOSTS.split(",")))


@pytest.fixture
def parameter_overrides() -> dict[str, str]:
    return {"ChatraceAllowedHosts": DEPLOYED_HOSTS}


@pytest.fixture
def secrets() -> dict[str, str]:
    return {**OPERATOR, "chatrace/token": TOKEN}


@pytest.fixture
def attacker() -> Iterator[FakeChatrace]:
    """A server that answers like Chatrace and accepts any token: what an attacker would run."""
    with FakeChatrace(token=TOKEN) as fake:
        yield fake


def put_parameter(stack: LocalStack, name: str, value: str) -> None:
    """Straight into Parameter Store, past the operator API (a value stored before the allow-list)."""
    boto3.client("ssm").put_parameter(
        Name=f"{stack.settings_prefix}/{name}", Value=value, Type="String", Overwrite=True
    )
    inbox_settings.clear_caches()


HOSTILE_URLS = [
    ("https://evil.example/php/user", "host is not on the allow-list"),
    ("https://api.chatrace.com.evil.example", "host is not on the allow-list"),
    ("https://evil.example#@api.chatrace.com", "must not carry a fragment"),
    ("https://evil.example?@api.chatrace.com", "must not carry a query"),
    ("https://api.chatrace.com@evil.example", "must not carry user info"),
    ("https://user:secret-pw@api.chatrace.com", "must not carry user info"),
    ("https://api.chatrace.com/php/user?next=x", "must not carry a query"),
    ("https://api.chatrace.com/#x", "must not carry a fragment"),
    ("https://api.chatrace.com\\@evil.example", "must be an absolute URL"),
    ("https://evil.example%2F@api.chatrace.com", "must not carry user info"),
    ("https://api.chatrace.com%2e.evil.example", "must be an absolute URL"),
    ("http://api.chatrace.com", "must use https"),
    ("http://127.0.0.1:9/php/user", "host is not on the allow-list"),
    ("https://169.254.169.254/latest", "host is not on the allow-list"),
    ("ftp://api.chatrace.com", "must be an absolute URL"),
    ("//evil.example/php/user", "must be an absolute URL"),
    ("https://api.chatrace.com:99999", "must be an absolute URL"),
    ("https://ａpi.chatrace.com", "must be an absolute URL"),
    ("https://api.chatrace.com\t.evil.example", "must be an absolute URL"),
]


def test_put_config_refuses_any_url_the_token_could_leave_by_and_names_the_rule(
    call: Call, token: str
) -> None:
    for field in ("apiUrl", "inboxUrl"):
        for url, rule in HOSTILE_URLS:
            # When an operator (or a stolen operator token) points a Chatrace URL elsewhere
            answer = call("PUT", "/instagram/config", token=token, body={field: url})

            # Then 400 names the field and the rule, never the value sent
            assert answer.status == 400, (url, answer)
            assert answer.body["field"] == field
            assert answer.body["error"].startswith(f"{field}: {rule}"), (url, answer.body)
            assert url not in answer.text
            assert "secret-pw" not in answer.text
            assert "evil" not in answer.text
    # And nothing was written
    view = call("GET", "/instagram/config", token=token).body
    assert view["replies"]["apiUrl"] == "https://api.chatrace.com"
    assert view["polling"]["source"] is None


def test_put_config_accepts_the_allow_listed_hosts_over_https(call: Call, token: str) -> None:
    answer = call(
        "PUT",
        "/instagram/config",
        token=token,
        body={"apiUrl": "https://API.chatrace.com:443/", "inboxUrl": "https://app.chatrace.com/php/user"},
    )
    assert answer.status == 200, answer
    assert answer.body["updated"] == ["chatrace/api-url", "chatrace/inbox-url"]


def deliver(invoke: Invoke, sender: str) -> None:
    body = {
        "senderId": sender,
        "messageId": f"m-{sender}",
        "text": "hello",
        "timestamp": int((datetime.now(UTC) - timedelta(minutes=1)).timestamp()),
    }
    result = invoke("POST", body=json.dumps(body).encode(), headers={"content-type": "application/json"})
    assert result["statusCode"] == 200, result


def test_a_reply_never_goes_to_an_api_url_stored_past_the_allow_list(
    invoke_webhook: Invoke,
    call: Call,
    token: str,
    stack: LocalStack,
    attacker: FakeChatrace,
    logs: LogCapture,
) -> None:
    # Given a customer who wrote, and an API URL written straight into Parameter Store
    deliver(invoke_webhook, "2850008055041461")
    put_parameter(stack, CHATRACE_API_URL, attacker.base_url)

    # When the operator replies
    answer = call(
        "POST", "/instagram/conversations/2850008055041461/reply", token=token, body={"text": "Hi there"}
    )

    # Then nothing reached that server, nothing was stored as sent, and one log line says why
    assert answer.status == 503, answer
    assert "host is not on the allow-list" in answer.body["error"]
    assert attacker.sent == []
    listed = call("GET", "/instagram/messages", token=token, query={"senderId": "2850008055041461"}).body
    assert [m["direction"] for m in listed["messages"]] == ["inbound"]
    (line,) = [r for r in logs.records() if r["message"].startswith("reply refused: chatrace/api-url")]
    assert line["rule"].startswith("host is not on the allow-list")
    assert line["level"] == "ERROR"
    assert TOKEN not in logs.text
    assert attacker.base_url not in logs.text


@pytest.fixture
def poller_module(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    import importlib

    use_function_environment(stack, "PollerFunction", monkeypatch)
    return importlib.reload(importlib.import_module("functions.poller.app"))


def test_a_poll_never_goes_to_an_inbox_url_stored_past_the_allow_list(
    stack: LocalStack, attacker: FakeChatrace, poller_module: ModuleType, logs: LogCapture
) -> None:
    # Given polling configured with an inbox URL written straight into Parameter Store
    attacker.add_message("2850008055041461", "hello")
    put_parameter(stack, POLLING_ENABLED, "true")
    put_parameter(stack, CHATRACE_ACCOUNT_ID, attacker.account_id)
    put_parameter(stack, CHATRACE_INBOX_URL, attacker.inbox_url)

    # When the poller runs
    result: dict[str, Any] = poller_module.lambda_handler({}, LambdaContext("PollerFunction", 512, 20))

    # Then it sent nothing there, and said why in one ERROR line without the token or the URL
    assert attacker.inbox_requests() == []
    assert result["status"] == "refused", result
    (line,) = [r for r in logs.records() if r["message"].startswith("polling refused:")]
    assert line["level"] == "ERROR"
    assert line["rule"].startswith("host is not on the allow-list")
    assert TOKEN not in logs.text
    assert attacker.inbox_url not in logs.text


# ------------------------------------------------------------------- at the point of the call


def refusing_transport() -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"a request left for {request.url.host}")

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(("url", "rule"), HOSTILE_URLS)
def test_the_clients_themselves_refuse_before_any_connection(url: str, rule: str) -> None:
    with pytest.raises(OutboundRefused) as sending:
        chatrace_client.send_text(
            api_url=url,
            allowed=ALLOWED,
            token=TOKEN,
            contact_id="1",
            text="t",
            channel="instagram",
            transport=refusing_transport(),
        )
    assert sending.value.rule.startswith(rule)
    with pytest.raises(OutboundRefused) as polling:
        InboxClient(url=url, allowed=ALLOWED, account_id="1", token=TOKEN, transport=refusing_transport())
    assert polling.value.rule.startswith(rule)
    assert url not in sending.value.rule


@pytest.mark.parametrize(
    "contact_id", ["../../evil", "1/send_content", "1?x=", "1#", "%2e%2e", "", "1 2", "١٢"]
)
def test_a_contact_id_cannot_change_the_path_of_a_send(contact_id: str) -> None:
    with pytest.raises(OutboundRefused, match="a contact id is"):
        chatrace_client.send_text(
            api_url="https://api.chatrace.com",
            allowed=ALLOWED,
            token=TOKEN,
            contact_id=contact_id,
            text="t",
            channel="instagram",
            transport=refusing_transport(),
        )


def test_a_contact_id_is_one_percent_encoded_path_segment() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"success": True})

    chatrace_client.send_text(
        api_url="https://api.chatrace.com/",
        allowed=ALLOWED,
        token=TOKEN,
        contact_id="2850008055041461_a-B",
        text="t",
        channel="instagram",
        transport=httpx.MockTransport(handler),
    )
    assert seen == ["https://api.chatrace.com/contacts/2850008055041461_a-B/send/text"]
    assert contact_segment("abc") == "abc"


def test_a_reply_to_a_sender_id_that_is_no_contact_id_is_refused_before_anything(
    call: Call, token: str, attacker: FakeChatrace
) -> None:
    answer = call("POST", "/instagram/conversations/1..2/reply", token=token, body={"text": "Hi"})
    assert answer.status == 400, answer
    assert answer.body["field"] == "senderId"
    assert attacker.sent == []
