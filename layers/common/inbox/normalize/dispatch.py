"""Turn any parsed webhook body into normalized messages: the adapters, in order.

``normalize(body, received_at=...)`` tries the adapters below in order on the body; the first that
recognizes it names the ``format``. The order goes from the most specific shape to the catch-all:

1. ``fieldmap`` — the operator's own aliases override everything built in.
2. ``meta`` — Meta's ``{"object", "entry": [...]}`` envelope; nothing else has ``entry``.
3. ``nested`` — ``sender{}``/``message{}`` objects, which the flat adapters cannot read.
4. ``manychat`` — must beat the flat adapters, whose reading of its ``id``/``name`` would be wrong.
5. ``chatrace`` — system-field markers; reads ``{{last_input}}`` media URLs as attachments.
6. ``flat`` — the seed's body and any cousin with a sender and some content.

Only when none of them recognizes the body is it tried as a wrapper (list, ``messages``, ``data``,
``payload``), so a message body that happens to have a ``data`` key stays one message.

Last, when neither an adapter nor a wrapper recognized it, the body is read by the shape of its
objects rather than their keys (format ``shape``, :mod:`inbox.normalize.shapes`): a person object
under any key that does not name the other side is the sender, an object with text is the message,
and when two candidates remain it refuses to guess. Running last means that nothing recognized by
name changes, and that bodies recognized by name pay nothing for it.

Whatever adapter recognized a body, a body that also names a different sender (a ``sender{}`` next
to a different ``contact_id``, say: how a customer's text forges one in a hand-written template) is
unrecognized, never guessed at (:mod:`inbox.normalize.conflicts`; the field map is exempt).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import get_args

from inbox.errors import DuplicateKey
from inbox.models import NormalizedMessage, NormalizeResult, Source
from inbox.normalize import chatrace, conflicts, fieldmap, flat, manychat, meta, nested, wrappers
from inbox.normalize.context import Adapter, Context
from inbox.normalize.timestamps import format_datetime
from inbox.normalize.wrappers import Outcome

__all__ = ["ADAPTERS", "normalize", "normalize_unguarded"]

ADAPTERS: tuple[tuple[str, Adapter], ...] = (
    (fieldmap.FORMAT, fieldmap.adapt),
    (meta.FORMAT, meta.adapt),
    (nested.FORMAT, nested.adapt),
    (manychat.FORMAT, manychat.adapt),
    (chatrace.FORMAT, chatrace.adapt),
    (flat.FORMAT, flat.adapt),
)

_SOURCES = frozenset(get_args(Source))


def _normalize_node(body: object, ctx: Context, depth: int) -> Outcome:
    for name, adapt in ADAPTERS:
        messages = adapt(body, ctx)
        if messages is not None:
            return _checked(name, body, messages)
    items = wrappers.wrapped_items(body)
    outcome = Outcome() if items is None else wrappers.unwrap(items, ctx, depth, _normalize_node)
    if outcome.format is None:
        messages = nested.adapt_by_shape(body, ctx)
        if messages is not None:
            return _checked(nested.SHAPE_FORMAT, body, messages)
    return outcome


def _checked(name: str, body: object, messages: list[NormalizedMessage]) -> Outcome:
    """The adapter's reading, unless the body names another sender too (:mod:`.conflicts`)."""
    if name != fieldmap.FORMAT and conflicts.contradicted(body, messages):
        return Outcome()  # unrecognized: kept whole, never stored under either sender
    return Outcome(format=name, messages=messages)


def normalize_unguarded(body: object, ctx: Context) -> NormalizeResult:
    """:func:`normalize` without its last-resort guard (the property tests call this one)."""
    outcome = _normalize_node(body, ctx, 0)
    return NormalizeResult(
        format=outcome.format,
        messages=tuple(outcome.messages),
        unrecognizedParts=tuple(outcome.unrecognized),
        reactions=tuple(meta.reactions(body, ctx)) if outcome.format == meta.FORMAT else (),
    )


def normalize(
    body: object,
    *,
    received_at: datetime,
    source: Source = "webhook",
    field_map: Mapping[str, Sequence[str]] | None = None,
) -> NormalizeResult:
    """What the normalizer makes of one already-parsed body; never raises for a body it cannot read.

    ``format`` is None when nothing recognized the body (the caller keeps it as unrecognized); a
    recognized body may yield no message (only echoes, reads, reactions, ...: "ignored").
    ``unrecognizedParts`` lists the items of a wrapper body that nothing recognized.
    ``received_at`` (tz-aware; naive is taken as UTC) is the fallback message time.

    Raises DuplicateKey when JSON encoded twice inside the body repeats a key (refused like the
    body's own keys), and ValueError only for a programming error in the other arguments.
    """
    if source not in _SOURCES:
        raise ValueError(f"unknown source {source!r}")
    received = format_datetime(received_at)
    try:
        ctx = Context(received_at=received, source=source, field_map=fieldmap.compile_field_map(field_map))
        return normalize_unguarded(body, ctx)
    except DuplicateKey:
        raise
    except Exception:
        # Last resort (RecursionError, MemoryError, a bug): an unrecognized body is kept whole by the
        # caller and answered 202, which is better than a 500 that Meta retries for 36 hours.
        return NormalizeResult(format=None)
