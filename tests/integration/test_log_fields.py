"""The saved Logs Insights queries, the dashboard's log widget and the token metric filter read what
the functions really log.

The handlers run in-process on moto (webhook and poller, the poller against the fake Chatrace)
through every outcome the queries look for — stored, duplicate, unrecognized, rejected, an
unexpected error, a dependency failure, polling disabled, a round, a failed round, a rejected
token — and the JSON lines they write (exactly what CloudWatch receives) are the corpus each query
is checked against: every field it reads is a key of some line, every string it compares is a
value of some line, every regex matches some ``message``.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from inbox import settings as inbox_settings
from inbox.errors import StoreUnavailable
from inbox.observability import TOKEN_REJECTED_LOG
from inbox.settings import CHATRACE_TOKEN, WEBHOOK_SECRET
from inbox_dev import cfn
from inbox_dev.fake_chatrace import FakeChatrace
from inbox_dev.lambdas import LambdaContext
from inbox_dev.local_aws import LocalStack

from tests.conftest import Invoke, LogCapture, use_function_environment
from tests.integration.poller_support import enable_polling

ROOT = Path(__file__).resolve().parents[2]
SECRET = "hook-secret-for-log-fields"
CONTACT = "2850008055041461"
BUILT_IN_FIELDS = {"@timestamp", "@message", "@logStream", "@log", "@requestId"}
KEYWORDS = {"fields", "filter", "stats", "sort", "by", "as", "asc", "desc", "limit", "in", "and", "or", "not"}
KEYWORDS |= {"like", "display", "dedup"}


# ------------------------------------------------------------------ the corpus


@pytest.fixture
def secrets(fake_chatrace: FakeChatrace) -> dict[str, str]:
    return {WEBHOOK_SECRET: SECRET, CHATRACE_TOKEN: fake_chatrace.token}


def _post(invoke: Invoke, body: bytes, **headers: str) -> int:
    sent = {"content-type": "application/json", "x-webhook-secret": SECRET, **headers}
    status: int = invoke("POST", body=body, headers=sent)["statusCode"]
    return status


def _webhook_outcomes(invoke: Invoke, webhook: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    seed = json.dumps({"senderId": "123456789", "messageId": "log-fields-1", "text": "hi", "username": "u"})
    assert _post(invoke, seed.encode()) == 200  # stored
    assert _post(invoke, seed.encode()) == 200  # duplicate
    assert _post(invoke, b'{"something": {"else": 1}}') == 202  # unrecognized
    assert _post(invoke, seed.encode(), **{"x-webhook-secret": "wrong"}) == 401
    assert _post(invoke, b'{"senderId": "1", "text": "broken') == 400

    def unavailable(*_: object, **__: object) -> None:
        raise StoreUnavailable(
            "DynamoDB refused the write (ProvisionedThroughputExceededException)", code="x"
        )

    def bug(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    other = json.dumps({"senderId": "123456789", "messageId": "log-fields-2", "text": "later"}).encode()
    with monkeypatch.context() as patched:
        patched.setattr(webhook.store, "put_message", unavailable)
        assert _post(invoke, other) == 503
    with monkeypatch.context() as patched:
        patched.setattr(webhook.store, "put_message", bug)
        assert _post(invoke, other) == 500


def _invoke_poller(poller: ModuleType) -> dict[str, Any]:
    event = {"id": "schedule-event-id", "source": "aws.events", "detail-type": "Scheduled Event"}
    result: dict[str, Any] = poller.lambda_handler(event, LambdaContext("PollerFunction", 512, 20))
    return result


def _poller_outcomes(stack: LocalStack, fake: FakeChatrace, monkeypatch: pytest.MonkeyPatch) -> None:
    use_function_environment(stack, "PollerFunction", monkeypatch)
    ssm = boto3.client("ssm")
    ssm.delete_parameter(Name=f"{stack.settings_prefix}/{CHATRACE_TOKEN}")
    inbox_settings.clear_caches()
    poller = importlib.reload(importlib.import_module("functions.poller.app"))
    assert _invoke_poller(poller)["status"] == "disabled"  # every reason: nothing is configured

    ssm.put_parameter(
        Name=f"{stack.settings_prefix}/{CHATRACE_TOKEN}",
        Value=fake.token,
        Type="SecureString",
        Overwrite=True,
    )
    enable_polling(stack, fake)
    fake.add_message(CONTACT, "found by the poller", username="anna.k")
    assert _invoke_poller(poller)["stored"] == 1
    fake.fail("500", times=1)
    assert _invoke_poller(poller)["failedRounds"] == 1
    fake.fail("401", times=None)
    assert _invoke_poller(poller)["status"] == "token rejected"
    fake.clear_faults()


@pytest.fixture
def corpus(
    stack: LocalStack,
    fake_chatrace: FakeChatrace,
    invoke_webhook: Invoke,
    webhook_module: ModuleType,
    logs: LogCapture,
    monkeypatch: pytest.MonkeyPatch,
) -> list[dict[str, Any]]:
    _webhook_outcomes(invoke_webhook, webhook_module, monkeypatch)
    _poller_outcomes(stack, fake_chatrace, monkeypatch)
    records = logs.records()
    messages = {record["message"] for record in records}
    assert {"message stored", "message duplicate", "delivery rejected", "unexpected error"} <= messages
    assert {"polling disabled", "poll round", "poll round failed; backing off (cursor kept)"} <= messages
    return records


def flatten(value: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    """``(dotted key, leaf)`` the way Logs Insights names JSON fields (list items by index)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from flatten(item, f"{prefix}{key}.")
    elif isinstance(value, list) and prefix:
        for index, item in enumerate(value):
            yield from flatten(item, f"{prefix}{index}.")
    if prefix:
        yield prefix[:-1], value


