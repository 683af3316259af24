"""`make bench` (e): what one delivered message costs on AWS, measured from what the handler does.

A :class:`DynamoDBMeter` hooks the store's own DynamoDB client (botocore events) while real
deliveries go through the webhook handler on moto, and prices every call by DynamoDB's metering
rules from the items as they were before and after it (moto's ``ConsumedCapacity`` is a constant 1
whatever the item, so it cannot be used):

- a write costs 1 WRU per started KB of the larger of the item before and after (PutItem,
  UpdateItem, DeleteItem; a failed condition still costs it); a ConditionCheck as a write of the
  checked item (at least 1 KB);
- inside TransactWriteItems every action costs twice that ("transaction doubling");
- every GSI whose key attributes the item has, before or after, is written too: 1 WRU per KB of the
  projected item (ALL here), twice when the index key changes (delete + put), not doubled by a
  transaction;
- reads: 1 RRU per started 4 KB (strongly consistent), half that eventually consistent, twice that
  in TransactGetItems; a Query or Scan adds its items' sizes up before rounding.

Item sizes follow DynamoDB's rules (attribute names plus values; a number is about one byte per
two significant digits plus one). :func:`cost_per_million` turns the per-message figures into
dollars with :data:`PRICES`; it is pure arithmetic, checked by tests/unit/test_bench_cost.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from inbox_dev.cfn import Context

Item = dict[str, Any] | None
KB = 1024
READ_UNIT_BYTES = 4 * KB

# us-east-1, on demand, as listed on the AWS pricing pages on 2026-12-02 (see docs/performance.md).
PRICES: dict[str, float] = {
    "http_api_per_million": 1.00,  # API Gateway HTTP API, requests up to 512 KB, first 300 M a month
    "lambda_per_million": 0.20,  # Lambda requests
    "lambda_arm_gb_second": 0.0000133334,  # Lambda duration, arm64
    "dynamodb_per_million_wru": 0.625,  # DynamoDB on-demand write request units
    "dynamodb_per_million_rru": 0.125,  # DynamoDB on-demand read request units
    "logs_per_gb": 0.50,  # CloudWatch Logs ingestion (standard class; Lambda's first tier)
    "eventbridge_per_million": 1.00,  # EventBridge custom events (64 KB chunks)
    "xray_per_million_traces": 5.00,  # X-Ray traces recorded
}

LOG_EVENT_OVERHEAD_BYTES = 26
"""CloudWatch Logs counts each log event as its UTF-8 bytes plus 26."""

LAMBDA_FULL_VCPU_MB = 1769
"""Lambda gives a function one vCPU at 1,769 MB, and CPU in proportion to memory below that."""

ROUND_TRIP_MS = {"TransactWriteItems": 10.0, "TransactGetItems": 10.0}
DEFAULT_ROUND_TRIP_MS = 5.0
"""Assumed in-region DynamoDB latency per call on AWS (moto's in-process time is not it)."""


# ---------------------------------------------------------------------------- item sizes


def attribute_value_bytes(value: Mapping[str, Any]) -> int:
    """The size DynamoDB meters for one typed attribute value (``{"S": ...}`` etc.)."""
    ((kind, content),) = value.items()
    if kind == "S":
        return len(str(content).encode())
    if kind == "N":
        return _number_bytes(str(content))
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(v).encode()) for v in content)
    if kind == "NS":
        return sum(_number_bytes(str(v)) for v in content)
    if kind == "BS":
        return sum(len(v) for v in content)
    if kind == "L":
        return 3 + sum(1 + attribute_value_bytes(v) for v in content)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + attribute_value_bytes(v) for k, v in content.items())
    raise ValueError(f"unknown attribute type {kind!r}")


def _number_bytes(text: str) -> int:
    digits = Decimal(text).normalize().as_tuple().digits
    return math.ceil(len(digits) / 2) + 1


