"""Fixtures shared by every tier: fake AWS (moto provisioned from template.yaml) and handlers."""

from __future__ import annotations

import importlib
import io
import json
import logging
import os
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from inbox import aws as inbox_aws
from inbox import settings as inbox_settings
from inbox_dev.events import http_api_event
from inbox_dev.fake_chatrace import FakeChatrace
from inbox_dev.lambdas import LambdaContext
from inbox_dev.local_aws import LocalStack, local_aws, provision


def pytest_configure(config: pytest.Config) -> None:
    """Give the test process the Powertools settings template.yaml's Globals give every function,
    before any test imports the package (Logger and Metrics read them when created)."""
    from inbox_dev import cfn
    from inbox_dev.local_aws import TEMPLATE_PATH

    template = cfn.load_template(TEMPLATE_PATH)
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for name, value in variables.items():
        if name.startswith("POWERTOOLS_") and isinstance(value, str):
            os.environ.setdefault(name, value)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto for every AWS call, with fake credentials; nothing can reach a real account."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    with local_aws():
        yield


@pytest.fixture
def secrets() -> dict[str, str]:
    """Secrets to seed (name below the prefix → value); tests override this to turn checks on."""
    return {}


@pytest.fixture
def parameter_overrides() -> dict[str, str]:
    """Template parameters to override (tests override this to provision another stack)."""
    return {}


@pytest.fixture
def stack(
    aws: None, secrets: dict[str, str], parameter_overrides: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalStack]:
    """The template's table and parameters in moto, and the environment the template gives functions."""
    provisioned = provision(secrets=secrets, parameter_overrides=parameter_overrides)
    use_function_environment(provisioned, "WebhookFunction", monkeypatch)
    inbox_aws.aws_client.cache_clear()
    yield provisioned
    inbox_settings.clear_caches()
    inbox_aws.aws_client.cache_clear()


def use_function_environment(stack: LocalStack, logical_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment template.yaml gives that function, as its cold start would see it."""
    spec = next(spec for spec in _function_specs(stack) if spec.logical_id == logical_id)
    for name, value in spec.environment.items():
        monkeypatch.setenv(name, value)
    inbox_settings.clear_caches()


def _function_specs(stack: LocalStack) -> list[Any]:
    from inbox_dev import cfn

    return cfn.functions(stack.template, stack.context)


@pytest.fixture
def table_name(stack: LocalStack) -> str:
    return stack.table_names["MessagesTable"]


@pytest.fixture
def webhook_module(stack: LocalStack) -> ModuleType:
    """functions/webhook/app.py imported fresh inside moto, as a cold start would."""
    module = importlib.import_module("functions.webhook.app")
    return importlib.reload(module)


Invoke = Callable[..., dict[str, Any]]


@pytest.fixture
def invoke_webhook(webhook_module: ModuleType) -> Invoke:
    """Call the webhook handler with an API Gateway HTTP API event; returns the raw Lambda result."""

    def invoke(
        method: str = "POST",
        path: str = "/instagram/webhook",
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        query: str | dict[str, str] | None = None,
    ) -> dict[str, Any]:
        event = http_api_event(method, path, headers=headers, query=query, body=body)
        result: dict[str, Any] = webhook_module.lambda_handler(
            event, LambdaContext("WebhookFunction", 512, 10)
        )
        return result

    return invoke


class LogCapture:
    """The JSON lines the functions' Powertools logger writes, exactly as CloudWatch would get them."""

    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    @property
    def text(self) -> str:
        return self._stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def named(self, message: str) -> list[dict[str, Any]]:
        return [record for record in self.records() if record.get("message") == message]


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    from inbox.observability import logger

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    target = logging.getLogger(logger.name)
    target.addHandler(handler)
    yield LogCapture(stream)
    target.removeHandler(handler)


@pytest.fixture
def fake_chatrace() -> Iterator[FakeChatrace]:
    """A fake Chatrace inbox API on a free localhost port, running for the test (inbox_dev.fake_chatrace)."""
    with FakeChatrace() as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_secret_reaches_a_log_line(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that seeds secrets also proves that none of their values reached a log line."""
    if "stack" not in request.fixturenames:
        yield
        return
    from inbox.observability import logger

    seeded: dict[str, str] = request.getfixturevalue("secrets")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    target = logging.getLogger(logger.name)
    target.addHandler(handler)
    try:
        yield
    finally:
        target.removeHandler(handler)
    logged = stream.getvalue()
    leaked = sorted(name for name, value in seeded.items() if len(value) >= 8 and value in logged)
    assert not leaked, f"secret values reached the logs: {leaked}"
