"""inbox.observability: when the tracer is built, how rejected deliveries are counted."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from inbox import observability
from inbox.observability import (
    OTHER_REJECTION,
    REJECTION_REASONS,
    MetricName,
    count_rejected_delivery,
    metrics,
    trace_handler,
    tracing_enabled,
)

ROOT = Path(__file__).resolve().parents[2]
LAMBDA = {"LAMBDA_TASK_ROOT": "/var/task"}


@pytest.mark.parametrize(
    ("environ", "enabled"),
    [
        ({}, False),  # make dev, the tests, make bench
        (LAMBDA, True),
        ({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "1"}, False),
        ({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "false"}, True),
        ({**LAMBDA, "AWS_SAM_LOCAL": "true"}, False),  # sam local: no daemon to send traces to
    ],
)
def test_the_tracer_is_built_only_inside_lambda_unless_disabled(
    environ: dict[str, str], enabled: bool
) -> None:
    assert tracing_enabled(environ) is enabled


def test_outside_lambda_a_traced_handler_is_the_handler_itself() -> None:
    def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
        return event

    assert observability.tracer is None
    assert trace_handler(handler) is handler


def emf_blobs(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if '"_aws"' in line]


@pytest.fixture
def clean_metrics() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


@pytest.mark.usefixtures("clean_metrics")
@pytest.mark.parametrize(
    ("status", "reason"), [(401, "unauthorized"), (400, "malformed"), (418, OTHER_REJECTION)]
)
def test_a_rejected_delivery_is_counted_in_total_and_under_its_reason(
    capsys: pytest.CaptureFixture[str], status: int, reason: str
) -> None:
    assert count_rejected_delivery(status) == reason
    metrics.flush_metrics()
    by_dimensions = {}
    for blob in emf_blobs(capsys.readouterr().out):
        (definition,) = blob["_aws"]["CloudWatchMetrics"]
        names = [m["Name"] for m in definition["Metrics"]]
        assert names == [MetricName.REJECTED_DELIVERIES]
        (dimensions,) = definition["Dimensions"]
        by_dimensions[tuple(sorted(dimensions))] = blob
    assert set(by_dimensions) == {("service",), ("reason", "service")}
    assert by_dimensions[("reason", "service")]["reason"] == reason
    assert by_dimensions[("service",)][MetricName.REJECTED_DELIVERIES] == [1.0]


def _statuses_the_webhook_rejects_with() -> set[int]:
    statuses = set()
    for name in ("delivery.py", "ingest.py", "auth.py"):
        tree = ast.parse((ROOT / "layers/common/inbox/webhook" / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "RejectedDelivery":
                first = node.args[0]
                assert isinstance(first, ast.Constant), ast.unparse(node)
                assert isinstance(first.value, int), ast.unparse(node)
                statuses.add(first.value)
    return statuses


def test_every_status_the_webhook_rejects_with_has_its_own_reason() -> None:
    statuses = _statuses_the_webhook_rejects_with()
    assert {400, 401, 413, 415} <= statuses
    # 403 is the Meta handshake's refusal (GET), which is not a delivery.
    assert statuses - {403} == set(REJECTION_REASONS)
