"""Issue 10 item 9 (logs and headers): no credential in a log line, nosniff on every answer.

Threats: a query-string secret (``?token=``, ``hub.verify_token``) copied into the dev server's
request lines; an ``Authorization`` header (or its first characters) copied into a function's log;
a browser sniffing a JSON answer that echoes a caller's text into HTML.
"""

from __future__ import annotations

import base64
import json
import socket
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import httpx
import pytest
from inbox.operator.passwords import hash_password
from inbox.settings import ADMIN_EMAIL, ADMIN_PASSWORD_HASH, JWT_SECRET, WEBHOOK_SECRET
from inbox_dev.devprocess import DevServer, start_dev_server, stop_dev_server
from inbox_dev.events import http_api_event
from inbox_dev.lambdas import LambdaContext

from tests.conftest import Invoke, LogCapture

NOSNIFF = ("x-content-type-options", "nosniff")
HOOK_SECRET = "hook-secret-" + uuid.uuid4().hex
VERIFY_TOKEN = "verify-token-" + uuid.uuid4().hex
SIGNING_SECRET = "jwt-" + "0123456789abcdef" * 3
OPERATOR_EMAIL = "ops@example.com"
PASSWORD = "a long operator password"


def nosniff(headers: dict[str, str]) -> bool:
    return {name.lower(): value for name, value in headers.items()}.get(NOSNIFF[0]) == NOSNIFF[1]


# ------------------------------------------------------------------------------ the dev server


@pytest.fixture(scope="module")
def dev_server() -> Iterator[DevServer]:
    server = start_dev_server({"INBOX_WEBHOOK_SECRET": HOOK_SECRET, "INBOX_META_VERIFY_TOKEN": VERIFY_TOKEN})
    yield server
    stop_dev_server(server)


@pytest.mark.e2e
def test_the_dev_servers_request_lines_never_show_a_query_secret(dev_server: DevServer) -> None:
    # Given a webhook secret sent as ?token= (Chatrace's way) and Meta's handshake token
    seed = {"senderId": "9001", "messageId": f"sec-{uuid.uuid4()}", "text": "hi"}
    stored = httpx.post(f"{dev_server.webhook_url}?token={HOOK_SECRET}", json=seed)
    wrong = httpx.post(f"{dev_server.webhook_url}?x=1&Token=wrong-{HOOK_SECRET}", json=seed)
    handshake = httpx.get(
        dev_server.webhook_url,
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"},
    )
    encoded = httpx.get(f"{dev_server.base_url}/nowhere?hub%2Everify_token={VERIFY_TOKEN}")
    # When the server has logged them
    assert (stored.status_code, wrong.status_code, handshake.text, encoded.status_code) == (
        200,
        401,
        "42",
        404,
    )
    lines = [line for line in dev_server.output.splitlines() if line.startswith("[dev]")]
    # Then no request line shows either value, and each says where one was
    assert HOOK_SECRET not in dev_server.output
    assert VERIFY_TOKEN not in dev_server.output
    assert sum("token=[redacted]" in line.lower() for line in lines) >= 4, lines
    assert any("hub.challenge=42" in line for line in lines), "other parameters stay readable"


