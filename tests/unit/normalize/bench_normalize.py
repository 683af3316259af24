"""Throughput of the normalizer per adapter: at least 50,000 bodies per second on one core for each.

Not a test (timing is too noisy for CI): ``python -m tests.unit.normalize.bench_normalize``.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from typing import Any

from inbox.normalize import normalize

from .helpers import RECEIVED_AT, load, sample_files

TARGET = 50_000

EXTRA: dict[str, tuple[object, Any]] = {
    "manychat-full-contact": (
        {
            "key": "user:1234567890",
            "id": "1234567890",
            "name": "Anna K",
            "last_input_text": "Is the blue dress still available?",
            "last_interaction": "2024-11-13T12:00:00+00:00",
            "ig_username": "anna.k",
            "ig_id": 5566778899,
            "custom_fields": {"order": 17},
        },
        None,
    ),
    "chatrace-image": ({"user_id": "7", "last_input": "https://cdn/x.jpg", "last_input_type": "image"}, None),
    "fieldmap": (
        {"payload": {"contact": {"id": 555}, "msg": {"body": "hello"}}, "when": "2024-11-13T12:00:00+0000"},
        {"senderId": ["payload.contact.id"], "text": ["payload.msg.body"], "timestamp": ["when"]},
    ),
    "wrapper-3-flat": (
        {"messages": [{"senderId": str(n), "messageId": f"m{n}", "text": "hi"} for n in range(3)]},
        None,
    ),
    "unrecognized": ({"test": "data"}, None),
}


def cases() -> dict[str, tuple[object, Any]]:
    found: dict[str, tuple[object, Any]] = {}
    for path in sample_files():
        request = load(path)["request"]
        if "body" in request:
            found[path.stem] = (request["body"], None)
    found.update(EXTRA)
    return found


def _runner(body: object, field_map: Any) -> Callable[[], object]:
    return lambda: normalize(body, received_at=RECEIVED_AT, field_map=field_map)


def main() -> None:
    worst = float("inf")
    for name, (body, field_map) in cases().items():
        result = normalize(body, received_at=RECEIVED_AT, field_map=field_map)
        timer = timeit.Timer(_runner(body, field_map))
        loops, _ = timer.autorange()
        best = min(timer.repeat(repeat=5, number=loops)) / loops
        rate = 1 / best
        worst = min(worst, rate)
        print(f"{name:32} {result.format or '-':9} {best * 1e6:7.2f} µs  {rate:>10,.0f}/s")
    print(f"slowest: {worst:,.0f}/s ({'ok' if worst >= TARGET else 'BELOW'} target {TARGET:,}/s)")


if __name__ == "__main__":
    main()