def item_bytes(item: Mapping[str, Mapping[str, Any]] | None) -> int:
    """Attribute names plus values; 0 for no item."""
    if not item:
        return 0
    return sum(len(name.encode()) + attribute_value_bytes(value) for name, value in item.items())


def write_units(size: int) -> int:
    """1 WRU per started KB, at least 1."""
    return max(1, math.ceil(size / KB))


def read_units(size: int, *, consistent: bool) -> float:
    """1 RRU per started 4 KB (at least one), half for an eventually consistent read."""
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


# ---------------------------------------------------------------------------- the meter


@dataclass
class Write:
    """One item written (or condition-checked), with what DynamoDB bills for it."""

    kind: str
    action: str
    transactional: bool
    before_bytes: int
    after_bytes: int
    base_units: int
    index_units: dict[str, int] = field(default_factory=dict)

    @property
    def units(self) -> int:
        return self.base_units * (2 if self.transactional else 1) + sum(self.index_units.values())


@dataclass
class Call:
    operation: str
    seconds: float
    writes: list[Write] = field(default_factory=list)
    read_units: float = 0.0


def item_kind(key: Mapping[str, Mapping[str, Any]]) -> str:
    """What a key names, from the store's key prefixes (see inbox.storage.store)."""
    pk = str(next(iter(key.get("pk", {}).values()), ""))
    prefix = pk.split("#", 1)[0]
    return {
        "MSG": "message",
        "FP": "fingerprint",
        "CONV": "conversation",
        "RAW": "raw body",
        "LOGIN": "login counter",
    }.get(prefix, prefix.lower() or "other")


