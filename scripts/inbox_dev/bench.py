"""`make bench`: the figures the README quotes, against their targets (printed, never asserted).

(a) cold-start proxy: median import time of the webhook handler module (its whole init phase:
    imports, settings, the DynamoDB client) vs. ``import boto3`` alone, fresh processes, same venv;
(b) normalizer throughput per adapter over the sample bodies, one core;
(c) warm request: the webhook handler in-process against moto vs. a bare handler that only does
    the same PutItem against the same moto;
(d) the dev server under load; (e) cost per million messages;
(f) the web inbox: its page weight, and Chromium showing 500 conversations (inbox_dev.bench_web).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from inbox_dev.local_aws import REPO_ROOT, SECRET_VARIABLES

TARGET_IMPORT_RATIO = 1.3
TARGET_NORMALIZER_RATE = 50_000
TARGET_WARM_RATIO = 1.25

_TIMED_IMPORT = """
import time, sys
start = time.perf_counter()
{statement}
print(time.perf_counter() - start)
"""
_HANDLER_IMPORT = """
import importlib.util
spec = importlib.util.spec_from_file_location("webhook_app", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""


def _fresh_process_seconds(statement: str, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _TIMED_IMPORT.format(statement=statement)],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


FUNCTIONS = ("webhook", "poller", "config")
# Targets for the cold-start ratio; the operator API has none (a person waits for it, not a sender).
COLD_START_TARGETS = {"webhook": TARGET_IMPORT_RATIO, "poller": TARGET_IMPORT_RATIO}


def cold_start(runs: int) -> dict[str, float]:
    """Median milliseconds of ``import boto3``, ``boto3`` plus one DynamoDB client, and each handler."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", *SECRET_VARIABLES))}
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's fake credentials
        TABLE_NAME="bench-table",
        SETTINGS_PREFIX="/bench",
        POWERTOOLS_METRICS_NAMESPACE="ChatraceInbox",
        POWERTOOLS_TRACE_DISABLED="true",
    )
    statements = {
        "boto3": "import boto3",
        "boto3 + DynamoDB client": "import boto3; boto3.client('dynamodb')",
        **{
            name: _HANDLER_IMPORT.format(path=str(REPO_ROOT / "functions" / name / "app.py"))
            for name in FUNCTIONS
        },
    }
    times: dict[str, list[float]] = {name: [] for name in statements}
    for _ in range(runs):  # interleaved, so drift on a busy machine hits all alike
        for name, statement in statements.items():
            times[name].append(_fresh_process_seconds(statement, {**env, "POWERTOOLS_SERVICE_NAME": name}))
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def local_server_rate(deliveries: int, clients: int) -> dict[str, float]:
    """Requests/s and latency of the dev server under ``clients`` concurrent senders (make load's mix)."""
    from inbox_dev import load
    from inbox_dev.devprocess import start_dev_server, stop_dev_server

    server = start_dev_server(quiet=True)
    try:
        outcomes, seconds = load.send_all(
            server.webhook_url, load.plan(deliveries, 0.3, 0.05, 11), clients, None
        )
    finally:
        stop_dev_server(server)
    latencies = sorted(o.seconds * 1000 for o in outcomes)
    return {
        "rate": len(outcomes) / seconds,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))],
        "problems": float(len(load.check(outcomes))),
    }


# Prices used for the cost estimate (us-east-1, on-demand, as published by AWS in 2025).
PRICES = {
    "http_api_per_million": 1.00,  # API Gateway HTTP API, first 300 M requests/month
    "lambda_per_million": 0.20,  # Lambda requests
    "lambda_arm_gb_second": 0.0000133334,  # Lambda duration, arm64
    "dynamodb_per_million_wru": 0.625,  # DynamoDB on-demand write request units
    "logs_per_gb": 0.50,  # CloudWatch Logs ingestion (standard class)
}
MEMORY_MB = 512


