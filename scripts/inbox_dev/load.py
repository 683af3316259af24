"""`make load`: many concurrent deliveries against the local server, then count that nothing was lost.

1,000 deliveries from 16 concurrent clients by default: 30 % are redeliveries of earlier messages
and 5 % are bad bodies. Afterwards: stored answers must equal the unique messages, every
redelivery must be answered duplicate (or take the stored answer while its twin is answered
duplicate, when both race), every bad body a 4xx, and no answer a 5xx. Prints throughput and
latency percentiles; exits 1 when a count is off. Starts its own dev server unless --url is given.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from inbox_dev.devprocess import start_dev_server, stop_dev_server


@dataclass(frozen=True)
class Delivery:
    kind: str  # "unique", "duplicate" or "bad"
    key: str  # the message it carries (duplicates share their original's key)
    body: bytes
    content_type: str


def _unique_body(index: int, rng: random.Random) -> tuple[bytes, str]:
    sender = str(rng.randrange(10**15, 10**16))
    text = f"load message {index} {uuid.uuid4().hex[:8]} — привет"
    stamp = 1731499200 + index
    shapes = [
        {"senderId": sender, "messageId": f"load-{uuid.uuid4()}", "text": text, "timestamp": stamp},
        {
            "source": "chatrace",
            "contact_id": sender,
            "text": text,
            "sent_at": str(stamp * 1000),
            "input_type": "text",
        },
        {
            "sender": {"id": sender},
            "message": {"mid": f"m_{uuid.uuid4().hex}", "text": text},
            "timestamp": stamp,
        },
        {
            "object": "instagram",
            "entry": [
                {
                    "id": "17841400000000000",
                    "time": stamp * 1000,
                    "messaging": [
                        {
                            "sender": {"id": sender},
                            "recipient": {"id": "17841400000000000"},
                            "timestamp": stamp * 1000,
                            "message": {"mid": f"aWdf{uuid.uuid4().hex}", "text": text},
                        }
                    ],
                }
            ],
        },
    ]
    return json.dumps(shapes[index % len(shapes)], ensure_ascii=False).encode(), "application/json"


_BAD_BODIES = [
    (b'{"senderId": "1", "text": "he said "hi""}', "application/json"),
    (b"\xff\xfe\xfd not utf-8", "application/json"),
    (b"", "application/json"),
    (b"<xml/>", "application/xml"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
]


def plan(total: int, duplicate_share: float, bad_share: float, seed: int) -> list[Delivery]:
    """The deliveries in sending order; a redelivery always comes after its original in the list."""
    rng = random.Random(seed)
    bad = round(total * bad_share)
    duplicates = round(total * duplicate_share)
    unique = total - bad - duplicates
    originals = []
    for index in range(unique):
        body, content_type = _unique_body(index, rng)
        originals.append(Delivery("unique", f"u{index}", body, content_type))
    deliveries = list(originals)
    for _ in range(duplicates):
        original = rng.choice(originals)
        position = rng.randrange(deliveries.index(original) + 1, len(deliveries) + 1)
        deliveries.insert(position, Delivery("duplicate", original.key, original.body, original.content_type))
    for index in range(bad):
        body, content_type = _BAD_BODIES[index % len(_BAD_BODIES)]
        deliveries.insert(
            rng.randrange(len(deliveries) + 1), Delivery("bad", f"b{index}", body, content_type)
        )
    return deliveries


@dataclass(frozen=True)
class Outcome:
    delivery: Delivery
    status: int
    answer: str
    seconds: float


def send_all(
    url: str, deliveries: list[Delivery], clients: int, secret: str | None
) -> tuple[list[Outcome], float]:
    local = threading.local()

    def send(delivery: Delivery) -> Outcome:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=30)
        headers = {"Content-Type": delivery.content_type}
        if secret:
            headers["X-Webhook-Secret"] = secret
        start = time.perf_counter()
        response = client.post(url, content=delivery.body, headers=headers)
        elapsed = time.perf_counter() - start
        try:
            answer = str(response.json().get("status") or "error")
        except ValueError:
            answer = "not JSON"
        return Outcome(delivery, response.status_code, answer, elapsed)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        outcomes = list(pool.map(send, deliveries))
    return outcomes, time.perf_counter() - start


def check(outcomes: list[Outcome]) -> list[str]:
    """What is off: lost or doubled messages, wrong answers, any 5xx."""
    problems = []
    server_errors = [o for o in outcomes if o.status >= 500]
    if server_errors:
        problems.append(f"{len(server_errors)} answers were 5xx")
    by_key: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        if outcome.delivery.kind != "bad":
            by_key.setdefault(outcome.delivery.key, []).append(outcome)
    for key, sightings in by_key.items():
        stored = sum(o.answer == "stored" for o in sightings)
        if stored != 1:
            problems.append(f"message {key} was answered stored {stored} times (expected exactly once)")
        if any(o.answer not in ("stored", "duplicate") for o in sightings):
            problems.append(f"message {key} got {[o.answer for o in sightings]}")
    bad_answers = [o for o in outcomes if o.delivery.kind == "bad" and not 400 <= o.status < 500]
    if bad_answers:
        problems.append(f"{len(bad_answers)} bad bodies were not answered 4xx")
    return problems


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(outcomes: list[Outcome], seconds: float, clients: int) -> None:
    kinds = Counter(o.delivery.kind for o in outcomes)
    answers = Counter(o.answer for o in outcomes)
    statuses = Counter(o.status for o in outcomes)
    latencies = [o.seconds * 1000 for o in outcomes]
    print(f"deliveries   {len(outcomes)} from {clients} concurrent clients in {seconds:.2f} s")
    print(
        f"  planned    {kinds['unique']} unique, {kinds['duplicate']} redeliveries, {kinds['bad']} bad bodies"
    )
    print(f"  answered   {dict(sorted(answers.items()))}")
    print(f"  statuses   {dict(sorted(statuses.items()))}")
    print(f"throughput   {len(outcomes) / seconds:.0f} requests/s")
    print(
        f"latency ms   p50 {statistics.median(latencies):.1f}  p90 {_percentile(latencies, 0.9):.1f}  "
        f"p99 {_percentile(latencies, 0.99):.1f}  max {max(latencies):.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", help="webhook URL of a running server (default: start a local one)")
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duplicates", type=float, default=0.30, help="share of redeliveries")
    parser.add_argument("--bad", type=float, default=0.05, help="share of bad bodies")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--secret", help="X-Webhook-Secret to send (for a server that requires one)")
    args = parser.parse_args(argv)

    deliveries = plan(args.deliveries, args.duplicates, args.bad, args.seed)
    server = None
    url = args.url
    if url is None:
        print("starting a local dev server …", flush=True)
        server = start_dev_server(quiet=True)
        url = server.webhook_url
    try:
        print(f"sending {len(deliveries)} deliveries to {url}", flush=True)
        outcomes, seconds = send_all(url, deliveries, args.clients, args.secret)
    finally:
        if server is not None:
            stop_dev_server(server)
    report(outcomes, seconds, args.clients)
    problems = check(outcomes)
    for problem in problems[:20]:
        print(f"  PROBLEM: {problem}")
    print("nothing lost, nothing stored twice, no 5xx" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
