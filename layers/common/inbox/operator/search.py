"""`GET /instagram/messages?q=…`: messages with a word of their text, or from a sender — a bounded read.

DynamoDB has no text index, and a ``FilterExpression`` is applied *after* the read (and is
case-sensitive), so any search over "all messages" costs a read of all history — a Scan that grows
with every message ever stored, in latency and in money. Instead one request reads at most
:data:`SEARCH_WINDOW` messages, newest first, through an index the listings already use (``gsi2``
partition ``MSG`` for every sender, ``gsi1`` ``SENDER#<id>`` with ``senderId``), and matches them in
the function: every term of ``q`` must occur (case-insensitively) in the text, the username or the
sender id (a leading ``@`` is ignored). A request's cost is therefore constant — at most 1,000 items
read, whatever the table holds — and recent messages, the ones an operator looks for, are found at
once. The answer says how far it looked (``search.scanned``, ``search.complete``); ``nextCursor``
continues further back, one more bounded window per request, so older history is reached only
when asked for (or narrowed to one sender, whose own partition is small).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inbox.models import NormalizedMessage
from inbox.storage.items import message_from_item
from inbox.storage.readers import MessageReader
from inbox.storage.table import listing_partition, sort_key_of

SEARCH_WINDOW = 1000
"""Messages one search request reads at most (about 1,000 x 0.5 KB: some 60 read units)."""
LISTING = "search"


@dataclass(frozen=True, slots=True)
class SearchResult:
    messages: list[NormalizedMessage]
    scanned: int
    last_sort_key: str | None
    """Where the next request continues (None: nothing older is left to search)."""


def terms(q: str) -> list[str]:
    return [term.removeprefix("@") for term in q.casefold().split() if term.removeprefix("@")]


def matches(message: NormalizedMessage, wanted: list[str]) -> bool:
    haystack = "\n".join(filter(None, (message.text, message.username, message.senderId))).casefold()
    return all(term in haystack for term in wanted)


def search(
    reader: MessageReader,
    q: str,
    *,
    sender_id: str | None,
    since: datetime | None,
    limit: int,
    before: str | None,
) -> SearchResult:
    index, partition = listing_partition(sender_id)
    wanted = terms(q)
    found: list[NormalizedMessage] = []
    scanned = 0
    last: str | None = None
    for item in reader.newest(index, partition, before=before, max_items=SEARCH_WINDOW):
        scanned += 1
        last = sort_key_of(item, index)
        message = message_from_item(item)
        if since is not None and _older(message.timestamp, since):
            return SearchResult(found, scanned, None)
        if matches(message, wanted):
            found.append(message)
            if len(found) == limit:
                return SearchResult(found, scanned, last)
    return SearchResult(found, scanned, last if scanned == SEARCH_WINDOW else None)


def _older(stamp: str, since: datetime) -> bool:
    try:
        return datetime.fromisoformat(stamp) < since
    except ValueError:
        return False
