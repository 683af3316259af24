"""`GET /instagram/messages`, `GET /instagram/unrecognized` and the replay of a kept body.

Query parameters are the pydantic models below, validated by Powertools on the route
(:mod:`inbox.operator.routes`): ``limit`` 1 to 100 (default 50), ``cursor`` as handed out in
``nextCursor``, ``since`` ISO-8601 with any offset (without one it is UTC), ``senderId`` for one
conversation, ``q`` to search (:mod:`inbox.operator.search`: a bounded window, never a Scan); an
unknown parameter is a 400 too (a misspelt ``senderID`` must not silently list everything).

Replay runs a kept body through today's reading, normalizer and field map, then the one write
path, so replaying twice stores once. The kept body's arrival time stands in for "now" (a body
without its own timestamp gets the time it arrived, and the same derived id every time). A body
that still yields no message is answered **422** ``{"status": "unrecognized", "error": ...}``: the
request was understood but could not be carried out, and a client need not parse the body to know.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from inbox.errors import DuplicateKey, InvalidRequest, NotFound, RejectedDelivery
from inbox.http import Answer
from inbox.observability import logger
from inbox.paging import decode_cursor, encode_cursor
from inbox.settings import Settings, read_field_map
from inbox.storage.readers import MessageReader

if TYPE_CHECKING:
    from inbox.storage.store import MessageStore

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_QUERY_CHARS = 100
_RAW_ID = re.compile(r"[0-9a-f]{64}")
_UNENCODED_PLUS = re.compile(r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


class _ListingQuery(BaseModel):
    # Built when its route first validates a request, not at the cold start (issue 14).
    model_config = ConfigDict(extra="forbid", defer_build=True)

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, min_length=1, max_length=4096)
    since: datetime | None = None

    @field_validator("since", mode="before")
    @classmethod
    def _since(cls, value: object) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("must be an ISO-8601 date or time, e.g. 2024-11-13T12:00:00Z")
        # An offset's "+" left unencoded in a URL arrives as a space: read it as the "+" it was.
        text = _UNENCODED_PLUS.sub(r"\1+\2", value.strip())
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("must be an ISO-8601 date or time, e.g. 2024-11-13T12:00:00Z") from None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class MessagesQuery(_ListingQuery):
    senderId: str | None = Field(None, min_length=1, max_length=256)
    q: str | None = Field(None, min_length=1, max_length=MAX_QUERY_CHARS)


class UnrecognizedQuery(_ListingQuery):
    pass


def list_messages(params: MessagesQuery, reader: MessageReader) -> Answer:
    if params.q is not None:
        return search_messages(params, reader)
    listing = "messages" if params.senderId is None else "sender"
    before = (
        decode_cursor(params.cursor, listing=listing, sender_id=params.senderId) if params.cursor else None
    )
    page = reader.messages(sender_id=params.senderId, since=params.since, limit=params.limit, before=before)
    next_cursor = (
        encode_cursor(listing, page.last_sort_key, sender_id=params.senderId) if page.last_sort_key else None
    )
    return Answer(
        200,
        {
            "messages": [message.to_json() for message in page.items],
            "count": len(page.items),
            "nextCursor": next_cursor,
        },
    )


def search_messages(params: MessagesQuery, reader: MessageReader) -> Answer:
    """``q``: a bounded search (see :mod:`inbox.operator.search` for why it never Scans)."""
    from inbox.operator import search  # a listing with q only

    q = params.q or ""
    if not search.terms(q):
        raise InvalidRequest("q: must hold a word to look for", field="q")
    cursor = params.cursor
    before = decode_cursor(cursor, listing=search.LISTING, sender_id=params.senderId) if cursor else None
    found = search.search(
        reader, q, sender_id=params.senderId, since=params.since, limit=params.limit, before=before
    )
    last = found.last_sort_key
    return Answer(
        200,
        {
            "messages": [message.to_json() for message in found.messages],
            "count": len(found.messages),
            "nextCursor": encode_cursor(search.LISTING, last, sender_id=params.senderId) if last else None,
            "search": {
                "q": q,
                "scanned": found.scanned,
                "window": search.SEARCH_WINDOW,
                "complete": last is None,
            },
        },
    )


def list_unrecognized(params: UnrecognizedQuery, reader: MessageReader) -> Answer:
    before = decode_cursor(params.cursor, listing="unrecognized") if params.cursor else None
    page = reader.kept_bodies(since=params.since, limit=params.limit, before=before)
    next_cursor = encode_cursor("unrecognized", page.last_sort_key) if page.last_sort_key else None
    return Answer(
        200,
        {
            "bodies": [body.to_json() for body in page.items],
            "count": len(page.items),
            "nextCursor": next_cursor,
        },
    )


def replay(raw_id: str, *, reader: MessageReader, store: MessageStore, settings: Settings) -> Answer:
    # The webhook's reading, normalizer and write path: this route's only.
    from inbox.normalize.dispatch import normalize
    from inbox.webhook import delivery
    from inbox.webhook.ingest import store_messages, store_reactions

    if not _RAW_ID.fullmatch(raw_id):
        raise InvalidRequest("id: must be the 64 hex characters of a kept body's id", field="id")
    kept = reader.kept_body(raw_id)
    if kept is None:
        raise NotFound(f"no kept body with id {raw_id} (it may have expired)")
    if kept.truncated:
        return _still_unrecognized(raw_id, "the kept body was cut to fit the table and cannot be replayed")
    try:
        parsed = delivery.parse_delivery(kept.raw, kept.mediaType)
    except RejectedDelivery as rejection:
        return _still_unrecognized(raw_id, rejection.reason)
    received_at = _arrival(kept.receivedAt)
    field_map, _ = read_field_map(settings)
    try:
        result = normalize(
            parsed.body, received_at=received_at, source="webhook", field_map=field_map or None
        )
    except DuplicateKey as exc:
        return _still_unrecognized(raw_id, exc.reason)
    if not result.recognized:
        return _still_unrecognized(raw_id, "no adapter and no field map entry recognizes this body")
    status, answered = store_messages(result.messages, store, replay=True)
    reactions = store_reactions(result.reactions, store)
    logger.info(
        "kept body replayed",
        extra={"rawId": raw_id, "format": result.format, "outcome": status, "messages": len(answered)},
    )
    extra = {"reactions": reactions} if reactions else {}
    return Answer(200, {"status": status, "messages": answered, **extra, "replayOf": raw_id})


def _still_unrecognized(raw_id: str, reason: str) -> Answer:
    logger.info("kept body replayed", extra={"rawId": raw_id, "outcome": "unrecognized", "reason": reason})
    return Answer(422, {"status": "unrecognized", "error": reason, "replayOf": raw_id})


def _arrival(stamp: str) -> datetime:
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
