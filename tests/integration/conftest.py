"""Fixtures shared by the integration tests: the store, the poller and the operator API (functions/config)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import boto3
import jwt
import pytest
from inbox.operator import tokens
from inbox.operator.passwords import hash_password
from inbox.settings import INITIAL_SESSION_GENERATION
from inbox.storage.store import MessageStore
from inbox_dev.events import http_api_event
from inbox_dev.lambdas import LambdaContext
from inbox_dev.local_aws import LocalStack

from tests.conftest import use_function_environment

ADMIN_EMAIL = "Boss@Example.com"
ADMIN_PASSWORD = "correct horse battery staple"
JWT_SECRET = "jwt-signing-secret-" + "0123456789abcdef" * 2
PASSWORD_HASH = hash_password(ADMIN_PASSWORD, n=2**10)  # cheap for tests; the default is 2**16
OPERATOR = {
    "auth/admin-email": ADMIN_EMAIL,
    "auth/admin-password-hash": PASSWORD_HASH,
    "auth/jwt-secret": JWT_SECRET,
}
JSON = {"content-type": "application/json"}
PROTECTED = [
    ("GET", "/instagram/config"),
    ("PUT", "/instagram/config"),
    ("GET", "/instagram/messages"),
    ("GET", "/instagram/unrecognized"),
    ("POST", "/instagram/unrecognized/" + "a" * 64 + "/replay"),
]


def forged(**changes: Any) -> str:
    """A token of the local stack's shape, signed with its key unless ``key``/``algorithm`` say
    otherwise; ``changes`` replace claims (None drops one): what a leaked key, a minting bug or an
    attacker would produce."""
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "sub": "admin",
        "iat": now,
        "exp": now + 600,
        "iss": tokens.issuer_for("/chatrace-inbox-local"),
        "aud": tokens.AUDIENCE,
        "gen": INITIAL_SESSION_GENERATION,
    }
    key = changes.pop("key", JWT_SECRET)
    algorithm = changes.pop("algorithm", "HS256")
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm=algorithm)


@pytest.fixture
def store(table_name: str) -> MessageStore:
    return MessageStore(table_name, boto3.client("dynamodb"))


@pytest.fixture
def poller_module(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """functions/poller/app.py imported fresh inside moto, as a cold start would."""
    use_function_environment(stack, "PollerFunction", monkeypatch)
    return importlib.reload(importlib.import_module("functions.poller.app"))


@pytest.fixture
def config_module(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """functions/config/app.py imported fresh inside moto, as a cold start would."""
    use_function_environment(stack, "ConfigFunction", monkeypatch)
    return importlib.reload(importlib.import_module("functions.config.app"))


class Reply:
    def __init__(self, result: dict[str, Any]) -> None:
        self.status: int = result["statusCode"]
        self.headers: dict[str, str] = result.get("headers") or {}
        self.text: str = result.get("body") or ""
        as_json = self.headers.get("Content-Type", "application/json").startswith("application/json")
        self.body: Any = json.loads(self.text) if self.text and as_json else None

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.text[:300]})"


Call = Callable[..., Reply]


@pytest.fixture
def call(config_module: ModuleType) -> Call:
    def invoke(
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | str | None = None,
        token: str | None = None,
    ) -> Reply:
        raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        sent = {"host": "abc123.execute-api.eu-west-1.amazonaws.com", "x-forwarded-proto": "https", **JSON}
        sent.update(headers or {})
        if token is not None:
            sent["authorization"] = f"Bearer {token}"
        parameters = {"id": path.split("/")[3]} if path.endswith("/replay") else None
        event = http_api_event(method, path, headers=sent, query=query, body=raw, path_parameters=parameters)
        return Reply(config_module.lambda_handler(event, LambdaContext("ConfigFunction", 512, 10)))

    return invoke


@pytest.fixture
def token(call: Call) -> str:
    reply = call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert reply.status == 200, reply
    access_token: str = reply.body["accessToken"]
    return access_token
