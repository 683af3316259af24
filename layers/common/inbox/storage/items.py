"""Both directions of every item codec: a record as a DynamoDB item, and back.

Values go through boto3's own :class:`~boto3.dynamodb.types.TypeSerializer` and
:class:`~boto3.dynamodb.types.TypeDeserializer` (numbers come back as ``int``), not hand-written
``{"S": …}`` dicts. ``make bench`` measures what that costs on the hot path (about 50 µs to encode a
message and 20 µs to decode one, against 5 µs hand-written: under 1 % of a delivery's DynamoDB round
trip, 2 ms of a 100-message page; docs/performance.md), which is not worth a second codec.

Keys and partitions come from :mod:`inbox.storage.table`; updates of summary rows (replies, the
poller's state) are :class:`Update` values the table runs. The conversation row's codec sits with
the row's writes in :mod:`inbox.storage.conversation_rows` (this module would pass 400 lines).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, cast, get_args

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from inbox.models import Attachment, NormalizedMessage, Reaction, ReplyStatus, Source, reply_status_seen
from inbox.normalize.timestamps import to_epoch_ms
from inbox.storage.table import (
    MESSAGES_PARTITION,
    RAW_PARTITION,
    REACTION_PREFIX,
    Item,
    Key,
    message_key,
    message_sort_key,
    raw_id_of,
    raw_key,
    sender_partition,
)

if TYPE_CHECKING:
    from inbox.storage.fingerprints import Entry
    from inbox.storage.records import KeptBody, LoginCounterItem

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def to_item(values: Mapping[str, object]) -> Item:
    """Plain values as DynamoDB attributes; a None value is left out (the attribute is absent)."""
    return {name: _SERIALIZER.serialize(value) for name, value in values.items() if value is not None}


def to_values(values: Mapping[str, object]) -> Item:
    """Expression values (``:name``): a None value is DynamoDB's NULL."""
    return {name: _SERIALIZER.serialize(value) for name, value in values.items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item as plain values (whole numbers as ``int``, binary as ``bytes``)."""
    return {name: _plain(_DESERIALIZER.deserialize(value)) for name, value in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        return bytes(value)  # type: ignore[call-overload]  # the stubs say __bytes__ returns str
    if isinstance(value, dict):
        return {name: _plain(inner) for name, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value


def text_of(fields: Mapping[str, Any], name: str) -> str | None:
    value = fields.get(name)
    return value if isinstance(value, str) else None


def number_of(fields: Mapping[str, Any], name: str) -> int | None:
    value = fields.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Update(NamedTuple):
    """One UpdateItem of a known item: its expressions, with plain values (serialized when sent)."""

    expression: str
    values: dict[str, object]
    condition: str | None = None
    names: Mapping[str, str] = MappingProxyType({})

    def request(self, table_name: str, key: Key) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": table_name,
            "Key": key,
            "UpdateExpression": self.expression,
            "ExpressionAttributeValues": to_values(self.values),
        }
        if self.condition:
            request["ConditionExpression"] = self.condition
        if self.names:
            request["ExpressionAttributeNames"] = dict(self.names)
        return request


# ------------------------------------------------------------------------------------- messages


def message_item(message: NormalizedMessage) -> Item:
    sort_key = message_sort_key(message.timestamp, message.messageId)
    return {
        **message_key(message.messageId),
        **to_item(
            {
                "kind": "message",
                "gsi1pk": sender_partition(message.senderId),
                "gsi1sk": sort_key,
                "gsi2pk": MESSAGES_PARTITION,
                "gsi2sk": sort_key,
                "messageId": message.messageId,
                "senderId": message.senderId,
                "timestamp": message.timestamp,
                "source": message.source,
                "format": message.format,
                "receivedAt": message.receivedAt,
                "direction": message.direction,
                "attachments": [{"type": a.type, "url": a.url} for a in message.attachments],
                "username": message.username,
                "text": message.text,
                "status": message.status,
                "error": message.error,
                "claimedTimestamp": message.claimedTimestamp,
            }
        ),
    }


def message_from_item(item: Mapping[str, Any]) -> NormalizedMessage:
    """The stored item as the normalized message it was written from (:func:`message_item`)."""
    fields = from_item(item)

    def s(name: str) -> str:
        return text_of(fields, name) or ""

    attachments = tuple(
        Attachment(type=str(entry.get("type", "")), url=str(entry.get("url", "")))
        for entry in fields.get("attachments") or []
        if isinstance(entry, dict)
    )
    source = s("source")
    return NormalizedMessage(
        messageId=s("messageId"),
        senderId=s("senderId"),
        username=text_of(fields, "username"),
        text=text_of(fields, "text"),
        attachments=attachments,
        timestamp=s("timestamp"),
        source=cast(Source, source) if source in get_args(Source) else "webhook",
        format=s("format"),
        receivedAt=s("receivedAt"),
        direction="outbound" if s("direction") == "outbound" else "inbound",
        status=cast(
            ReplyStatus | None,
            reply_status_seen(text_of(fields, "status"), s("receivedAt"), datetime.now(UTC)),
        ),
        error=text_of(fields, "error"),
        claimedTimestamp=text_of(fields, "claimedTimestamp"),
        reactions=_reactions(fields),
    )


def message_epoch_ms(timestamp: str | None, received_at: str | None) -> int | None:
    """The message's time in ms (its receive time when its own cannot be read)."""
    ms = to_epoch_ms(timestamp)
    return ms if ms is not None else to_epoch_ms(received_at)


def reaction_update(reaction: Reaction, stamp: str) -> Update:
    """Keep ``reaction`` on its message, only when that person has no newer one there."""
    value = {"action": reaction.action, "at": stamp, "reaction": reaction.reaction, "emoji": reaction.emoji}
    return Update(
        "SET #r = :r",
        {":r": {name: inner or None for name, inner in value.items()}, ":at": stamp},
        "attribute_exists(pk) AND (attribute_not_exists(#r) OR #r.#at < :at)",
        {"#r": REACTION_PREFIX + reaction.senderId, "#at": "at"},
    )


def _reactions(fields: Mapping[str, Any]) -> tuple[Reaction, ...]:
    """The reactions kept on a message (:func:`reaction_update`), oldest first; removals left out."""
    found = []
    for name, value in fields.items():
        if not name.startswith(REACTION_PREFIX) or not isinstance(value, dict):
            continue
        if text_of(value, "action") != "react":
            continue
        found.append(
            Reaction(
                messageId=text_of(fields, "messageId") or "",
                senderId=name.removeprefix(REACTION_PREFIX),
                action="react",
                reaction=text_of(value, "reaction"),
                emoji=text_of(value, "emoji"),
                timestamp=text_of(value, "at") or "",
            )
        )
    return tuple(sorted(found, key=lambda r: r.timestamp))


# ---------------------------------------------------------------------------------- kept bodies


def raw_item(
    raw_id: str, raw: bytes, *, limit: int, received_at: str, ttl: int, **labels: str | None
) -> Item:
    """A kept body: its first ``limit`` bytes (text when UTF-8, else binary) and its labels
    (``reason``, ``mediaType``, ``requestId``)."""
    body = raw[:limit]
    try:
        kept: str | bytes = body.decode("utf-8")
    except UnicodeDecodeError:
        kept = body
    return {
        **raw_key(raw_id),
        **to_item(
            {
                "kind": "raw",
                "gsi2pk": RAW_PARTITION,
                "gsi2sk": f"{received_at}#{raw_id}",
                **labels,
                "size": len(raw),
                "truncated": len(raw) > limit,
                "receivedAt": received_at,
                "ttl": ttl,
                "body": kept,
            }
        ),
    }


def kept_body_from_item(item: Mapping[str, Any]) -> KeptBody:
    from inbox.storage.records import KeptBody  # only the operator API reads kept bodies back

    fields = from_item(item)
    body = fields.get("body", b"")
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)
    return KeptBody(
        id=raw_id_of(item),
        receivedAt=text_of(fields, "receivedAt") or "",
        reason=text_of(fields, "reason") or "",
        mediaType=text_of(fields, "mediaType") or "",
        size=number_of(fields, "size") or len(raw),
        truncated=bool(fields.get("truncated", False)),
        raw=raw,
        requestId=text_of(fields, "requestId"),
    )