class DynamoDBMeter:
    """Prices every call one DynamoDB client makes, from the items before and after it.

    The before and after images are read with a second client (no hooks) from the same backend;
    the time those reads take is kept apart (``peek_seconds``) so the handler's own time can be
    told from it.
    """

    def __init__(self, client: Any, table_name: str) -> None:
        import boto3

        self.table_name = table_name
        self._peek = boto3.client("dynamodb", region_name=client.meta.region_name)
        table = self._peek.describe_table(TableName=table_name)["Table"]
        self._key_names = [k["AttributeName"] for k in table["KeySchema"]]
        self._indexes = {
            index["IndexName"]: [k["AttributeName"] for k in index["KeySchema"]]
            for index in table.get("GlobalSecondaryIndexes", [])
        }
        self.calls: list[Call] = []
        self.peek_seconds = 0.0
        self._pending: list[tuple[str, Mapping[str, Any], list[tuple[dict[str, Any], str, Item]]]] = []
        self._started: list[float] = []
        self._events = client.meta.events
        for event, hook in self._hooks():
            self._events.register(event, hook)

    def _hooks(self) -> list[tuple[str, Any]]:
        return [
            ("provide-client-params.dynamodb.*", self._before),
            ("before-call.dynamodb.*", self._clock_start),
            ("after-call.dynamodb.*", self._after),
        ]

    def close(self) -> None:
        """Stop metering (the client may be the container's cached one)."""
        for event, hook in self._hooks():
            self._events.unregister(event, hook)

    def reset(self) -> None:
        self.calls.clear()
        self.peek_seconds = 0.0

    # -- hooks

    def _before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        start = time.thread_time()
        images = [(key, action, self._get(key)) for key, action in self._written(model.name, params)]
        self._pending.append((model.name, params, images))
        self.peek_seconds += time.thread_time() - start

    def _clock_start(self, **_: Any) -> None:
        self._started.append(time.thread_time())

    def _after(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        seconds = time.thread_time() - self._started.pop()
        start = time.thread_time()
        operation, params, befores = self._pending.pop()
        call = Call(operation, seconds)
        succeeded = "Error" not in parsed
        for key, action, before in befores:
            after = self._get(key) if succeeded and action != "ConditionCheck" else before
            call.writes.append(self._priced(key, action, operation, before, after))
        call.read_units = self._read_units(operation, params, parsed)
        self.calls.append(call)
        self.peek_seconds += time.thread_time() - start

    # -- pricing

    def _priced(
        self,
        key: dict[str, Any],
        action: str,
        operation: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> Write:
        before_bytes, after_bytes = item_bytes(before), item_bytes(after)
        write = Write(
            kind=item_kind(key),
            action=action,
            transactional=operation == "TransactWriteItems",
            before_bytes=before_bytes,
            after_bytes=after_bytes,
            base_units=write_units(max(before_bytes, after_bytes)),
        )
        if action == "ConditionCheck":
            return write
        for index, key_names in self._indexes.items():
            old = _index_key(before, key_names)
            new = _index_key(after, key_names)
            units = 0
            if old is not None and new is not None and old != new:
                units = write_units(before_bytes) + write_units(after_bytes)
            elif new is not None:
                units = write_units(after_bytes)
            elif old is not None:
                units = write_units(before_bytes)
            if units:
                write.index_units[index] = units
        return write

    def _read_units(self, operation: str, params: Mapping[str, Any], parsed: Mapping[str, Any]) -> float:
        consistent = bool(params.get("ConsistentRead"))
        if operation == "GetItem":
            return read_units(item_bytes(parsed.get("Item")), consistent=consistent)
        if operation in ("Query", "Scan"):
            total = sum(item_bytes(item) for item in parsed.get("Items", []))
            return read_units(total, consistent=consistent)
        if operation == "TransactGetItems":
            return sum(
                2 * read_units(item_bytes(r.get("Item")), consistent=True)
                for r in parsed.get("Responses", [])
            )
        if operation == "BatchGetItem":
            return sum(
                read_units(item_bytes(item), consistent=consistent)
                for items in parsed.get("Responses", {}).values()
                for item in items
            )
        return 0.0

    def _written(self, operation: str, params: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
        """(key, action) for every item a write call names."""
        if operation == "PutItem":
            yield self._key_of(params["Item"]), "Put"
        elif operation in ("UpdateItem", "DeleteItem"):
            yield dict(params["Key"]), operation.removesuffix("Item")
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((action, body),) = entry.items()
                yield (self._key_of(body["Item"]) if action == "Put" else dict(body["Key"])), action
        elif operation == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    if "PutRequest" in request:
                        yield self._key_of(request["PutRequest"]["Item"]), "Put"
                    else:
                        yield dict(request["DeleteRequest"]["Key"]), "Delete"

    def _key_of(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self._key_names}

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._peek.get_item(
            TableName=self.table_name, Key=key, ConsistentRead=True
        ).get("Item")
        return found


def _index_key(item: Mapping[str, Any] | None, key_names: list[str]) -> tuple[str, ...] | None:
    if not item or not all(name in item for name in key_names):
        return None
    return tuple(json.dumps(item[name], sort_keys=True) for name in key_names)


# ---------------------------------------------------------------------------- per message


@dataclass(frozen=True)
class PerMessage:
    """What one delivered message uses, averaged over the measured deliveries."""

    write_units_by_item: dict[str, float]
    """WRU by what was written: ``message``, ``index gsi1 (message)``, ``transaction doubling`` …"""
    read_units: float
    calls: dict[str, float]
    handler_ms: float
    """The handler's own time here, without DynamoDB's (moto's) time."""
    lambda_ms: float
    """Estimated duration on AWS: handler time scaled to the function's CPU share, plus round trips."""
    memory_mb: int
    log_lines: float
    log_bytes: float
    """Bytes CloudWatch Logs ingests: the function's lines, Lambda's platform lines, 26 B per event."""
    item_bytes: dict[str, float]

    @property
    def write_units(self) -> float:
        return sum(self.write_units_by_item.values())


BEFORE = PerMessage(
    write_units_by_item={
        "message": 1.0,
        "index gsi1 (message)": 1.0,
        "index gsi2 (message)": 1.0,
        "fingerprint": 1.0,
        "conversation": 1.0,
        "index gsi2 (conversation)": 2.0,
        "transaction doubling": 3.0,
    },
    read_units=0.0,
    calls={"TransactWriteItems": 1.0},
    handler_ms=3.1,
    lambda_ms=20.6,
    memory_mb=512,
    log_lines=4.0,
    log_bytes=1614.4,
    item_bytes={"message": 625.0, "fingerprint": 217.0, "conversation": 458.0},
)
"""The same measurement (:func:`measure`, 20 typical deliveries) at commit 1f0fb24, before the
second round of issue 14 item 2: one transaction (the message, its fingerprint, its conversation's
count and ``last*`` fields, the conversation's ``gsi2`` position moving with every message), one
"message stored" line and the EMF line, and Lambda's ``platform.start`` and ``platform.report``
lines (``SystemLogLevel`` INFO). The first round (commit 2d9b0da → 1f0fb24) went from 12 WRU,
2,333 B and $10.01 to these figures (docs/performance.md (e))."""


def cost_per_million(figures: PerMessage, prices: Mapping[str, float] = PRICES) -> dict[str, float]:
    """Dollars per million delivered messages on the webhook's path (one message per delivery).

    Lambda bills whole milliseconds; CloudWatch Logs per GB (2**30 bytes) ingested.
    """
    billed_ms = math.ceil(figures.lambda_ms)
    costs = {
        "API Gateway": prices["http_api_per_million"],
        "Lambda requests": prices["lambda_per_million"],
        "Lambda duration": 1e6 * billed_ms / 1000 * figures.memory_mb / 1024 * prices["lambda_arm_gb_second"],
        "DynamoDB writes": figures.write_units * prices["dynamodb_per_million_wru"],
        "DynamoDB reads": figures.read_units * prices["dynamodb_per_million_rru"],
        "CloudWatch Logs": 1e6 * figures.log_bytes / 1024**3 * prices["logs_per_gb"],
    }
    costs["total"] = sum(costs.values())
    return costs


def also_billed_per_million(
    *, batch_size: int, traced_share: float, prices: Mapping[str, float] = PRICES
) -> dict[str, float]:
    """What a stored inbound message costs beyond the webhook's path (not in issue 14's baseline).

    The event fan-out: one EventBridge event per stored inbound message, the events function invoked
    once per stream batch (``batch_size`` messages); X-Ray (``TracingMode=Active``): Lambda samples the
    first request each second and 5 % of the rest, so below one delivery a second every webhook
    invocation and every events batch is a trace (``traced_share`` = 1; 0 with ``PassThrough``).
    """
    costs = {
        "EventBridge": prices["eventbridge_per_million"],
        "events Lambda requests": prices["lambda_per_million"] / batch_size,
        "X-Ray traces": traced_share * (1 + 1 / batch_size) * prices["xray_per_million_traces"],
    }
    costs["total"] = sum(costs.values())
    return costs


def typical_delivery(sender: str, index: int, now: datetime) -> bytes:
    """The body the README recommends for Chatrace's External Request, with a typical DM's text.

    Times go forward from the middle of the previous hour, ``index`` seconds apart (as a
    conversation does), so the content fingerprint's ±90 s window never crosses an hour (within
    90 s of an hour's edge, 5 % of messages, one ConditionCheck is added), and no time lies ahead of
    the receive time (a time more than 5 minutes ahead is kept apart as ``claimedTimestamp``, which
    made the message item 48 B larger when the bench ran in an hour's first half).
    """
    middle = (now - timedelta(hours=1)).replace(minute=30, second=0, microsecond=0)
    stamp = middle + timedelta(seconds=index % 1500)
    body = {
        "source": "chatrace",
        "event": "instagram_dm",
        "contact_id": sender,
        "ig_username": "anna.k",
        "first_name": "Anna",
        "last_name": "K",
        "text": f"Hello! Is the blue dress still available in size M? ({index})",
        "input_type": "text",
        "channel": "instagram",
        "sent_at": str(int(stamp.timestamp() * 1000)),
        "account_id": "1543616",
    }
    return json.dumps(body).encode()


SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
"""Lambda's ``LoggingConfig.SystemLogLevel`` values, most detailed first (its default is INFO)."""


def system_log_level(template: Mapping[str, Any], ctx: Context) -> str:
    """The functions' ``SystemLogLevel`` as the template sets it in Globals (Lambda's INFO if unset)."""
    config = _globals_function(template, "LoggingConfig", ctx) or {}
    return str(config.get("SystemLogLevel", "INFO"))


def traced(template: Mapping[str, Any], ctx: Context) -> bool:
    """Whether Lambda traces the functions (``Tracing: Active`` in Globals, the default ``TracingMode``):
    only then does X-Ray bill a trace per sampled invocation."""
    return bool(_globals_function(template, "Tracing", ctx) == "Active")


def _globals_function(template: Mapping[str, Any], name: str, ctx: Context) -> Any:
    """A property every function gets from the template's Globals, as the stack resolves it."""
    from inbox_dev import cfn

    return cfn.resolve((template.get("Globals") or {}).get("Function", {}).get(name), ctx)


def platform_log_lines(
    request_id: str, duration_ms: float, memory_mb: int, *, system_log_level: str
) -> list[str]:
    """Lambda's own lines for a successful invocation with ``LogFormat: JSON`` and active tracing.

    ``platform.start`` and a successful ``platform.report`` are INFO events in Lambda's system log
    level mapping, so at WARN none is written; a failed invocation's ``platform.runtimeDone`` and
    ``platform.report`` (status error or timeout) are WARN and still are (docs/performance.md (e)).
    """
    if SYSTEM_LOG_LEVELS.index(system_log_level) > SYSTEM_LOG_LEVELS.index("INFO"):
        return []
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    trace = {
        "spanId": "1a2b3c4d5e6f7a8b",
        "type": "X-Amzn-Trace-Id",
        "value": "Root=1-674e1b2c-0123456789abcdef01234567;Parent=1a2b3c4d5e6f7a8b;Sampled=1",
    }
    start = {
        "time": stamp,
        "type": "platform.start",
        "record": {"requestId": request_id, "version": "$LATEST", "tracing": trace},
    }
    report = {
        "time": stamp,
        "type": "platform.report",
        "record": {
            "requestId": request_id,
            "metrics": {
                "durationMs": round(duration_ms, 3),
                "billedDurationMs": math.ceil(duration_ms),
                "memorySizeMB": memory_mb,
                "maxMemoryUsedMB": 98,
            },
            "tracing": trace,
            "status": "success",
        },
    }
    return [json.dumps(start, separators=(",", ":")), json.dumps(report, separators=(",", ":"))]


def measure(deliveries: int = 20, senders: int = 5) -> PerMessage:
    """Deliveries of typical size through the webhook handler (its template environment) on moto.

    Each sender first gets one delivery that is not measured, so the measured ones see what most
    messages see: a conversation row that already exists.
    """
    from inbox.storage.dynamodb import dynamodb_client

    from inbox_dev import cfn
    from inbox_dev.lambdas import LocalFunction
    from inbox_dev.local_aws import local_aws, provision

    with local_aws():
        stack = provision(secrets={})
        spec = next(
            f for f in cfn.functions(stack.template, stack.context) if f.logical_id == "WebhookFunction"
        )
        webhook = LocalFunction(spec)
        meter = DynamoDBMeter(dynamodb_client(), stack.table_names["MessagesTable"])
        level = system_log_level(stack.template, stack.context)
        try:
            return _measure(webhook, meter, deliveries, senders, level)
        finally:
            meter.close()


def _deliver(webhook: Any, sender: str, index: int, now: datetime) -> tuple[float, str]:
    """One delivery through the handler: its thread time and everything it printed."""
    from inbox_dev.events import http_api_event

    event = http_api_event(
        "POST",
        "/instagram/webhook",
        headers={"content-type": "application/json"},
        body=typical_delivery(sender, index, now),
    )
    with _captured_output() as output:
        start = time.thread_time()
        result = webhook.invoke(event)
        seconds = time.thread_time() - start
    if result["statusCode"] != 200 or json.loads(result["body"])["status"] != "stored":
        raise RuntimeError(f"the webhook did not store a typical delivery: {result}")
    return seconds, output.getvalue()


def _measure(
    webhook: Any, meter: DynamoDBMeter, deliveries: int, senders: int, system_log_level: str
) -> PerMessage:
    now = datetime.now(UTC)
    memory_mb = int(webhook.spec.memory_size)
    ids = [str(2850008055041461 + n) for n in range(senders)]
    for sender in ids:
        _deliver(webhook, sender, 0, now)
    units: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    sizes: dict[str, list[int]] = {}
    reads = own_ms = lambda_ms = log_lines = log_bytes = 0.0
    for index in range(deliveries):
        meter.reset()
        seconds, output = _deliver(webhook, ids[index % senders], 1 + index, now)
        dynamo = sum(call.seconds for call in meter.calls)
        own = max(0.0, seconds - dynamo - meter.peek_seconds) * 1000
        estimated = own * LAMBDA_FULL_VCPU_MB / memory_mb + sum(
            ROUND_TRIP_MS.get(call.operation, DEFAULT_ROUND_TRIP_MS) for call in meter.calls
        )
        own_ms += own
        lambda_ms += estimated
        for call in meter.calls:
            calls[call.operation] += 1
            reads += call.read_units
            for write in call.writes:
                units[write.kind] += write.base_units
                if write.transactional:
                    units["transaction doubling"] += write.base_units
                for index_name, index_units in write.index_units.items():
                    units[f"index {index_name} ({write.kind})"] += index_units
                sizes.setdefault(write.kind, []).append(max(write.before_bytes, write.after_bytes))
        lines = [line for line in output.splitlines() if line.strip()]
        lines += platform_log_lines(
            str(uuid.uuid4()), estimated, memory_mb, system_log_level=system_log_level
        )
        log_lines += len(lines)
        log_bytes += sum(len(line.encode()) + LOG_EVENT_OVERHEAD_BYTES for line in lines)
    return PerMessage(
        write_units_by_item={kind: value / deliveries for kind, value in units.items()},
        read_units=reads / deliveries,
        calls={name: count / deliveries for name, count in calls.items()},
        handler_ms=own_ms / deliveries,
        lambda_ms=lambda_ms / deliveries,
        memory_mb=memory_mb,
        log_lines=log_lines / deliveries,
        log_bytes=log_bytes / deliveries,
        item_bytes={kind: sum(values) / len(values) for kind, values in sizes.items()},
    )


@contextlib.contextmanager
def function_output(target: TextIO) -> Iterator[TextIO]:
    """Everything the functions write (Logger lines and the EMF metrics line) goes to ``target``
    while inside; the Logger's stream and stdout are given back on the way out, so the next section
    of `make bench` (or the next test) does not write to a stream that is closed by then."""
    from inbox.observability import logger

    handler = logger.registered_handler
    stream = handler.stream if isinstance(handler, logging.StreamHandler) else None
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(target)
    try:
        with contextlib.redirect_stdout(target):
            yield target
    finally:
        if isinstance(handler, logging.StreamHandler) and stream is not None:
            handler.setStream(stream)


@contextlib.contextmanager
def _captured_output() -> Iterator[io.StringIO]:
    """Everything the function writes, as Lambda would ship it."""
    captured = io.StringIO()
    with function_output(captured):
        yield captured
