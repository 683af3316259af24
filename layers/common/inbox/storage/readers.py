"""The read side of the table: stored messages and kept bodies, newest first, from the indexes only.

- one sender's conversation: ``gsi1`` partition ``SENDER#<senderId>``;
- every message: ``gsi2`` partition ``MSG``; kept (unrecognized or malformed) bodies: ``gsi2``
  partition ``RAW`` (see :mod:`inbox.storage.store` for the layout) — always a Query, never a Scan.

Pages continue *strictly before* the last sort key handed out (``<time>#<id>`` is unique, since the
id is the item's key), expressed as a key condition rather than an ExclusiveStartKey: the position
needs no item to still exist and is the same on DynamoDB and moto. ``since`` becomes a key
condition at whole-second precision (stored times are ``…:ssZ`` or ``…:ss.fffZ``, which do not sort
as numbers within one second) and is then applied exactly to each item. One item more than asked
is read, so ``more`` is exact and the last page never promises another. A page also ends early
when it reaches :data:`MAX_PAGE_BYTES`, so a hundred large kept bodies never exceed Lambda's answer.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

from botocore.exceptions import BotoCoreError, ClientError

from inbox.models import Attachment, NormalizedMessage, Reaction, ReplyStatus, Source, reply_status_seen
from inbox.storage.store import (
    MESSAGES_PARTITION,
    RAW_PARTITION,
    REACTION_PREFIX,
    dynamodb_client,
    item_text,
    read_unavailable,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Item = dict[str, Any]

MAX_PAGE_BYTES = 2 * 1024 * 1024
"""What one page may hold (as stored): Lambda answers at most 6 MB, and JSON escaping can double
a kept body. A page that reaches it ends early, with a cursor, so 100 large bodies never fail."""
Index = Literal["gsi1", "gsi2"]


def sort_key_of(item: Item, index: Index) -> str:
    """The item's position in ``index`` (``<timestamp>#<messageId>``), as a cursor holds it."""
    return _s(item, f"{index}sk")


@dataclass(frozen=True, slots=True)
class Page[T]:
    items: list[T]
    last_sort_key: str | None
    """Sort key of the last item when there is more to read, else None."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KeptBody:
    """A body the webhook kept because no message came of it (see ``MessageStore.keep_raw``)."""

    id: str
    receivedAt: str
    reason: str
    mediaType: str
    size: int
    truncated: bool
    raw: bytes
    requestId: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Text when the bytes are UTF-8 (``body``), else base64 (``bodyBase64``)."""
        try:
            text: str | None = self.raw.decode("utf-8")
            encoded = None
        except UnicodeDecodeError:
            text, encoded = None, base64.b64encode(self.raw).decode("ascii")
        return {
            "id": self.id,
            "receivedAt": self.receivedAt,
            "reason": self.reason,
            "mediaType": self.mediaType,
            "size": self.size,
            "truncated": self.truncated,
            "body": text,
            "bodyBase64": encoded,
            "requestId": self.requestId,
        }


