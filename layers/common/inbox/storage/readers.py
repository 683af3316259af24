"""The read side of the table: stored messages and kept bodies, newest first, from the indexes only.

- one sender's conversation: ``gsi1`` partition ``SENDER#<senderId>``;
- every message: ``gsi2`` partition ``MSG``; kept (unrecognized or malformed) bodies: ``gsi2``
  partition ``RAW`` (see :mod:`inbox.storage.table` for the layout) — always a Query, never a Scan.

Pages continue *strictly before* the last sort key handed out (``<time>#<id>`` is unique, since the
id is the item's key), expressed as a key condition rather than an ExclusiveStartKey: the position
needs no item to still exist and is the same on DynamoDB and moto. ``since`` becomes a key
condition at whole-second precision (stored times are ``…:ssZ`` or ``…:ss.fffZ``, which do not sort
as numbers within one second) and is then applied exactly to each item. One item more than asked
is read, so ``more`` is exact and the last page never promises another. A page also ends early
when it reaches :data:`MAX_PAGE_BYTES`, so a hundred large kept bodies never exceed Lambda's answer.
Every listing, search and export walks the table through one page iterator (:meth:`MessageReader.pages`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from inbox.models import NormalizedMessage
from inbox.storage.dynamodb import Table, dynamodb_client
from inbox.storage.items import kept_body_from_item, message_from_item, to_values
from inbox.storage.records import KeptBody
from inbox.storage.table import NEWEST, RAW_PARTITION, Index, Item, listing_partition, raw_key, sort_key_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["Index", "Item", "KeptBody", "MessageReader", "Page", "message_from_item", "sort_key_of"]

MAX_PAGE_BYTES = 2 * 1024 * 1024
"""What one page may hold (as stored): Lambda answers at most 6 MB, and JSON escaping can double
a kept body. A page that reaches it ends early, with a cursor, so 100 large bodies never fail."""


class Page[T](NamedTuple):
    items: list[T]
    last_sort_key: str | None
    """Sort key of the last item when there is more to read, else None."""


class MessageReader:
    """Queries over the table's indexes; AWS errors become StoreUnavailable."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client or dynamodb_client()
        self._table = Table(table_name, self._client)

    def messages(
        self, *, sender_id: str | None, since: datetime | None, limit: int, before: str | None
    ) -> Page[NormalizedMessage]:
        index, partition = listing_partition(sender_id)
        return self.newest_first(
            index,
            partition,
            since=since,
            limit=limit,
            before=before,
            decode=message_from_item,
            time_of=lambda m: m.timestamp,
        )

    def kept_bodies(self, *, since: datetime | None, limit: int, before: str | None) -> Page[KeptBody]:
        return self.newest_first(
            NEWEST,
            RAW_PARTITION,
            since=since,
            limit=limit,
            before=before,
            decode=kept_body_from_item,
            time_of=lambda b: b.receivedAt,
        )

    def kept_body(self, raw_id: str) -> KeptBody | None:
        item = self._table.get(raw_key(raw_id))
        return kept_body_from_item(item) if item else None

    def newest(
        self, index: Index, partition: str, *, before: str | None, max_items: int, page_size: int = 200
    ) -> Iterator[Item]:
        """At most ``max_items`` items of one index partition, newest first, strictly before ``before``:
        a bounded read (each Query asks for no more than is still allowed) for search and export."""
        read: list[Item] = []
        more = lambda: min(page_size, max_items - len(read))  # noqa: E731 - the next Query's Limit
        for page in self.pages(index, partition, before=before, limit=more):
            for item in page:
                read.append(item)
                yield item
            if len(read) >= max_items:
                return

    def newest_first[T](
        self,
        index: Index,
        partition: str,
        *,
        since: datetime | None,
        limit: int,
        before: str | None,
        decode: Callable[[Item], T],
        time_of: Callable[[T], str],
    ) -> Page[T]:
        """One page of a listing: at most ``limit`` records at or after ``since``, strictly before
        ``before``, and the cursor to go on when there is more (module docstring)."""
        floor = _second_prefix(since) if since is not None else None
        if floor is not None and before is not None and floor > before:
            return Page([], None)
        extra = 1 if floor is not None and before is not None else 0  # BETWEEN reads the cursor's own item
        kept: list[T] = []
        keys: list[str] = []
        size = 0
        for page in self.pages(
            index, partition, floor=floor, before=before, limit=lambda: limit + 1 - len(kept) + extra
        ):
            for item in page:
                record = decode(item)
                if since is not None and not _at_or_after(time_of(record), since):
                    continue
                size += _size(item)
                if kept and size > MAX_PAGE_BYTES:
                    return Page(kept, keys[-1])  # a shorter page, and a cursor to go on
                kept.append(record)
                keys.append(sort_key_of(item, index))
            if len(kept) > limit:
                return Page(kept[:limit], keys[limit - 1])
        return Page(kept, None)

    def pages(
        self,
        index: Index,
        partition: str,
        *,
        before: str | None,
        limit: Callable[[], int],
        floor: str | None = None,
        projection: str | None = None,
    ) -> Iterator[list[Item]]:
        """The one page iterator: Query pages of one index partition, newest first, strictly before
        ``before`` and from ``floor`` on; ``limit()`` says how many items the next Query may read, and
        ``projection`` which attributes it returns (all by default)."""
        names = {"#pk": f"{index}pk"}
        values: dict[str, object] = {":pk": partition}
        condition = "#pk = :pk"
        if floor is not None and before is not None:
            condition += " AND #sk BETWEEN :floor AND :before"
            values |= {":floor": floor, ":before": before}
        elif floor is not None:
            condition += " AND #sk >= :floor"
            values[":floor"] = floor
        elif before is not None:
            condition += " AND #sk < :before"
            values[":before"] = before
        if floor is not None or before is not None:
            names["#sk"] = f"{index}sk"  # DynamoDB refuses a name the expression does not use
        start: dict[str, Any] | None = None
        while True:
            request: dict[str, Any] = {
                "IndexName": index,
                "KeyConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_values(values),
                "ScanIndexForward": False,
                "Limit": limit(),
            }
            if start is not None:
                request["ExclusiveStartKey"] = start
            if projection is not None:
                request["ProjectionExpression"] = projection
            items, start = self._table.query(request)
            if (
                floor is not None and before is not None
            ):  # BETWEEN is inclusive: the cursor's own item was on the last page
                items = [item for item in items if sort_key_of(item, index) != before]
            yield items
            if not start:
                return


def _size(value: object) -> int:
    """Roughly what an item (DynamoDB's typed JSON) weighs as text."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, dict):
        return sum(len(str(key)) + _size(inner) for key, inner in value.items())
    if isinstance(value, list):
        return sum(_size(inner) for inner in value)
    return 8


def _second_prefix(moment: datetime) -> str:
    """``2024-11-13T12:00:00`` — sorts before every stored time of that second, with or without ms."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _at_or_after(stamp: str, since: datetime) -> bool:
    try:
        return datetime.fromisoformat(stamp) >= since
    except ValueError:
        return True  # an unreadable time passed the key condition: show it rather than hide it
