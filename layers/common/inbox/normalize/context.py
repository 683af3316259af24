"""What every adapter shares: the call's settings, and the one place a message gets built."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from inbox.models import Attachment, NormalizedMessage, Source
from inbox.normalize.ids import derived_message_id
from inbox.normalize.timestamps import MAX_FUTURE_MS, MAX_MS, format_ms, to_epoch_ms

MAX_ITEMS = 1000
"""How many wrapped items one call looks at; the rest is kept as one unrecognized part."""

FieldMap = dict[str, tuple[str, ...]]
"""Normalized field name → dotted paths into the body, tried in order."""


class Context:
    """One normalizer call's settings and what it has left (``budget``, spent by the wrappers);
    ``latest_ms`` is the latest own time a message may keep: the receive time plus MAX_FUTURE_MS.

    A plain class: a dataclass would generate its methods at every cold start (docs/performance.md
    (a)), and nothing compares or prints a context."""

    __slots__ = ("budget", "field_map", "latest_ms", "received_at", "source")

    def __init__(self, *, received_at: str, source: Source, field_map: FieldMap | None = None) -> None:
        self.received_at = received_at
        self.source: Source = source
        self.field_map = field_map
        self.budget = MAX_ITEMS
        received = to_epoch_ms(received_at)
        self.latest_ms = received + MAX_FUTURE_MS if received is not None else MAX_MS


Adapter = Callable[[object, Context], list[NormalizedMessage] | None]
"""Returns None when the body is not the adapter's shape, else its messages (possibly none)."""


def make_message(
    ctx: Context,
    fmt: str,
    *,
    sender_id: str | None,
    message_id: str | None,
    username: str | None,
    text: str | None,
    attachments: Sequence[Attachment],
    timestamp_ms: int | None,
) -> NormalizedMessage | None:
    """The message, or None when it has no sender or nothing in it (neither text nor attachment).

    A time further in the future than ``ctx.latest_ms`` is kept as ``claimedTimestamp`` only; the
    message takes the receive time (a derived id still hashes the claimed time, so a redelivery of
    the same body is still a duplicate).
    """
    if sender_id is None or (text is None and not attachments):
        return None
    own_time = format_ms(timestamp_ms) if timestamp_ms is not None else ""
    if message_id is None:
        message_id = derived_message_id(sender_id, own_time, text or "", [a.url for a in attachments])
    claimed = None
    if timestamp_ms is not None and timestamp_ms > ctx.latest_ms:
        claimed, own_time = own_time, ""
    return NormalizedMessage(
        messageId=message_id,
        senderId=sender_id,
        username=username,
        text=text,
        attachments=tuple(attachments),
        timestamp=own_time or ctx.received_at,
        source=ctx.source,
        format=fmt,
        receivedAt=ctx.received_at,
        claimedTimestamp=claimed,
    )
