"""`make load`: many concurrent deliveries against the local server, then count that nothing was lost.

1,000 deliveries from 16, then from 64 concurrent clients (issue 14's burst) by default: 30 % are
redeliveries of earlier messages and 5 % are bad bodies. Afterwards: stored answers must equal the
unique messages, every redelivery must be answered duplicate (or take the stored answer while its
twin is answered duplicate, when both race), every bad body a 4xx, and no answer a 5xx; then the
operator API must list every message of the run exactly once, under the id it was answered with
(:func:`verify_stored`). Prints throughput and latency percentiles (p50, p95, p99); exits 1 when a
count is off. Starts its own dev server unless --url is given.
"""

from __future__ import annotations

import argparse
import json
import os
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
from inbox_dev.secrets import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD

WEBHOOK_PATH = "/instagram/webhook"
CLIENT_TIMEOUT_SECONDS = 120
"""Long: 64 clients queue for the dev server's one webhook environment (see docs/performance.md)."""


@dataclass(frozen=True)
class Delivery:
    kind: str  # "unique", "duplicate" or "bad"
    key: str  # the message it carries (duplicates share their original's key)
    body: bytes
    content_type: str


MESSAGES_PER_SENDER = 40
"""Messages of a run share senders (as conversations do), so the check reads a page per sender."""


def _unique_body(index: int, sender: str) -> tuple[bytes, str]:
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
    senders = [str(rng.randrange(10**15, 10**16)) for _ in range(max(1, unique // MESSAGES_PER_SENDER))]
    originals = []
    for index in range(unique):
        body, content_type = _unique_body(index, senders[index % len(senders)])
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
    messages: tuple[tuple[str, str, str], ...] = ()
    """(senderId, messageId, text) of each message the answer names."""


def send_all(
    url: str, deliveries: list[Delivery], clients: int, secret: str | None
) -> tuple[list[Outcome], float]:
    local = threading.local()

    def send(delivery: Delivery) -> Outcome:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=CLIENT_TIMEOUT_SECONDS)
        headers = {"Content-Type": delivery.content_type}
        if secret:
            headers["X-Webhook-Secret"] = secret
        start = time.perf_counter()
        try:
            response = client.post(url, content=delivery.body, headers=headers)
        except httpx.TransportError as error:  # counted by check(): no answer is a problem too
            return Outcome(delivery, 0, f"no answer ({type(error).__name__})", time.perf_counter() - start)
        elapsed = time.perf_counter() - start
        try:
            answered = response.json()
        except ValueError:
            return Outcome(delivery, response.status_code, "not JSON", elapsed)
        messages = tuple(
            (str(m.get("senderId")), str(m.get("messageId")), str(m.get("text")))
            for m in answered.get("messages") or []
            if isinstance(m, dict)
        )
        return Outcome(
            delivery, response.status_code, str(answered.get("status") or "error"), elapsed, messages
        )

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        outcomes = list(pool.map(send, deliveries))
    return outcomes, time.perf_counter() - start


def check(outcomes: list[Outcome]) -> list[str]:
    """What is off: lost or doubled messages, wrong answers, any 5xx, a delivery without an answer."""
    problems = []
    server_errors = [o for o in outcomes if o.status >= 500]
    if server_errors:
        problems.append(f"{len(server_errors)} answers were 5xx")
    unanswered = [o for o in outcomes if o.status == 0]
    if unanswered:
        problems.append(f"{len(unanswered)} deliveries got no answer: {unanswered[0].answer}")
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


def verify_stored(base_url: str, outcomes: list[Outcome], email: str, password: str) -> list[str]:
    """What the operator API shows that is off: a message of the run missing, listed twice, or
    under another id than the one its stored answer named (read per sender, every page)."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        login = client.post("/auth/login", json={"email": email, "password": password})
        if login.status_code != 200:
            return [
                f"could not log in to read the stored messages back: {login.status_code} {login.text[:200]}"
            ]
        client.headers["Authorization"] = f"Bearer {login.json()['accessToken']}"
        expected: dict[str, str] = {}  # text → the id its stored answer named
        senders: set[str] = set()
        for outcome in outcomes:
            if outcome.answer == "stored":
                for sender, message_id, text in outcome.messages:
                    expected[text] = message_id
                    senders.add(sender)
        listed: dict[str, list[str]] = {}
        for sender in sorted(senders):
            cursor = None
            while True:
                params = {"senderId": sender, "limit": "100", **({"cursor": cursor} if cursor else {})}
                page = client.get("/instagram/messages", params=params)
                if page.status_code != 200:
                    return [f"listing sender {sender} failed: {page.status_code} {page.text[:200]}"]
                body = page.json()
                for message in body["messages"]:
                    if message.get("text") in expected:
                        listed.setdefault(message["text"], []).append(message["messageId"])
                cursor = body.get("nextCursor")
                if not cursor:
                    break
    problems = []
    for text, message_id in expected.items():
        ids = listed.get(text, [])
        if ids != [message_id]:
            problems.append(f"stored message {message_id} is listed as {ids} (expected exactly once)")
    return problems


def server_errors(output: str, limit: int = 3) -> list[str]:
    """The first ``limit`` tracebacks and ERROR lines the dev server printed (with what follows)."""
    lines = output.splitlines()
    found: list[str] = []
    for index, line in enumerate(lines):
        if len(found) >= limit * 20:
            break
        if line.startswith("Traceback") or '"level":"ERROR"' in line:
            found += lines[index : index + 20]
    return found


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
        f"latency ms   p50 {statistics.median(latencies):.1f}  p95 {_percentile(latencies, 0.95):.1f}  "
        f"p99 {_percentile(latencies, 0.99):.1f}  max {max(latencies):.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", help="webhook URL of a running server (default: start a local one)")
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument(
        "--clients", type=int, nargs="+", default=[16, 64], help="concurrent clients; one run per number"
    )
    parser.add_argument("--duplicates", type=float, default=0.30, help="share of redeliveries")
    parser.add_argument("--bad", type=float, default=0.05, help="share of bad bodies")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--secret", help="X-Webhook-Secret to send (for a server that requires one)")
    parser.add_argument(
        "--no-verify", action="store_true", help="skip reading every message back through the operator API"
    )
    args = parser.parse_args(argv)

    server = None
    url = args.url
    if url is None:
        print("starting a local dev server …", flush=True)
        server = start_dev_server()  # its output is kept: a 5xx's traceback is shown below
        url = server.webhook_url
    email = os.environ.get("INBOX_ADMIN_EMAIL") or DEV_ADMIN_EMAIL
    password = os.environ.get("INBOX_ADMIN_PASSWORD") or DEV_ADMIN_PASSWORD
    problems: list[str] = []
    try:
        for run, clients in enumerate(args.clients):
            deliveries = plan(args.deliveries, args.duplicates, args.bad, args.seed + run)
            print(f"\nsending {len(deliveries)} deliveries from {clients} clients to {url}", flush=True)
            outcomes, seconds = send_all(url, deliveries, clients, args.secret)
            report(outcomes, seconds, clients)
            found = check(outcomes)
            if not args.no_verify:
                unlisted = verify_stored(url.removesuffix(WEBHOOK_PATH), outcomes, email, password)
                if not unlisted:
                    print("read back    every stored message is listed once, under its answered id")
                found += unlisted
            for problem in found[:20]:
                print(f"  PROBLEM: {problem}")
            problems += found
    finally:
        if server is not None:
            _, output = stop_dev_server(server)
            if any("5xx" in problem for problem in problems):
                print("the dev server's errors:\n" + "\n".join(server_errors(output)))
    print("nothing lost, nothing stored twice, no 5xx" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