class MessageReader:
    """Queries over the table's indexes; AWS errors become StoreUnavailable."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client or dynamodb_client()

    def messages(
        self, *, sender_id: str | None, since: datetime | None, limit: int, before: str | None
    ) -> Page[NormalizedMessage]:
        index: Index = "gsi2" if sender_id is None else "gsi1"
        partition = MESSAGES_PARTITION if sender_id is None else f"SENDER#{sender_id}"
        items, last = self._newest_first(
            index, partition, since=since, limit=limit, before=before, time_of=lambda i: _s(i, "timestamp")
        )
        return Page([message_from_item(item) for item in items], last)

    def kept_bodies(self, *, since: datetime | None, limit: int, before: str | None) -> Page[KeptBody]:
        items, last = self._newest_first(
            "gsi2",
            RAW_PARTITION,
            since=since,
            limit=limit,
            before=before,
            time_of=lambda i: _s(i, "receivedAt"),
        )
        return Page([kept_body_from_item(item) for item in items], last)

    def kept_body(self, raw_id: str) -> KeptBody | None:
        try:
            found = self._client.get_item(
                TableName=self.table_name, Key={"pk": {"S": f"RAW#{raw_id}"}, "sk": {"S": "RAW"}}
            )
        except (ClientError, BotoCoreError) as exc:
            raise read_unavailable(exc) from exc
        item = found.get("Item")
        return kept_body_from_item(cast(Item, item)) if item else None

    def newest(
        self, index: Index, partition: str, *, before: str | None, max_items: int, page_size: int = 200
    ) -> Iterator[Item]:
        """At most ``max_items`` items of one index partition, newest first, strictly before ``before``:
        a bounded read (each Query asks for no more than is still allowed) for search and export."""
        names = {"#pk": f"{index}pk"}
        values: dict[str, Any] = {":pk": {"S": partition}}
        condition = "#pk = :pk"
        if before is not None:
            condition += " AND #sk < :before"
            names["#sk"] = f"{index}sk"
            values[":before"] = {"S": before}
        read = 0
        start: dict[str, Any] | None = None
        while read < max_items:
            request: dict[str, Any] = {
                "TableName": self.table_name,
                "IndexName": index,
                "KeyConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
                "ScanIndexForward": False,
                "Limit": min(page_size, max_items - read),
            }
            if start is not None:
                request["ExclusiveStartKey"] = start
            try:
                answer = self._client.query(**request)
            except (ClientError, BotoCoreError) as exc:
                raise read_unavailable(exc) from exc
            for item in cast(list[Item], answer.get("Items", [])):
                read += 1
                yield item
            start = cast(dict[str, Any] | None, answer.get("LastEvaluatedKey"))
            if not start:
                return

    def _newest_first(
        self,
        index: Index,
        partition: str,
        *,
        since: datetime | None,
        limit: int,
        before: str | None,
        time_of: Callable[[Item], str],
    ) -> tuple[list[Item], str | None]:
        floor = _second_prefix(since) if since is not None else None
        names = {"#pk": f"{index}pk"}
        values: dict[str, Any] = {":pk": {"S": partition}}
        condition = "#pk = :pk"
        if floor is not None and before is not None:
            if floor > before:
                return [], None
            condition += " AND #sk BETWEEN :floor AND :before"
            values |= {":floor": {"S": floor}, ":before": {"S": before}}
        elif floor is not None:
            condition += " AND #sk >= :floor"
            values[":floor"] = {"S": floor}
        elif before is not None:
            condition += " AND #sk < :before"
            values[":before"] = {"S": before}
        if floor is not None or before is not None:
            names["#sk"] = f"{index}sk"  # DynamoDB refuses a name the expression does not use

        kept: list[Item] = []
        size = 0
        start: dict[str, Any] | None = None
        while True:
            request: dict[str, Any] = {
                "TableName": self.table_name,
                "IndexName": index,
                "KeyConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
                "ScanIndexForward": False,
                "Limit": limit + 1 - len(kept) + (1 if before is not None and floor is not None else 0),
            }
            if start is not None:
                request["ExclusiveStartKey"] = start
            try:
                answer = self._client.query(**request)
            except (ClientError, BotoCoreError) as exc:
                raise read_unavailable(exc) from exc
            for item in cast(list[Item], answer.get("Items", [])):
                if before is not None and _s(item, f"{index}sk") == before:
                    continue  # BETWEEN is inclusive; the cursor's own item was on the last page
                if since is not None and not _at_or_after(time_of(item), since):
                    continue
                size += _size(item)
                if kept and size > MAX_PAGE_BYTES:
                    return kept, _s(kept[-1], f"{index}sk")  # a shorter page, and a cursor to go on
                kept.append(item)
            if len(kept) > limit:
                return kept[:limit], _s(kept[limit - 1], f"{index}sk")
            start = cast(dict[str, Any] | None, answer.get("LastEvaluatedKey"))
            if not start:
                return kept, None


def message_from_item(item: Item) -> NormalizedMessage:
    """The stored item as the normalized message it was written from (``store._message_item``)."""
    attachments = tuple(
        Attachment(type=_s(entry.get("M", {}), "type"), url=_s(entry.get("M", {}), "url"))
        for entry in item.get("attachments", {}).get("L", [])
    )
    source = _s(item, "source")
    return NormalizedMessage(
        messageId=_s(item, "messageId"),
        senderId=_s(item, "senderId"),
        username=item_text(item, "username"),
        text=item_text(item, "text"),
        attachments=attachments,
        timestamp=_s(item, "timestamp"),
        source=cast(Source, source) if source in get_args(Source) else "webhook",
        format=_s(item, "format"),
        receivedAt=_s(item, "receivedAt"),
        direction="outbound" if _s(item, "direction") == "outbound" else "inbound",
        status=cast(
            ReplyStatus | None,
            reply_status_seen(item_text(item, "status"), _s(item, "receivedAt"), datetime.now(UTC)),
        ),
        error=item_text(item, "error"),
        claimedTimestamp=item_text(item, "claimedTimestamp"),
        reactions=reactions_of(item),
    )


def reactions_of(item: Item) -> tuple[Reaction, ...]:
    """The reactions kept on a message item (``store.keep_reaction``), oldest first; removals left out."""
    found = []
    for name, value in item.items():
        fields = value.get("M") if name.startswith(REACTION_PREFIX) and isinstance(value, dict) else None
        if not isinstance(fields, dict) or item_text(fields, "action") != "react":
            continue
        found.append(
            Reaction(
                messageId=_s(item, "messageId"),
                senderId=name.removeprefix(REACTION_PREFIX),
                action="react",
                reaction=item_text(fields, "reaction"),
                emoji=item_text(fields, "emoji"),
                timestamp=_s(fields, "at"),
            )
        )
    return tuple(sorted(found, key=lambda r: r.timestamp))


def kept_body_from_item(item: Item) -> KeptBody:
    body = item.get("body", {})
    raw = body["S"].encode("utf-8", "surrogatepass") if "S" in body else bytes(body.get("B", b""))
    return KeptBody(
        id=_s(item, "pk").removeprefix("RAW#"),
        receivedAt=_s(item, "receivedAt"),
        reason=_s(item, "reason"),
        mediaType=_s(item, "mediaType"),
        size=int(item.get("size", {}).get("N", len(raw))),
        truncated=bool(item.get("truncated", {}).get("BOOL", False)),
        raw=raw,
        requestId=item_text(item, "requestId"),
    )


def _size(value: object) -> int:
    """Roughly what an item (DynamoDB's typed JSON) weighs as text."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, dict):
        return sum(len(str(key)) + _size(inner) for key, inner in value.items())
    if isinstance(value, list):
        return sum(_size(inner) for inner in value)
    return 8


def _s(item: Item, name: str) -> str:
    return str(item.get(name, {}).get("S", ""))


def _second_prefix(moment: datetime) -> str:
    """``2024-11-13T12:00:00`` — sorts before every stored time of that second, with or without ms."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _at_or_after(stamp: str, since: datetime) -> bool:
    try:
        return datetime.fromisoformat(stamp) >= since
    except ValueError:
        return True  # an unreadable time passed the key condition: show it rather than hide it