@pytest.mark.e2e
def test_the_dev_servers_own_answers_are_nosniff(dev_server: DevServer) -> None:
    not_found = httpx.get(f"{dev_server.base_url}/no/such/route")
    head = httpx.head(dev_server.webhook_url)
    with socket.create_connection(("127.0.0.1", int(dev_server.base_url.rsplit(":", 1)[1]))) as raw:
        raw.sendall(
            b"BREW /instagram/webhook?token=" + HOOK_SECRET.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        unknown_method = raw.recv(4096).decode("latin-1")
    assert not_found.status_code == 404
    assert nosniff(dict(not_found.headers))
    assert head.status_code == 404
    assert nosniff(dict(head.headers))
    assert unknown_method.startswith("HTTP/1.1 501")
    assert "X-Content-Type-Options: nosniff" in unknown_method
    assert HOOK_SECRET not in dev_server.output


@pytest.mark.e2e
def test_the_functions_answers_through_the_dev_server_are_nosniff(dev_server: DevServer) -> None:
    answers = [
        httpx.post(dev_server.webhook_url, json={"senderId": "1", "text": "x"}),  # 401: no secret
        httpx.get(dev_server.webhook_url, params={"hub.mode": "subscribe", "hub.challenge": "1"}),  # 403
        httpx.get(f"{dev_server.base_url}/instagram/config"),  # 401
        httpx.post(f"{dev_server.base_url}/auth/login", content=b"{"),  # 400
    ]
    assert [a.status_code for a in answers] == [401, 403, 401, 400]
    assert all(nosniff(dict(a.headers)) for a in answers)


# ------------------------------------------------------------------------------ the functions


@pytest.fixture
def secrets() -> dict[str, str]:
    return {
        WEBHOOK_SECRET: HOOK_SECRET,
        JWT_SECRET: SIGNING_SECRET,
        ADMIN_EMAIL: OPERATOR_EMAIL,
        ADMIN_PASSWORD_HASH: hash_password(PASSWORD, n=2**10),
    }


@pytest.fixture
def config_module(stack: Any) -> ModuleType:
    import importlib

    return importlib.reload(importlib.import_module("functions.config.app"))


def call_config(module: ModuleType, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    raw = None if body is None else json.dumps(body).encode()
    sent = {"content-type": "application/json", **headers}
    event = http_api_event(method, path, headers=sent, body=raw)
    return module.lambda_handler(event, LambdaContext("ConfigFunction", 512, 10))


def fake_jwt(header: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part({'sub': 'admin'})}.c2lnbmF0dXJl"


# Each carries PRIVATE where a careless log line would copy it from (the scheme, the token's alg).
CREDENTIALS = {
    "token without a scheme": "PRIVATE" + uuid.uuid4().hex,
    "basic": "Basic " + base64.b64encode(b"ops:PRIVATE-password").decode(),
    "another scheme": "PRIVATEscheme " + uuid.uuid4().hex,
    "alg chosen by the caller": "Bearer " + fake_jwt({"alg": "PRIVATEalg", "typ": "JWT"}),
    "alg none": "Bearer " + fake_jwt({"alg": "none"}),
    "garbage": "Bearer PRIVATE!!not-a-jwt",
}


@pytest.mark.parametrize("credential", CREDENTIALS.values(), ids=CREDENTIALS.keys())
def test_an_authorization_header_never_reaches_a_log_line(
    config_module: ModuleType, logs: LogCapture, credential: str
) -> None:
    # When a protected route gets that Authorization header
    result = call_config(config_module, "GET", "/instagram/config", {"authorization": credential})
    # Then it is refused, the log says why, and neither the header nor its first characters are logged
    assert result["statusCode"] == 401
    assert logs.named("operator request refused")
    assert "PRIVATE" not in logs.text
    assert credential[:8] not in logs.text
    assert credential.split(" ")[-1][:8] not in logs.text


def test_every_webhook_answer_is_nosniff(invoke_webhook: Invoke) -> None:
    good = json.dumps({"senderId": "1", "messageId": f"n-{uuid.uuid4()}", "text": "hi"}).encode()
    secret = {"x-webhook-secret": HOOK_SECRET, "content-type": "application/json"}
    answers = {
        200: invoke_webhook(body=good, headers=secret),
        202: invoke_webhook(body=b'{"what": 1}', headers=secret),
        400: invoke_webhook(body=b"{", headers=secret),
        401: invoke_webhook(body=good, headers={"content-type": "application/json"}),
        403: invoke_webhook("GET", query={"hub.mode": "subscribe", "hub.challenge": "1"}),
        404: invoke_webhook("GET", "/instagram/elsewhere"),
        413: invoke_webhook(body=b'{"a":"' + b"x" * 300_000 + b'"}', headers=secret),
    }
    assert {status: result["statusCode"] for status, result in answers.items()} == {s: s for s in answers}
    assert [s for s, result in answers.items() if not nosniff(result["headers"])] == []


def test_every_operator_answer_is_nosniff(config_module: ModuleType) -> None:
    login = call_config(
        config_module, "POST", "/auth/login", {}, {"email": OPERATOR_EMAIL, "password": PASSWORD}
    )
    bearer = {"authorization": "Bearer " + json.loads(login["body"])["accessToken"]}
    answers = {
        200: login,
        400: call_config(config_module, "PUT", "/instagram/config", bearer, {"nope": 1}),
        401: call_config(config_module, "GET", "/instagram/messages", {}),
        404: call_config(config_module, "GET", "/instagram/nothing-here", bearer),
    }
    assert {status: result["statusCode"] for status, result in answers.items()} == {s: s for s in answers}
    assert [s for s, result in answers.items() if not nosniff(result["headers"])] == []


def test_an_unexpected_error_is_answered_nosniff(
    config_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(config_module.api, "login", broken)  # public: no token needed to reach it
    result = call_config(config_module, "POST", "/auth/login", {})
    assert result["statusCode"] == 500
    assert nosniff(result["headers"])