# -------------------------------------------------------------------------------- fingerprints


def fingerprint_entries(entries: list[Entry]) -> list[dict[str, object]]:
    return [
        {"id": e.message_id, "ts": e.timestamp_ms, "derived": e.derived}
        | ({"matchedBy": e.matched_by} if e.matched_by is not None else {})
        for e in entries
    ]


def entries_of(item: Mapping[str, Any]) -> tuple[int | None, list[Entry]]:
    """A fingerprint item's version and entries."""
    from inbox.storage.fingerprints import Entry  # the events function reads messages, never fingerprints

    fields = from_item(item)
    entries = [
        Entry(
            message_id=str(value["id"]),
            timestamp_ms=int(value["ts"]),
            derived=bool(value["derived"]),
            matched_by=text_of(value, "matchedBy"),
        )
        for value in fields.get("entries") or []
    ]
    return number_of(fields, "ver"), entries


# ------------------------------------------------------------------------------ login counters


def login_counter_item(key: Key, counter: LoginCounterItem, *, ttl: int) -> Item:
    return {
        **key,
        **to_item(
            {
                "kind": "login-counter",
                "ver": counter.version,
                "failures": counter.failures,
                "lastFailureAt": counter.last_failure_at,
                "lockedUntil": counter.locked_until,
                "trustedUntil": counter.trusted_until,
                "ttl": ttl,
            }
        ),
    }


def login_counter_from_item(item: Mapping[str, Any]) -> LoginCounterItem:
    from inbox.storage.records import LoginCounterItem  # only the operator API counts logins

    fields = from_item(item)
    return LoginCounterItem(
        version=number_of(fields, "ver") or 0,
        failures=number_of(fields, "failures") or 0,
        last_failure_at=number_of(fields, "lastFailureAt") or 0,
        locked_until=number_of(fields, "lockedUntil") or 0,
        trusted_until=number_of(fields, "trustedUntil") or 0,
    )