# ------------------------------------------------------------------ the queries


def saved_queries() -> dict[str, str]:
    template = cfn.load_template(ROOT / "template.yaml")
    queries = {
        logical_id: resource["Properties"]["QueryString"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Logs::QueryDefinition"
    }
    (dashboard,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    text = re.sub(r"\$\{[^}]+\}", "SUBSTITUTED", dashboard["Properties"]["DashboardBody"]["Fn::Sub"])
    for index, widget in enumerate(json.loads(text)["widgets"]):
        if widget["type"] == "log":
            queries[f"Dashboard log widget {index}"] = widget["properties"]["query"]
    return queries


QUERIES = saved_queries()


def parse_query(query: str) -> tuple[set[str], set[str], list[str]]:
    """(fields read, string literals compared, regexes) of a Logs Insights query."""
    text = re.sub(r"SOURCE\s+'[^']*'\s*\|", " ", query)
    regexes = re.findall(r"/((?:[^/\\\n]|\\.)+)/", text)
    text = re.sub(r"/((?:[^/\\\n]|\\.)+)/", " ", text)
    literals = set(re.findall(r'"((?:[^"\\]|\\.)*)"', text))
    text = re.sub(r'"((?:[^"\\]|\\.)*)"', " ", text)
    aliases = set(re.findall(r"\bas\s+(\w+)", text))
    text = re.sub(r"\bas\s+\w+", " ", text)
    text = re.sub(r"\b\w+\s*\(", " (", text)  # functions: count(, latest(, ...
    tokens = re.findall(r"@?[A-Za-z_][\w.]*", text)
    fields = {t for t in tokens if t.lower() not in KEYWORDS and t not in aliases}
    return fields, literals, regexes


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_a_query_reads_fields_and_values_the_functions_really_log(
    corpus: list[dict[str, Any]], name: str
) -> None:
    fields, literals, regexes = parse_query(QUERIES[name])
    keys = {key for record in corpus for key, _ in flatten(record)}
    values = {value for record in corpus for _, value in flatten(record) if isinstance(value, str)}
    assert fields, name
    assert fields - BUILT_IN_FIELDS - keys == set(), f"{name} reads fields no log line has"
    assert literals - values == set(), f"{name} compares with values no log line has"
    for regex in regexes:
        assert any(re.search(regex, record["message"]) for record in corpus), f"{name}: /{regex}/"


def test_the_query_parser_sees_what_a_query_reads() -> None:
    fields, literals, regexes = parse_query(
        'fields @timestamp, a.b | filter message in ["x y", "z"] or m like /^Q r/ '
        "| stats count(*) as n, latest(u) as v by s | sort n desc"
    )
    assert fields == {"@timestamp", "a.b", "message", "m", "u", "s"}
    assert literals == {"x y", "z"}
    assert regexes == ["^Q r"]


# ------------------------------------------------------------------ the token metric filter


def test_the_token_metric_filter_matches_the_rejected_token_line_only(corpus: list[dict[str, Any]]) -> None:
    template = cfn.load_template(ROOT / "template.yaml")
    (metric_filter,) = [
        r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Logs::MetricFilter"
    ]
    match = re.fullmatch(r'\{\s*\$\.(\w+)\s*=\s*"([^"]*)"\s*\}', metric_filter["FilterPattern"])
    assert match, metric_filter["FilterPattern"]
    field, pattern = match.groups()
    matched = [r for r in corpus if fnmatch.fnmatchcase(str(r.get(field, "")), pattern)]
    assert [r["level"] for r in matched] == ["ERROR"]
    assert matched[0]["message"].startswith(TOKEN_REJECTED_LOG)
    (dimension,) = metric_filter["MetricTransformations"][0]["Dimensions"]
    assert dimension["Value"].removeprefix("$.") in matched[0]


def test_every_poller_line_of_an_invocation_carries_the_schedule_events_id(
    corpus: list[dict[str, Any]],
) -> None:
    round_line = next(r for r in corpus if r["message"] == "poll round")
    assert round_line["correlation_id"] == "schedule-event-id"
    assert round_line["cold_start"] in (True, False)
    delivery = next(r for r in corpus if r["message"] == "delivery received")
    assert delivery["correlation_id"]  # the API Gateway request id, also kept with an unrecognized body
