"""`make bench`: the figures docs/performance.md quotes, against their targets (printed, never asserted).

(a) cold start: each function's whole init phase (its app.py in a fresh process) ÷ ``import boto3``,
    the median of interleaved pairs, next to issue 14's target and a floor measured the same way
    (:data:`FLOORS`), with the ten largest imports (``-X importtime``) beyond what the floor imports;
(b) normalizer throughput per adapter over the sample bodies, one core;
(c) warm request: the webhook handler in-process against moto vs. a bare handler that only does
    the same write against the same moto;
(d) the dev server under load; (e) cost per million messages (:mod:`inbox_dev.bench_cost`);
(f) the web inbox: its page weight, and Chromium showing 500 conversations (inbox_dev.bench_web);
(g) the table's item codec: boto3's serializer vs hand-written (:mod:`inbox_dev.bench_codec`).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from inbox_dev import deployed
from inbox_dev.local_aws import REPO_ROOT, SECRET_VARIABLES

TARGET_NORMALIZER_RATE = 50_000
TARGET_WARM_RATIO = 1.25
TARGET_COST = 4.00

FUNCTIONS = ("webhook", "poller", "config", "events")
COLD_START_TARGETS = {"webhook": 1.3, "poller": 1.4, "config": 1.6}
"""Issue 14's targets for a handler's init phase ÷ ``import boto3``; the events function has none."""
FLOOR_MARGIN = 1.05
"""A target out of reach is met when the handler is within 5 % of its floor."""

_TIMED = """{prelude}
import time
start = time.process_time()
{statement}
print(time.process_time() - start)
"""
_HANDLER_IMPORT = """
import importlib.util
spec = importlib.util.spec_from_file_location("lambda_app", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""
_LOGGER_METRICS = (
    "from aws_lambda_powertools import Logger, Metrics",
    "Logger(); Metrics()",
)
_RESOLVER_IMPORT = (
    "from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver, Response"
)
_RESOLVER = (_RESOLVER_IMPORT, "APIGatewayHttpResolver()")
FLOORS: dict[str, tuple[str, ...]] = {
    "webhook": ("import boto3", *_LOGGER_METRICS, *_RESOLVER, "boto3.client('dynamodb')"),
    "poller": (
        "import boto3",
        *_LOGGER_METRICS,
        "from aws_lambda_powertools.metrics import EphemeralMetrics",
        "EphemeralMetrics()",
        "import httpx",  # every invocation calls Chatrace's inbox API
        "boto3.client('dynamodb')",
    ),
    "config": (
        "import boto3",
        *_LOGGER_METRICS,
        _RESOLVER_IMPORT,
        "APIGatewayHttpResolver(enable_validation=True)",  # issue 11: routes validated by Powertools
        "import jwt",  # every protected request checks its bearer token (HS256: no cryptography)
        "boto3.client('dynamodb')",
    ),
    "events": (
        "import boto3",
        *_LOGGER_METRICS,
        "from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType",
        "BatchProcessor(event_type=EventType.DynamoDBStreams)",
        "boto3.client('events')",
    ),
}
WEBHOOK_WITHOUT_RESOLVER = ("import boto3", *_LOGGER_METRICS, "boto3.client('dynamodb')")
"""The webhook's floor if it read the payload-2.0 event itself instead of through the Powertools
resolver: printed for comparison (the team's style keeps the resolver; see docs/performance.md)."""
_WITHOUT_RESOLVER = "webhook floor without the resolver"
"""The least a function's init phase can import and build: boto3, the Powertools pieces it really
uses and the clients it makes at init. Note that importing ``event_handler.api_gateway`` runs the
``event_handler`` package's ``__init__`` first (Python imports parents before children), which
imports every resolver; only a handler without the Powertools resolver can go below this floor."""


def _import_env(function: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_", *SECRET_VARIABLES))}
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's fake credentials
        TABLE_NAME="bench-table",
        SETTINGS_PREFIX="/bench",
        EVENT_BUS_NAME="bench-bus",
        POWERTOOLS_METRICS_NAMESPACE="ChatraceInbox",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_SERVICE_NAME=function,
    )
    return env


def compile_sources() -> None:
    """Bytecode for the layer and the functions before any import is timed, as the built layer has
    (layers/common/Makefile), so no run pays for compiling; PYTHONDONTWRITEBYTECODE would otherwise
    make every fresh process compile them again."""
    for folder in ("layers/common/inbox", "functions"):
        compileall.compile_dir(REPO_ROOT / folder, quiet=1)


def _handler_statement(function: str) -> str:
    return _HANDLER_IMPORT.format(path=str(REPO_ROOT / "functions" / function / "app.py"))


def _fresh_process_seconds(
    statement: str, env: dict[str, str], *flags: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", _TIMED.format(prelude=deployed.prelude(), statement=statement)],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )


def _seconds(statement: str, env: dict[str, str]) -> float:
    return float(_fresh_process_seconds(statement, env).stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class ColdStart:
    """Medians over interleaved pairs: each measurement next to an ``import boto3`` of its own."""

    ms: float
    ratio: float


def cold_start(runs: int) -> tuple[float, dict[str, ColdStart]]:
    """Median ms of ``import boto3``, and per handler and per floor its median ms and median ratio.

    Every handler or floor import runs in a fresh process right before or after (alternating) a
    fresh ``import boto3``; its ratio is taken within that pair, so drift on a busy machine cancels.
    Each process reports its own CPU time, which other processes disturb less than wall time.
    """
    statements = {
        **{name: (_handler_statement(name), _import_env(name)) for name in FUNCTIONS},
        **{f"{name} floor": ("\n".join(FLOORS[name]), _import_env(name)) for name in FUNCTIONS},
        _WITHOUT_RESOLVER: ("\n".join(WEBHOOK_WITHOUT_RESOLVER), _import_env("webhook")),
    }
    baseline: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in statements}
    ratios: dict[str, list[float]] = {name: [] for name in statements}
    for run in range(runs):
        for name, (statement, env) in statements.items():
            if run % 2:
                measured, boto3 = _seconds(statement, env), _seconds("import boto3", env)
            else:
                boto3, measured = _seconds("import boto3", env), _seconds(statement, env)
            baseline.append(boto3)
            times[name].append(measured)
            ratios[name].append(measured / boto3)
    results = {
        name: ColdStart(statistics.median(times[name]) * 1000, statistics.median(ratios[name]))
        for name in statements
    }
    return statistics.median(baseline) * 1000, results


@dataclass(frozen=True)
class ImportCost:
    name: str
    depth: int
    ms: float
    """Cumulative, less the modules below it that ``import boto3`` loads anyway."""


def largest_imports(function: str, runs: int = 3, count: int = 10) -> tuple[list[ImportCost], float]:
    """The ``count`` largest imports of a handler (``python -X importtime``, median of ``runs``), each
    less the modules its floor loads anyway (the baseline: boto3, Powertools, pydantic …), so the
    list shows what the function adds to its floor; and ``boto3``'s own cumulative ms."""
    floor = "\n".join(FLOORS[function])
    baseline = {entry.name for entry in _import_entries(_importtime(floor, _import_env(function)))}
    samples: dict[tuple[str, int], list[float]] = {}
    baseline_ms: list[float] = []
    for _ in range(runs):
        entries = _import_entries(_importtime(_handler_statement(function), _import_env(function)))
        own, in_baseline = _outside(entries, baseline)
        baseline_ms.append(in_baseline)
        for entry in own:
            samples.setdefault((entry.name, entry.depth), []).append(entry.ms)
    costs = [ImportCost(name, depth, statistics.median(values)) for (name, depth), values in samples.items()]
    costs.sort(key=lambda cost: cost.ms, reverse=True)
    return costs[:count], statistics.median(baseline_ms)


def _importtime(statement: str, env: dict[str, str]) -> str:
    return _fresh_process_seconds(statement, env, "-X", "importtime").stderr


@dataclass
class _Entry:
    name: str
    depth: int
    cumulative_ms: float
    children: list[_Entry]


def _import_entries(stderr: str) -> list[_Entry]:
    """``-X importtime``'s lines as a forest, in printed order (children come before their parent)."""
    pending: dict[int, list[_Entry]] = {}
    entries = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, raw_name = line.split("|", 2)
        depth = (len(raw_name) - len(raw_name.lstrip(" ")) - 1) // 2
        entry = _Entry(raw_name.strip(), depth, int(cumulative) / 1000, pending.pop(depth + 1, []))
        pending.setdefault(depth, []).append(entry)
        entries.append(entry)
    return entries


def _outside(entries: list[_Entry], baseline: set[str]) -> tuple[list[ImportCost], float]:
    """Each import's cumulative ms less its baseline modules' (the outermost ones), and boto3's ms."""
    inside: dict[int, float] = {}

    def baseline_ms(entry: _Entry) -> float:
        if id(entry) not in inside:
            own = entry.cumulative_ms if entry.name in baseline else 0.0
            inside[id(entry)] = own or sum(baseline_ms(child) for child in entry.children)
        return inside[id(entry)]

    costs = [
        ImportCost(entry.name, entry.depth, entry.cumulative_ms - baseline_ms(entry))
        for entry in entries
        if entry.name not in baseline
    ]
    return costs, sum(entry.cumulative_ms for entry in entries if entry.name == "boto3")


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


def normalizer_rates(seconds_per_adapter: float) -> dict[str, float]:
    from inbox.normalize.dispatch import normalize

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

        from inbox_dev import bench_cost

        # Log lines are formatted as in Lambda but written to /dev/null, not this terminal.
        with open(os.devnull, "w") as devnull, bench_cost.function_output(devnull):
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


SECTIONS = "abcdefg"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", default=SECTIONS, help="the sections to run, e.g. --only ae (default: all)")
    parser.add_argument("--import-runs", type=int, default=11, help="interleaved pairs per import in (a)")
    parser.add_argument("--seconds-per-adapter", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--load-deliveries", type=int, default=500)
    parser.add_argument("--cost-deliveries", type=int, default=20)
    args = parser.parse_args(argv)
    sections = set(args.only)

    print(f"Python {sys.version.split()[0]} on {os.cpu_count()} cores\n", flush=True)
    if "a" in sections:
        report_cold_start(args.import_runs)
    if "b" in sections:
        rates = normalizer_rates(args.seconds_per_adapter)
        print("(b) normalizer throughput (payloads/s, one core)")
        for name, rate in rates.items():
            ok = rate >= TARGET_NORMALIZER_RATE
            print(f"    {name:<12} {rate:12,.0f}   target ≥ {TARGET_NORMALIZER_RATE:,}  {_verdict(ok)}")
        print(flush=True)
    if "c" in sections:
        warm = warm_request(args.requests)
        print("(c) warm request, in-process against moto (median)")
        print(f"    webhook handler              {warm['handler_ms']:7.3f} ms")
        print(f"    bare write (same transaction) {warm['bare_ms']:6.3f} ms")
        warm_ok = warm["ratio"] <= TARGET_WARM_RATIO
        verdict = _target("≤", TARGET_WARM_RATIO, warm_ok)
        print(f"    ratio                        {warm['ratio']:7.2f}   {verdict}")
        print(flush=True)
    if "d" in sections:
        local = local_server_rate(args.load_deliveries, 16)
        deliveries = args.load_deliveries
        print(f"(d) local dev server, {deliveries} deliveries, 16 concurrent clients (make load's mix)")
        latency = f"p50 {local['p50_ms']:.1f} ms   p99 {local['p99_ms']:.1f} ms"
        print(f"    throughput {local['rate']:8.0f} requests/s   {latency}")
        print(f"    counting problems: {int(local['problems'])}\n", flush=True)
    if "e" in sections:
        report_cost(args.cost_deliveries)
    if "f" in sections:
        from inbox_dev import bench_web  # the browser part imports Playwright: only when it runs

        bench_web.report()
    if "g" in sections:
        from inbox_dev import bench_codec

        bench_codec.report()
    return 0


def report_cold_start(runs: int) -> None:
    compile_sources()
    boto3_ms, cold = cold_start(runs)
    print("(a) cold start: each handler module's whole init phase (imports, settings, clients)")
    print(f"    ÷ `import boto3` ({boto3_ms:.1f} ms), fresh processes, median of {runs} interleaved pairs")
    for name in FUNCTIONS:
        handler, floor = cold[name], cold[f"{name} floor"]
        target = COLD_START_TARGETS.get(name)
        if target is None:
            verdict = "no target"
        elif handler.ratio <= target:
            verdict = f"target ≤ {target} met"
        elif handler.ratio <= floor.ratio * FLOOR_MARGIN:
            verdict = f"target ≤ {target} out of reach; within 5% of floor"
        else:
            verdict = f"MISSES target ≤ {target} and floor + 5% ({floor.ratio * FLOOR_MARGIN:.2f}x)"
        measured = f"{handler.ms:7.1f} ms  {handler.ratio:4.2f}x"
        print(f"    {name:<8} {measured}   floor {floor.ms:7.1f} ms  {floor.ratio:4.2f}x   {verdict}")
    bare = cold[_WITHOUT_RESOLVER]
    print(f"    ({_WITHOUT_RESOLVER}: {bare.ms:7.1f} ms  {bare.ratio:4.2f}x, for comparison)")
    print("    floors (boto3 + the Powertools pieces each function needs + its init-time clients):")
    for name in FUNCTIONS:
        print(f"      {name:<8} " + "; ".join(FLOORS[name]))
    for name in FUNCTIONS:
        costs, boto3_ms = largest_imports(name)
        print(f"    {name}: ten largest imports (cumulative ms, less what its floor loads anyway;")
        print(f"    boto3 itself took {boto3_ms:.0f} ms in these runs)")
        for cost in costs:
            print(f"      {cost.ms:7.1f}  {'  ' * cost.depth}{cost.name}")
    print(flush=True)


def report_cost(deliveries: int) -> None:
    from inbox_dev import bench_cost, cfn

    figures = bench_cost.measure(deliveries)
    costs = bench_cost.cost_per_million(figures)
    print(f"(e) cost per million delivered messages on AWS (one message per delivery; {deliveries} typical")
    print(
        "    deliveries through the webhook handler on moto, each DynamoDB call priced by DynamoDB's rules)"
    )
    before = bench_cost.BEFORE
    before_costs = bench_cost.cost_per_million(before)
    print("    per message                            before (1f0fb24)     now")
    units = f"{before.write_units:8.2f}  {figures.write_units:10.2f}"
    print(f"    DynamoDB write units                   {units}")
    items = sorted(
        set(before.write_units_by_item) | set(figures.write_units_by_item),
        key=lambda item: -before.write_units_by_item.get(item, 0.0),
    )
    for item in items:
        was, now = before.write_units_by_item.get(item, 0.0), figures.write_units_by_item.get(item, 0.0)
        print(f"      {item:<36} {was:6.2f}  {now:10.2f}")
    print(f"    DynamoDB read units                    {before.read_units:8.2f}  {figures.read_units:10.2f}")
    print(f"    log lines                              {before.log_lines:8.1f}  {figures.log_lines:10.1f}")
    print(f"    log bytes ingested                     {before.log_bytes:8,.0f}  {figures.log_bytes:10,.0f}")
    print("      (the handler's lines and EMF, Lambda's start/report lines at INFO, 26 B per event)")
    sizes = ", ".join(f"{kind} {size:.0f} B" for kind, size in figures.item_bytes.items())
    calls = ", ".join(f"{name} {count:g}" for name, count in figures.calls.items())
    print(f"    now: items {sizes}; calls per message: {calls}")
    print(
        f"    Lambda: handler's own time here {figures.handler_ms:.1f} ms (without DynamoDB); on AWS at "
        f"{figures.memory_mb} MB ≈ {figures.lambda_ms:.0f} ms (CPU share {bench_cost.LAMBDA_FULL_VCPU_MB}/"
        f"{figures.memory_mb}, {bench_cost.DEFAULT_ROUND_TRIP_MS:g} ms per DynamoDB call, 10 per transaction)"
    )
    print("    $ per million messages                 before     now")
    for name, dollars in costs.items():
        if name != "total":
            print(f"      {name:<36} ${before_costs[name]:5.2f}  ${dollars:6.2f}")
    ok = costs["total"] <= TARGET_COST
    print(
        f"    total ${costs['total']:.2f} per million (before ${before_costs['total']:.2f})   "
        f"{_target('≤', TARGET_COST, ok)}"
    )
    template = cfn.load_template(REPO_ROOT / "template.yaml")
    traced = bench_cost.traced(template, cfn.Context.for_template(template))
    extra = bench_cost.also_billed_per_million(batch_size=1, traced_share=1.0 if traced else 0.0)
    parts = ", ".join(f"{name} ${dollars:.2f}" for name, dollars in extra.items() if name != "total")
    print(f"    also billed per stored message, outside issue 14's baseline: ${extra['total']:.2f} ({parts};")
    traces = (
        "every invocation traced; deploy with TracingMode=PassThrough for no X-Ray cost"
        if traced
        else "no traces: the template's TracingMode is not Active"
    )
    print(f"    at under one delivery a second: one events batch per message, {traces})")
    print("    prices: " + ", ".join(f"{k}={v}" for k, v in bench_cost.PRICES.items()) + "\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
