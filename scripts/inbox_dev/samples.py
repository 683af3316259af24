"""The webhook samples (samples/webhook/*.json): loading them and checking an answer against them.

Shared by `make send-samples` (over HTTP) and the tests (in-process), so both judge alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "samples" / "webhook"


@dataclass(frozen=True)
class Sample:
    name: str
    description: str
    method: str
    headers: dict[str, str]
    query: str
    body: bytes
    expect: dict[str, Any]

    @property
    def after(self) -> str | None:
        after = self.expect.get("after")
        return str(after) if after else None


def load_samples(directory: Path = SAMPLES_DIR) -> list[Sample]:
    """Every sample, ordered so that one naming another in ``expect.after`` comes after it."""
    samples = [_load(path) for path in sorted(directory.glob("*.json"))]
    names = {sample.name for sample in samples}
    first = [s for s in samples if s.after is None or s.after not in names]
    later = [s for s in samples if s not in first]
    return first + later


def _load(path: Path) -> Sample:
    data = json.loads(path.read_text(encoding="utf-8"))
    request = data["request"]
    if "rawBody" in request:
        body = str(request["rawBody"]).encode("utf-8")
    else:
        body = json.dumps(request.get("body"), ensure_ascii=False).encode("utf-8")
    query = request.get("query") or ""
    return Sample(
        name=str(data.get("name") or path.stem),
        description=str(data.get("description", "")),
        method=str(request.get("method", "POST")).upper(),
        headers={str(k): str(v) for k, v in (request.get("headers") or {}).items()},
        query=query if isinstance(query, str) else urlencode(query),
        body=body,
        expect=dict(data.get("expect") or {}),
    )


def mismatches(sample: Sample, status: int, answer: object) -> list[str]:
    """What in this answer differs from what the sample expects (empty when it behaves)."""
    expect = sample.expect
    problems: list[str] = []
    if "status" in expect and status != expect["status"]:
        problems.append(f"HTTP {status}, expected {expect['status']}")
    body = answer if isinstance(answer, dict) else {}
    if "bodyStatus" in expect and body.get("status") != expect["bodyStatus"]:
        problems.append(f"status {body.get('status')!r}, expected {expect['bodyStatus']!r}")
    if expect.get("hasError") and not isinstance(body.get("error"), str):
        problems.append("no JSON error in the answer")
    if "messages" in expect:
        got = body.get("messages")
        if not isinstance(got, list) or len(got) != len(expect["messages"]):
            count = len(got) if isinstance(got, list) else "no"
            problems.append(f"{count} messages, expected {len(expect['messages'])}")
        else:
            for index, (want, have) in enumerate(zip(expect["messages"], got, strict=True)):
                problems += [f"message {index}: {p}" for p in _message_mismatches(want, have)]
    return problems


def _message_mismatches(want: dict[str, Any], have: object) -> list[str]:
    if not isinstance(have, dict):
        return ["not an object"]
    problems = []
    for key, expected in want.items():
        if key == "messageIdPrefix":
            actual = have.get("messageId")
            if not (isinstance(actual, str) and actual.startswith(expected)):
                problems.append(f"messageId {actual!r} does not start with {expected!r}")
        elif key == "timestamp":
            if not _same_instant(have.get(key), expected):
                problems.append(f"timestamp {have.get(key)!r}, expected {expected!r}")
        elif have.get(key, _MISSING) != expected:
            problems.append(f"{key} {have.get(key, '<missing>')!r}, expected {expected!r}")
    return problems


_MISSING = object()


def _same_instant(actual: object, expected: object) -> bool:
    try:
        return _instant(actual) == _instant(expected)
    except (TypeError, ValueError):
        return actual == expected


def _instant(value: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
