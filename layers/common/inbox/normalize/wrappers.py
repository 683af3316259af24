"""Bodies that carry other bodies: a top-level list, ``{"messages": [...]}``,
``{"data"|"payload"|"body": ...}``, and JSON encoded twice — the whole body, or a wrapper's value,
as a string holding a JSON object or list (a template that quotes its JSON, a relay that forwards
what it got as a string).

Each item goes through the whole adapter chain again. Recursion is bounded in depth
(:data:`MAX_DEPTH` wrapper levels) and in breadth (one :data:`~inbox.normalize.context.MAX_ITEMS`
budget per call, shared by every level), so a hostile body can neither blow the stack nor take long.
Nothing is dropped: items that no adapter recognizes — and the rest of a list once the budget is
spent, as one part — are handed back so the caller can keep them.
"""

from __future__ import annotations

from collections.abc import Callable

from inbox import jsontext
from inbox.models import NormalizedMessage
from inbox.normalize.context import Context

MAX_DEPTH = 4
WRAPPER_KEYS = ("messages", "data", "payload", "body")


class Outcome:
    """What one node of a body gave, filled in as its items are read (a plain class, as
    :class:`~inbox.normalize.context.Context` is)."""

    __slots__ = ("format", "messages", "unrecognized")

    def __init__(self, *, format: str | None = None, messages: list[NormalizedMessage] | None = None) -> None:
        self.format = format
        self.messages: list[NormalizedMessage] = messages if messages is not None else []
        self.unrecognized: list[object] = []


NodeNormalizer = Callable[[object, Context, int], Outcome]


def wrapped_items(body: object) -> list[object] | None:
    """The items a wrapper body carries, or None when the body is not a wrapper."""
    if isinstance(body, list):
        return body
    if isinstance(body, str):
        decoded = json_document(body)
        return None if decoded is None else [decoded]
    if isinstance(body, dict):
        for key in WRAPPER_KEYS:
            inner = body.get(key)
            if isinstance(inner, str):
                inner = json_document(inner)
            if isinstance(inner, list):
                return inner
            if isinstance(inner, dict):
                return [inner]
    return None


def json_document(text: str) -> dict[str, object] | list[object] | None:
    """The JSON object or list a string holds, else None (plain text stays text).

    Raises DuplicateKey like the outer body's parser: JSON encoded twice is no way around that rule.
    """
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        decoded = jsontext.loads(text)
    except (ValueError, RecursionError):
        return None
    return decoded if isinstance(decoded, dict | list) else None


def unwrap(items: list[object], ctx: Context, depth: int, normalize_node: NodeNormalizer) -> Outcome:
    """Normalize each item; the format is the first recognized item's."""
    outcome = Outcome()
    if depth >= MAX_DEPTH:
        return outcome  # unrecognized: the caller keeps this wrapper whole
    for position, item in enumerate(items):
        if ctx.budget <= 0:
            outcome.unrecognized.append(items[position:])
            break
        ctx.budget -= 1
        inner = normalize_node(item, ctx, depth + 1)
        if inner.format is None:
            outcome.unrecognized.append(item)
            continue
        if outcome.format is None:
            outcome.format = inner.format
        outcome.messages.extend(inner.messages)
        outcome.unrecognized.extend(inner.unrecognized)
    return outcome
