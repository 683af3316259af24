"""One poll round: new Instagram messages from Chatrace's inbox API, at least once, never twice.

A **round** (:meth:`Poller.run_round`; an invocation runs several, :mod:`inbox.polling.invocation`):

1. lists conversations newest first, paging with ``offset`` until a page reaches the *floor*: the
   cursor minus an overlap window (:data:`OVERLAP_MS`) that is re-read every round, for
   conversations Chatrace stamps late or that move up the list while it is paged;
2. for each Instagram conversation (channel ``"10"``) changed since the floor, reads its messages
   (newest first, paged the same way), keeps inbound ones (``dir`` ``"1"``) newer than the floor,
   and stores each through the webhook's own write path (:meth:`MessageStore.write_message`), so
   a message both delivered and polled is stored once and keeps its first ``source``;
3. only when all of that is stored, moves the cursor to the newest conversation time it listed
   (never past its own clock: a bogus future time must not hide new messages).

**Catching up.** A round reads at most :data:`MAX_CONVERSATION_READS` conversations and must end
with its invocation. When more changed than that (a busy account after an outage) or the round
is cut short (a slow Chatrace), the cursor stays but the round's progress is kept as a
:class:`Backlog`: the floor and the range of conversation times already read down to it. The next
round keeps that floor, skips the conversations in the range (unchanged since they were read) and
reads on below it, until a round reaches the floor and moves the cursor. Without this, every round
would re-read the same newest conversations and never reach the older ones.

A message row that cannot be read is logged, counted and skipped: one bad message never blocks the
rest. Time and the invocation's remaining time come from a :class:`Clock`, so tests run many
rounds in no time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from inbox.errors import BadInboxRow, RefusedMessage, RoundOutOfTime
from inbox.normalize.timestamps import format_ms
from inbox.observability import MetricName, logger, poller_metrics, text_preview
from inbox.polling.inbox_client import (
    REQUEST_BUDGET_SECONDS,
    Conversation,
    InboxClient,
    conversation_of,
    message_of,
    to_normalized,
)
from inbox.polling.state import Backlog
from inbox.storage.fingerprints import TTL_DAYS
from inbox.storage.protocol import Store

OVERLAP_MS = 120_000
"""Each round re-reads conversations changed in the two minutes before the cursor."""
INITIAL_LOOKBACK_MS = 15 * 60_000
"""With no cursor yet (first run), a round starts this far back."""
MAX_LOOKBACK_MS = (TTL_DAYS - 1) * 86_400_000
"""A poller resuming after a longer outage starts this far back, not at its cursor: the content
fingerprints that recognize a message the webhook already stored (under a derived id) expire after
TTL_DAYS, so reading further back could store such a message twice."""
CONVERSATION_PAGE, MAX_CONVERSATION_PAGES = 30, 100
MAX_CONVERSATION_READS = 600
"""Conversations whose messages one round reads; the rest of a backlog waits for the next round."""
MESSAGE_PAGE, MAX_MESSAGE_PAGES = 100, 5
USERNAME_CACHE_SIZE = 10_000


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    def sleep(self, seconds: float) -> None: ...

    def remaining_seconds(self) -> float:
        """What is left of the invocation."""
        ...


class UsernameCache:
    """Instagram usernames by contact id, remembered for the container's life (bounded, LRU).

    The inbox API documents no contact lookup; a username comes only from fields of a conversation
    row (``username``, ``ig_username``, ...) when Chatrace fills them. It is kept the first time a
    row carries it, so the contact's later messages keep it even from rows that leave it out.
    """

    def __init__(self, size: int = USERNAME_CACHE_SIZE) -> None:
        self._names: OrderedDict[str, str] = OrderedDict()
        self._size = size

    def username(self, conversation: Conversation) -> str | None:
        if conversation.username is not None:
            self._names[conversation.contact_id] = conversation.username
            self._names.move_to_end(conversation.contact_id)
            while len(self._names) > self._size:
                self._names.popitem(last=False)
            return conversation.username
        return self._names.get(conversation.contact_id)


USERNAMES = UsernameCache()


@dataclass
class RoundResult:
    cursor_ms: int | None
    backlog: Backlog | None = None
    cut_short: bool = False
    conversations_listed: int = 0
    conversations_read: int = 0
    messages_read: int = 0
    stored: int = 0
    duplicates: int = 0
    unreadable: int = 0

    def to_log(self) -> dict[str, Any]:
        return {
            "conversationsListed": self.conversations_listed,
            "conversationsRead": self.conversations_read,
            "messagesRead": self.messages_read,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "unreadable": self.unreadable,
            "cursor": format_ms(self.cursor_ms) if self.cursor_ms is not None else None,
            "backlog": self.backlog.to_log() if self.backlog is not None else None,
        }


@dataclass
class _Listing:
    conversations: list[Conversation]
    complete: bool  # reached the floor or the end of the list
    newest: int | None
    oldest: int | None


class Poller:
    """One round at a time against one inbox client; see the module docstring."""

    def __init__(
        self,
        client: InboxClient,
        store: Store,
        *,
        clock: Clock,
        usernames: UsernameCache | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.clock = clock
        self.usernames = usernames if usernames is not None else USERNAMES

    def run_round(self, cursor_ms: int | None, backlog: Backlog | None = None) -> RoundResult:
        now_ms = int(self.clock.now() * 1000)
        if backlog is not None:
            floor = backlog.floor_ms
        else:
            floor = cursor_ms - OVERLAP_MS if cursor_ms is not None else now_ms - INITIAL_LOOKBACK_MS
        if cursor_ms is not None and floor < now_ms - MAX_LOOKBACK_MS:
            logger.warning(
                "poller cursor older than the duplicate check remembers; resuming from its limit",
                extra={"cursor": format_ms(cursor_ms), "resumeFrom": format_ms(now_ms - MAX_LOOKBACK_MS)},
            )
            floor, backlog = now_ms - MAX_LOOKBACK_MS, None
            cursor_ms = floor + OVERLAP_MS  # what lies below is deliberately left out, as on a first run
        result = RoundResult(cursor_ms=cursor_ms, backlog=backlog)
        listing = self._changed_conversations(floor, result)
        left: list[Conversation] = []
        for position, conversation in enumerate(listing.conversations):
            if backlog is not None and backlog.covers(conversation.timestamp_ms):
                continue
            if result.conversations_read >= MAX_CONVERSATION_READS:
                left = listing.conversations[position:]
                break
            try:
                self._read_conversation(conversation, floor, result)
            except RoundOutOfTime:
                result.cut_short = True
                left = listing.conversations[position:]
                break
        left = [c for c in left if backlog is None or not backlog.covers(c.timestamp_ms)]
        if not left and listing.complete:
            result.backlog = None
            if listing.newest is not None:
                # Everything up to the floor was already handled (or, on a first run, is deliberately
                # left out), so the cursor never goes below it.
                base = cursor_ms if cursor_ms is not None else floor
                result.cursor_ms = max(base, min(listing.newest, now_ms))
        else:
            result.backlog = _progress(backlog, floor, now_ms, left, listing)
        return result

    def _changed_conversations(self, floor: int, result: RoundResult) -> _Listing:
        """Instagram conversations changed since ``floor`` (once each, newest first)."""
        found: dict[str, Conversation] = {}
        listing = _Listing([], complete=True, newest=None, oldest=None)
        for page in range(MAX_CONVERSATION_PAGES):
            rows = self._request(
                self.client.conversations, offset=page * CONVERSATION_PAGE, limit=CONVERSATION_PAGE
            )
            result.conversations_listed += len(rows)
            times = []
            for conversation in filter(None, map(conversation_of, rows)):
                stamp = conversation.timestamp_ms
                if stamp is not None:
                    times.append(stamp)
                    listing.newest = stamp if listing.newest is None else max(listing.newest, stamp)
                    listing.oldest = stamp if listing.oldest is None else min(listing.oldest, stamp)
                if (stamp is None or stamp > floor) and conversation.is_instagram:
                    found.setdefault(conversation.contact_id, conversation)
            if len(rows) < CONVERSATION_PAGE or (times and min(times) <= floor):
                break
        else:
            logger.warning(
                "catching up: more changed conversations than a round lists; the next round goes on",
                extra={"pages": MAX_CONVERSATION_PAGES},
            )
            listing.complete = False
        listing.conversations = list(found.values())
        return listing

    def _read_conversation(self, conversation: Conversation, floor: int, result: RoundResult) -> None:
        result.conversations_read += 1
        username = self.usernames.username(conversation)
        for page in range(MAX_MESSAGE_PAGES):
            rows = self._request(
                self.client.messages, conversation.contact_id, offset=page * MESSAGE_PAGE, limit=MESSAGE_PAGE
            )
            oldest: int | None = None
            for row in rows:
                stamp = self._store_row(conversation, row, floor, username, result)
                if stamp is not None:
                    oldest = stamp if oldest is None else min(oldest, stamp)
            if len(rows) < MESSAGE_PAGE or (oldest is not None and oldest <= floor):
                return

    def _store_row(
        self, conversation: Conversation, row: object, floor: int, username: str | None, result: RoundResult
    ) -> int | None:
        """Store one inbound row newer than the floor; returns its time (None if unknown or unreadable)."""
        try:
            message = message_of(row)
            if not message.inbound or (message.timestamp_ms is not None and message.timestamp_ms <= floor):
                return message.timestamp_ms
            normalized = to_normalized(
                conversation,
                message,
                username=username,
                received_at=datetime.fromtimestamp(self.clock.now(), UTC),
            )
        except BadInboxRow as exc:
            result.unreadable += 1
            poller_metrics.add_metric(name=MetricName.UNREADABLE_POLLED_MESSAGES, unit="Count", value=1)
            logger.warning(
                "unreadable inbox message skipped",
                extra={"senderId": conversation.contact_id, "messageId": _row_id(row), "reason": str(exc)},
            )
            return None
        result.messages_read += 1
        if normalized is None:  # nothing in it (no text, no attachment)
            return message.timestamp_ms
        try:
            written = self.store.write_message(normalized)
        except RefusedMessage as exc:  # can never be stored: skipped like an unreadable row, never retried
            result.unreadable += 1
            poller_metrics.add_metric(name=MetricName.UNREADABLE_POLLED_MESSAGES, unit="Count", value=1)
            logger.warning(
                "inbox message refused",
                extra={
                    "senderId": conversation.contact_id[:100],
                    "messageId": _row_id(row),
                    "reason": exc.reason,
                },
            )
            return None
        if written.outcome == "stored":
            result.stored += 1
            if message.timestamp_ms is not None:
                lag = max(0.0, self.clock.now() - message.timestamp_ms / 1000)
                poller_metrics.add_metric(name=MetricName.POLL_LAG, unit="Seconds", value=round(lag, 3))
        else:
            result.duplicates += 1
        logger.info(
            "message " + written.outcome,
            extra={
                "senderId": normalized.senderId,
                "messageId": normalized.messageId,
                "username": normalized.username,
                "textPreview": text_preview(normalized.text),
                "attachments": len(normalized.attachments),
                "source": normalized.source,
                "outcome": written.outcome,
                "duplicateOf": written.duplicate_of,
                "matchedOn": written.matched_on,
            },
        )
        return message.timestamp_ms

    def _request(self, call: Callable[..., list[object]], *args: Any, **kwargs: Any) -> list[object]:
        if self.clock.remaining_seconds() < REQUEST_BUDGET_SECONDS:
            raise RoundOutOfTime("too little time left in this invocation for another request")
        return call(*args, **kwargs)


def _progress(
    backlog: Backlog | None, floor: int, now_ms: int, left: list[Conversation], listing: _Listing
) -> Backlog | None:
    """What an unfinished round leaves for the next: every conversation changed after the newest
    one it did not read (and, when it did not list them all, after the oldest it listed) is done."""
    bounds = [c.timestamp_ms for c in left]
    if not listing.complete:
        bounds.append(listing.oldest)
    if any(bound is None for bound in bounds):
        return backlog  # a conversation without a time: no range can be vouched for
    done_from = max((b for b in bounds if b is not None), default=floor) + 1
    # Up to the round's start, less the overlap: a conversation Chatrace stamps late is read again.
    done_to = now_ms - OVERLAP_MS
    if done_from > done_to:
        return backlog  # nothing read that the range could hold
    if backlog is not None and backlog.done_from_ms <= done_from:
        return backlog  # the earlier range reaches further down
    return Backlog(floor_ms=floor, done_from_ms=done_from, done_to_ms=done_to)


def _row_id(row: object) -> str | None:
    return str(row.get("id"))[:100] if isinstance(row, dict) and row.get("id") is not None else None