def _kb(size: int) -> int:
    """DynamoDB meters writes in whole KB."""
    return max(1, -(-size // 1024))


def cost_per_million(
    duration_ms: float, message_item_bytes: int, fingerprint_item_bytes: int, log_bytes: int
) -> dict[str, float]:
    """Dollars per million delivered messages, one message per delivery.

    The write is one TransactWriteItems of the message and its fingerprint (2 WRU per KB each),
    and the message item is copied to two GSIs (1 WRU per KB each). Lambda bills whole ms.
    """
    wru = 2 * _kb(message_item_bytes) + 2 * _kb(fingerprint_item_bytes) + 2 * _kb(message_item_bytes)
    billed_ms = max(1, -(-int(duration_ms * 1000) // 1000))
    costs = {
        "API Gateway": PRICES["http_api_per_million"],
        "Lambda requests": PRICES["lambda_per_million"],
        "Lambda duration": 1e6 * billed_ms / 1000 * MEMORY_MB / 1024 * PRICES["lambda_arm_gb_second"],
        "DynamoDB writes": wru * PRICES["dynamodb_per_million_wru"],
        "CloudWatch Logs": 1e6 * log_bytes / 1024**3 * PRICES["logs_per_gb"],
    }
    costs["total"] = sum(costs.values())
    costs["wru"] = float(wru)
    return costs


def normalizer_rates(seconds_per_adapter: float) -> dict[str, float]:
    from inbox.normalize import normalize

    from inbox_dev.samples import load_samples

    now = datetime.now(UTC)
    by_format: dict[str, list[object]] = {}
    for sample in load_samples():
        try:
            body = json.loads(sample.body)
        except ValueError:
            continue
        result = normalize(body, received_at=now)
        if result.format:
            by_format.setdefault(result.format, []).append(body)
    by_format.setdefault("fieldmap", [{"payload": {"contact": {"id": "1"}, "msg": "hi", "ts": 1731499200}}])
    field_map = {"senderId": ["payload.contact.id"], "text": ["payload.msg"], "timestamp": ["payload.ts"]}
    rates = {}
    for name, bodies in sorted(by_format.items()):
        mapping = field_map if name == "fieldmap" else None
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds_per_adapter:
            for _ in range(200):
                for body in bodies:
                    normalize(body, received_at=now, field_map=mapping)
                count += len(bodies)
        rates[name] = count / (time.perf_counter() - start)
    return rates


def warm_request(requests: int) -> dict[str, float]:
    """Median warm request through the handler vs. the store's own write of the same message.

    The write path is one TransactWriteItems (the message and its content fingerprint; see
    inbox.storage.store), so the bare handler does exactly that write — built by the store from an equal
    message — and nothing else: no HTTP event, parsing, normalizing, logging or metrics.
    Every message has its own text, as real traffic does (equal texts would take the slower
    content-matching path on purpose).
    """
    from inbox.models import NormalizedMessage
    from inbox.storage.store import MessageStore

    from inbox_dev import cfn
    from inbox_dev.events import http_api_event
    from inbox_dev.lambdas import LocalFunction
    from inbox_dev.local_aws import local_aws, provision

    with local_aws():
        stack = provision(secrets={})
        spec = next(
            f for f in cfn.functions(stack.template, stack.context) if f.logical_id == "WebhookFunction"
        )
        webhook = LocalFunction(spec)
        store = MessageStore(stack.table_names["MessagesTable"])

        def delivery_event() -> dict[str, Any]:
            body = {"senderId": "123", "messageId": f"b-{uuid.uuid4()}", "text": f"hello {uuid.uuid4()}"}
            headers = {"content-type": "application/json"}
            return http_api_event(
                "POST", "/instagram/webhook", headers=headers, body=json.dumps(body).encode()
            )

        def bare_message() -> NormalizedMessage:
            # Like the handler's messages: the body has no time, so each is stamped when built.
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            return NormalizedMessage(
                messageId=f"b-{uuid.uuid4()}",
                senderId="123",
                text=f"hello {uuid.uuid4()}",
                timestamp=stamp,
                format="flat",
                receivedAt=stamp,
            )

        # Built before the clock starts.
        events = iter([delivery_event() for _ in range(requests * 6 + 1)])
        messages = iter([bare_message() for _ in range(requests * 6)])

        def handler_request() -> None:
            result = webhook.invoke(next(events))
            assert result["statusCode"] == 200, result

        def bare_request() -> None:
            assert store.put_message(next(messages)) == "stored"

        def timed(call: Callable[[], None]) -> list[float]:
            times = []
            for _ in range(requests):
                start = time.perf_counter()
                call()
                times.append(time.perf_counter() - start)
            return times

        from inbox.observability import logger

        # Log lines are formatted as in Lambda but written to /dev/null, not this terminal.
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            handler = logger.registered_handler
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(devnull)
            timed(handler_request)  # warm-up
            timed(bare_request)
            handler_times, bare_times = [], []
            for _ in range(5):  # interleaved rounds
                handler_times += timed(handler_request)
                bare_times += timed(bare_request)
            sizes = _stored_sizes(store, next(events), webhook, handler)
    handler_ms, bare_ms = statistics.median(handler_times) * 1000, statistics.median(bare_times) * 1000
    return {"handler_ms": handler_ms, "bare_ms": bare_ms, "ratio": handler_ms / bare_ms, **sizes}


# Lambda's own START / END / REPORT lines per invocation (JSON log format), roughly.
_PLATFORM_LOG_BYTES = 350


def _stored_sizes(
    store: Any, event: dict[str, Any], webhook: Any, handler: logging.Handler
) -> dict[str, float]:
    """Bytes of one delivery's message item, fingerprint item and log output (for the cost estimate)."""
    from inbox.storage.store import message_key

    captured = io.StringIO()
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(captured)
    with contextlib.redirect_stdout(captured):
        result = webhook.invoke(event)
    message_id = json.loads(result["body"])["messages"][0]["messageId"]
    client = store._client
    item = client.get_item(TableName=store.table_name, Key=message_key(message_id))
    fingerprints = client.scan(
        TableName=store.table_name,
        FilterExpression="begins_with(pk, :fp)",
        ExpressionAttributeValues={":fp": {"S": "FP#"}},
        Limit=1000,
    )["Items"]
    return {
        "item_bytes": float(_item_bytes(item["Item"])),
        "fingerprint_bytes": float(max(_item_bytes(f) for f in fingerprints)) if fingerprints else 0.0,
        "log_bytes": float(len(captured.getvalue().encode()) + _PLATFORM_LOG_BYTES),
    }


def _item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (numbers approximated by their digits)."""

    def value_size(value: dict[str, Any]) -> int:
        ((kind, content),) = value.items()
        if kind in ("S", "N"):
            return len(str(content).encode())
        if kind == "B":
            return len(content)
        if kind == "BOOL" or kind == "NULL":
            return 1
        if kind == "L":
            return 3 + sum(1 + value_size(v) for v in content)
        if kind == "M":
            return 3 + sum(len(k.encode()) + 1 + value_size(v) for k, v in content.items())
        return len(json.dumps(content))

    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def _verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def _target(relation: str, value: float, ok: bool) -> str:
    return f"target {relation} {value}  {_verdict(ok)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--import-runs", type=int, default=21)
    parser.add_argument("--seconds-per-adapter", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--load-deliveries", type=int, default=500)
    args = parser.parse_args(argv)

    print(f"Python {sys.version.split()[0]} on {os.cpu_count()} cores; fresh processes for (a)\n", flush=True)
    cold = cold_start(args.import_runs)
    print("(a) cold-start proxy (median import of the handler module, whole init phase; fresh processes)")
    for name, ms in cold.items():
        label = f"import {name}" if name in FUNCTIONS or name.startswith("boto3") else name
        line = f"    {label:<30} {ms:7.1f} ms"
        if name in FUNCTIONS:
            ratio = ms / cold["boto3"]
            target = COLD_START_TARGETS.get(name)
            verdict = _target("≤", target, ratio <= target) if target else "no target"
            line += f"   ratio {ratio:4.2f}   {verdict}"
        print(line)
    print()

    rates = normalizer_rates(args.seconds_per_adapter)
    print("(b) normalizer throughput (payloads/s, one core)")
    for name, rate in rates.items():
        ok = rate >= TARGET_NORMALIZER_RATE
        print(f"    {name:<12} {rate:12,.0f}   target ≥ {TARGET_NORMALIZER_RATE:,}  {_verdict(ok)}")
    print()

    warm = warm_request(args.requests)
    print("(c) warm request, in-process against moto (median)")
    print(f"    webhook handler              {warm['handler_ms']:7.3f} ms")
    print(f"    bare write (same transaction) {warm['bare_ms']:6.3f} ms")
    warm_ok = warm["ratio"] <= TARGET_WARM_RATIO
    print(
        f"    ratio                        {warm['ratio']:7.2f}   {_target('≤', TARGET_WARM_RATIO, warm_ok)}"
    )
    print()

    local = local_server_rate(args.load_deliveries, 16)
    print(f"(d) local dev server, {args.load_deliveries} deliveries, 16 concurrent clients (make load's mix)")
    latency = f"p50 {local['p50_ms']:.1f} ms   p99 {local['p99_ms']:.1f} ms"
    print(f"    throughput {local['rate']:8.0f} requests/s   {latency}")
    print(f"    counting problems: {int(local['problems'])}\n")

    sizes = warm["item_bytes"], warm["fingerprint_bytes"], warm["log_bytes"]
    print("(e) cost per million delivered messages on AWS (prices below, us-east-1, on demand)")
    for duration, label in (
        (warm["handler_ms"], "measured"),
        (warm["handler_ms"] + 10, "measured + 10 ms DynamoDB"),
    ):
        costs = cost_per_million(duration, int(sizes[0]), int(sizes[1]), int(sizes[2]))
        parts = ", ".join(f"{k} ${v:.2f}" for k, v in costs.items() if k not in ("total", "wru"))
        print(f"    {label:<26} ${costs['total']:.2f}   ({parts}; {costs['wru']:.0f} WRU/message)")
    print(
        f"    sizes: message item {sizes[0]:.0f} B, fingerprint item {sizes[1]:.0f} B, logs {sizes[2]:.0f} B"
    )
    print("    prices: " + ", ".join(f"{k}={v}" for k, v in PRICES.items()) + f", memory {MEMORY_MB} MB\n")

    from inbox_dev import bench_web  # the browser part imports Playwright: only when it runs

    bench_web.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
