"""Content fingerprints: how the store recognizes one message seen by two sources (pure, no I/O).

A Chatrace External Request body carries no message id, so the webhook derives one
(``sha256:…``, see :mod:`inbox.normalize.ids`), while the poller and Meta's webhook see the real
id. The same message would be stored twice by id alone; the store therefore also pairs a
*derived-id* record with a *real-id* record of the same content:

- **content** = (senderId, text, attachment URLs). Text is NFC-normalized with its whitespace
  collapsed (a template may re-wrap it); a URL counts without its query and fragment, because
  signed CDN links carry a fresh signature on every fetch; the set of URLs, not their order or
  type (a post share arrives as ``share`` + ``ig_post`` with one URL, an inbox row may say ``file``
  where Chatrace said ``image``);
- **time**: the two timestamps lie within :data:`TOLERANCE_MS` (±90 s) of each other — a Chatrace
  body without ``sent_at`` is stamped with its receive time, seconds after the message;
- **kinds**: only derived ↔ real. Two real ids are two messages even with the same text ("ok",
  "ok"); two derived ids are already told apart (or merged) by the id itself;
- **one to one**: a record pairs with at most one sighting of the other kind (the nearest in time),
  so "ok" twice within 90 s, seen by both sources, is still two messages.

Layout: one item per (content, hour) — ``pk = FP#<sha256 of the content>``, ``sk = <yyyy-mm-ddThh>``
— listing every record of that content in that hour (:class:`Entry`: id, time, derived or real,
and which later sighting it was paired with). A message at time *t* looks at the hours of
*t* - 90 s and *t* + 90 s: one item, or two near the turn of an hour. Items are found by key (no
Scan), carry no index attributes (message listings never see them) and expire after
:data:`TTL_DAYS` — the other source's sighting comes within minutes (the poller's cursor lag), a
month covers any outage one would catch up from. How the store keeps this right under concurrent
writers is described in :mod:`inbox.storage.store`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from inbox.normalize.ids import is_derived
from inbox.normalize.timestamps import format_ms, to_epoch_ms
from inbox.storage.table import FINGERPRINT_PREFIX

if TYPE_CHECKING:
    from inbox.models import NormalizedMessage

TOLERANCE_MS = 90_000
"""How far apart two sightings of one message may be stamped (each way)."""
BUCKET_MS = 3_600_000
"""One fingerprint item per content and hour."""
TTL_DAYS = 30
MAX_ENTRIES = 50
"""A bucket holding this many records of one content from one sender in one hour takes no more:
later records of it are stored by id alone. Every write rewrites the item, and DynamoDB bills a
write by the item's size (twice, in a transaction): a flood of one text must not make each of its
writes cost tens of KB. Fifty identical messages from one person in an hour is already a flood."""

_SPACES = re.compile(r"\s+")


class Entry(NamedTuple):
    """One stored record of a content, in the fingerprint item of its hour."""

    message_id: str
    timestamp_ms: int
    derived: bool
    matched_by: str | None = None
    """The id of the later sighting (of the other kind) that was answered as this record's duplicate."""

    def paired(self, message_id: str) -> Entry:
        return self._replace(matched_by=message_id)


class Fingerprint(NamedTuple):
    """Where a message's content is indexed, and how it may pair."""

    key: str
    timestamp_ms: int
    derived: bool
    message_id: str

    @classmethod
    def of(cls, message: NormalizedMessage) -> Fingerprint | None:
        """None when the message's timestamp cannot be read back (never for a normalized message)."""
        timestamp_ms = to_epoch_ms(message.timestamp)
        if timestamp_ms is None:
            return None
        return cls(
            key=content_key(message.senderId, message.text, [a.url for a in message.attachments]),
            timestamp_ms=timestamp_ms,
            derived=is_derived(message.messageId),
            message_id=message.messageId,
        )

    @property
    def bucket(self) -> str:
        return bucket_of(self.timestamp_ms)

    @property
    def window(self) -> tuple[str, ...]:
        """The buckets any pairing partner can be in: this one, and its neighbour near an hour's turn."""
        return tuple(
            sorted({bucket_of(self.timestamp_ms - TOLERANCE_MS), bucket_of(self.timestamp_ms + TOLERANCE_MS)})
        )

    def entry(self) -> Entry:
        return Entry(self.message_id, self.timestamp_ms, self.derived)


def content_key(sender_id: str, text: str | None, urls: Iterable[str]) -> str:
    """``FP#<sha256>`` of the sender and the normalized content (length-prefixed, like derived ids)."""
    parts = [sender_id, normalized_text(text), *sorted({url_identity(url) for url in urls})]
    key = "fp1;" + "".join(f"{len(part)}:{part};" for part in parts)
    return FINGERPRINT_PREFIX + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def normalized_text(text: str | None) -> str:
    if not text:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def url_identity(url: str) -> str:
    """A URL without its query and fragment (signatures, cache busters); scheme and host lower-cased."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    if not parts.netloc:
        return url.strip()
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}"


def bucket_of(timestamp_ms: int) -> str:
    """``2024-11-13T12``: the hour (UTC) a time falls in."""
    return format_ms(timestamp_ms - timestamp_ms % BUCKET_MS)[:13]


def sighting(entries: Iterable[Entry], message_id: str) -> Entry | None:
    """The entry that already accounts for this id: its own record, or the record it was paired with."""
    for entry in entries:
        if message_id in (entry.message_id, entry.matched_by):
            return entry
    return None


def partner(
    entries: Sequence[Entry], fingerprint: Fingerprint, *, exclude: frozenset[str] = frozenset()
) -> Entry | None:
    """The unpaired record of the other kind nearest in time within the tolerance (earliest on a tie)."""
    candidates = [
        entry
        for entry in entries
        if entry.derived != fingerprint.derived
        and entry.matched_by is None
        and entry.message_id not in exclude
        and abs(entry.timestamp_ms - fingerprint.timestamp_ms) <= TOLERANCE_MS
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda e: (abs(e.timestamp_ms - fingerprint.timestamp_ms), e.timestamp_ms))
