"""`make bench`: the figures the README quotes, against their targets (printed, never asserted).

(a) cold-start proxy: median import time of the webhook handler module (its whole init phase:
    imports, settings, the DynamoDB client) vs. ``import boto3`` alone, fresh processes, same venv;
(b) normalizer throughput per adapter over the sample bodies, one core;
(c) warm request: the webhook handler in-process against moto vs. a bare handler that only does
    the same PutItem against the same moto.
"""

from __future__ import annotations

import argparse
import contextlib
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


def cold_start(runs: int) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", *SECRET_VARIABLES))}
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's fake credentials
        TABLE_NAME="bench-table",
        SETTINGS_PREFIX="/bench",
        POWERTOOLS_SERVICE_NAME="webhook",
        POWERTOOLS_METRICS_NAMESPACE="ChatraceInbox",
    )
    handler = _HANDLER_IMPORT.format(path=str(REPO_ROOT / "functions" / "webhook" / "app.py"))
    boto3_times, handler_times = [], []
    for _ in range(runs):  # interleaved, so drift on a busy machine hits both alike
        boto3_times.append(_fresh_process_seconds("import boto3", env))
        handler_times.append(_fresh_process_seconds(handler, env))
    boto3_median, handler_median = statistics.median(boto3_times), statistics.median(handler_times)
    return {
        "boto3_ms": boto3_median * 1000,
        "handler_ms": handler_median * 1000,
        "ratio": handler_median / boto3_median,
    }


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
    from inbox.store import dynamodb_client

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
        table = stack.table_names["MessagesTable"]
        # The same client (and configuration) the handler's store uses.
        client = dynamodb_client()

        def delivery_event() -> dict[str, Any]:
            body = {
                "senderId": "123",
                "messageId": f"b-{uuid.uuid4()}",
                "text": "hello",
                "timestamp": 1731499200,
            }
            headers = {"content-type": "application/json"}
            return http_api_event(
                "POST", "/instagram/webhook", headers=headers, body=json.dumps(body).encode()
            )

        events = iter([delivery_event() for _ in range(requests * 6)])  # built before the clock starts

        def handler_request() -> None:
            result = webhook.invoke(next(events))
            assert result["statusCode"] == 200, result

        def bare_request(event: dict[str, Any] | None = None, context: object = None) -> None:
            message_id = f"b-{uuid.uuid4()}"
            client.put_item(
                TableName=table,
                Item={
                    "pk": {"S": f"MSG#{message_id}"},
                    "sk": {"S": "MSG"},
                    "gsi1pk": {"S": "SENDER#123"},
                    "gsi1sk": {"S": f"2024-11-13T12:00:00Z#{message_id}"},
                    "gsi2pk": {"S": "MSG"},
                    "gsi2sk": {"S": f"2024-11-13T12:00:00Z#{message_id}"},
                    "messageId": {"S": message_id},
                    "senderId": {"S": "123"},
                    "text": {"S": "hello"},
                    "timestamp": {"S": "2024-11-13T12:00:00Z"},
                    "source": {"S": "webhook"},
                    "format": {"S": "flat"},
                    "receivedAt": {"S": "2024-11-13T12:00:01Z"},
                    "attachments": {"L": []},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )

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
    handler_ms, bare_ms = statistics.median(handler_times) * 1000, statistics.median(bare_times) * 1000
    return {"handler_ms": handler_ms, "bare_ms": bare_ms, "ratio": handler_ms / bare_ms}


def _verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def _target(relation: str, value: float, ok: bool) -> str:
    return f"target {relation} {value}  {_verdict(ok)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--import-runs", type=int, default=21)
    parser.add_argument("--seconds-per-adapter", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)

    print(f"Python {sys.version.split()[0]} on {os.cpu_count()} cores; fresh processes for (a)\n", flush=True)
    cold = cold_start(args.import_runs)
    print("(a) cold-start proxy (median import, fresh processes)")
    print(f"    import boto3                 {cold['boto3_ms']:7.1f} ms")
    print(f"    import webhook handler       {cold['handler_ms']:7.1f} ms")
    ratio_ok = cold["ratio"] <= TARGET_IMPORT_RATIO
    print(f"    ratio {cold['ratio']:29.2f}   {_target('≤', TARGET_IMPORT_RATIO, ratio_ok)}\n")

    rates = normalizer_rates(args.seconds_per_adapter)
    print("(b) normalizer throughput (payloads/s, one core)")
    for name, rate in rates.items():
        ok = rate >= TARGET_NORMALIZER_RATE
        print(f"    {name:<12} {rate:12,.0f}   target ≥ {TARGET_NORMALIZER_RATE:,}  {_verdict(ok)}")
    print()

    warm = warm_request(args.requests)
    print("(c) warm request, in-process against moto (median)")
    print(f"    webhook handler              {warm['handler_ms']:7.3f} ms")
    print(f"    bare PutItem handler         {warm['bare_ms']:7.3f} ms")
    warm_ok = warm["ratio"] <= TARGET_WARM_RATIO
    print(
        f"    ratio                        {warm['ratio']:7.2f}   {_target('≤', TARGET_WARM_RATIO, warm_ok)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
