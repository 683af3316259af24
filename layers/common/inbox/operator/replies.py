"""`POST /instagram/conversations/{senderId}/reply` ``{"text"}``: an operator's answer, sent through Chatrace.

Order of checks, so nothing is sent that should not be: the text (400: empty or over
:data:`MAX_TEXT_CHARS`), the contact id and the ``Idempotency-Key`` (400 if malformed), the Chatrace
token (503 when not set), the API URL (503 when off the allow-list), the conversation (404 when
nobody by that id ever wrote) and Instagram's 24-hour window (409 when closed, with its end). Then
the reply is *claimed*: stored through the one write path as an outbound message with status
``sending`` (by id: ``reply:<sha256(senderId, key)>`` with a key, a random one without). Only the
request that stored it — or that moved a ``failed`` one back to ``sending`` with a conditional
update — calls Chatrace, so a retried reply with the same key is sent once, also when two requests
race.

A reply is sent **at most once**. Its outcome is stored as what is known of it:

- ``sent`` — Chatrace accepted it (201); a retry with its key answers it again (200, ``replayed``);
- ``failed`` — it cannot have gone out: Chatrace refused it (4xx or an error in a 200 body) or no
  connection was made (502); a retry with its key really sends it again;
- ``unknown`` — the request was written but no usable answer came: a timeout (504), the connection
  lost, a 5xx, the invocation about to end (502). It may have reached the customer, so a retry with
  its key answers it again (409, ``replayed``) and never sends; only a new key sends again. A
  ``sending`` older than :data:`inbox.models.STALE_SENDING` (its invocation died mid-send) reads as
  ``unknown`` everywhere, and is never taken over (only a ``failed`` one is).

The client timeout is cut to what is left of the invocation minus :data:`RECORD_SECONDS`, so the
outcome is always recorded before Lambda ends it; with less than :data:`MIN_SEND_SECONDS` to
spare nothing is sent (503). When the outcome cannot be written (DynamoDB failing on that last
write) the answer still says what happened — 201 for a sent reply — and the write is kept in
:class:`PendingOutcomes`, retried at the start of this container's next request; until then the
record says ``sending`` (a retry with the key: 409), and if the container is gone it reads as
``unknown``: never a second send.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from datetime import datetime

import httpx
from pydantic import BaseModel, ConfigDict, Field

from inbox.errors import (
    InvalidRequest,
    MissingSecret,
    NotFound,
    OutboundRefused,
    SendFailed,
    SendUnknown,
    StoreUnavailable,
)
from inbox.http import Answer, unavailable
from inbox.models import NormalizedMessage, ReplyStatus
from inbox.normalize.timestamps import datetime_to_ms
from inbox.observability import MetricName, logger, metrics
from inbox.operator import chatrace_client
from inbox.operator.conversations import ConversationReader
from inbox.outbound import AllowedHosts, contact_segment
from inbox.settings import (
    CHATRACE_API_URL,
    CHATRACE_REPLY_CHANNEL,
    CHATRACE_TOKEN,
    DEFAULT_CHATRACE_API_URL,
    DEFAULT_REPLY_CHANNEL,
    Settings,
)
from inbox.storage.protocol import Store
from inbox.storage.table import REPLY_ID_PREFIX, sort_stamp
from inbox.validation import validated

MAX_TEXT_CHARS = 1000
"""Instagram's limit for one text message."""
RECORD_SECONDS = 2.0
"""What is kept of the invocation's time to store the outcome after Chatrace answered (or not)."""
MIN_SEND_SECONDS = 1.0
_KEY = re.compile(r"[\x21-\x7e]{1,255}")


class ReplyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TEXT_CHARS)


def reply(
    sender_id: str,
    body: Mapping[str, object],
    headers: Mapping[str, str],
    *,
    store: Store,
    reader: ConversationReader,
    settings: Settings,
    allowed: AllowedHosts,
    now: datetime,
    pending: PendingOutcomes,
    remaining_seconds: float | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Answer:
    """``remaining_seconds``: what is left of the invocation (None: no limit but the default timeout)."""
    text = validated(ReplyBody, body).text
    if not text.strip():
        raise InvalidRequest("text: must not be empty", field="text")
    try:
        contact_segment(sender_id)
    except OutboundRefused as refused:
        raise InvalidRequest(f"senderId: {refused.rule}", field="senderId") from None
    key = headers.get("idempotency-key")
    if key is not None and not _KEY.fullmatch(key):
        raise InvalidRequest("Idempotency-Key: 1 to 255 visible ASCII characters", field="Idempotency-Key")
    token = settings.get(CHATRACE_TOKEN)
    if token is None:
        raise MissingSecret(CHATRACE_TOKEN)
    api_url = settings.get(CHATRACE_API_URL) or DEFAULT_CHATRACE_API_URL
    try:  # a URL stored before the allow-list, or straight into SSM: refused before anything is stored
        allowed.check(api_url)
    except OutboundRefused as refused:
        logger.error(
            f"reply refused: {CHATRACE_API_URL} is not an allowed Chatrace URL ({refused.rule})",
            extra={"setting": CHATRACE_API_URL, "rule": refused.rule},
        )
        return Answer(
            503,
            {
                "error": f"not configured: the stored Chatrace API URL is refused ({refused.rule}); "
                "set apiUrl with PUT /instagram/config"
            },
        )
    message_id = _reply_id(sender_id, key)
    if key is not None:  # a retry of a settled reply is answered again, even once the window closed
        earlier = reader.message(message_id)
        if earlier is not None and earlier.status != "failed":
            settled = _settled(earlier, text)
            if settled is not None:
                return settled
    conversation = reader.conversation(sender_id)
    if conversation is None:
        raise NotFound(f"no conversation with {sender_id}")
    if not conversation.window_open(now):
        return Answer(
            409,
            {
                "error": "outside Instagram's 24-hour reply window: the customer's last message is "
                "more than 24 hours old (Meta refuses the message)",
                "replyWindow": conversation.reply_window(now),
            },
        )

    timeout = chatrace_client.DEFAULT_TIMEOUT
    if remaining_seconds is not None:
        budget = remaining_seconds - RECORD_SECONDS
        if budget < MIN_SEND_SECONDS:
            return unavailable("too little time left in this invocation to send a reply and record it")
        timeout = chatrace_client.timeout_within(budget)

    stamp = sort_stamp(datetime_to_ms(now))
    message = NormalizedMessage(
        messageId=message_id,
        senderId=sender_id,
        text=text,
        timestamp=stamp,
        source="operator",
        format="reply",
        receivedAt=stamp,
        direction="outbound",
        status="sending",
    )
    if store.write_message(message).outcome == "duplicate":
        claimed = _reclaim(message_id, text, store=store, reader=reader, now=now)
        if isinstance(claimed, Answer):
            return claimed
        message = claimed

    channel = settings.get(CHATRACE_REPLY_CHANNEL) or DEFAULT_REPLY_CHANNEL
    try:
        chatrace_client.send_text(
            api_url=api_url,
            allowed=allowed,
            token=token,
            contact_id=sender_id,
            text=message.text or text,
            channel=channel,
            timeout=timeout,
            transport=transport,
        )
    except SendFailed as failure:
        known = not isinstance(failure, SendUnknown)
        outcome: ReplyStatus = "failed" if known else "unknown"
        done = pending.record(store, message, outcome, failure.reason)
        timed_out = isinstance(failure, SendUnknown) and failure.timed_out
        status = 504 if timed_out else 502
        metrics.add_metric(
            name=MetricName.REPLIES_FAILED if known else MetricName.REPLIES_UNKNOWN, unit="Count", value=1
        )
        logger.warning(
            "reply failed" if known else "reply outcome unknown",
            extra={
                "senderId": sender_id,
                "messageId": message_id,
                "reason": failure.reason,
                "status": status,
            },
        )
        error = f"Chatrace: {failure.reason}"
        if not known:
            error += f"; {UNKNOWN_ADVICE}"
        return Answer(status, {"error": error, "reply": done.to_json()})
    sent = pending.record(store, message, "sent", None)
    metrics.add_metric(name=MetricName.REPLIES_SENT, unit="Count", value=1)
    logger.info("reply sent", extra={"senderId": sender_id, "messageId": message_id})
    return Answer(201, {"reply": sent.to_json(), "replayed": False})


UNKNOWN_ADVICE = (
    "the reply may have reached the customer: check the conversation in Instagram, and send it again "
    "with a new Idempotency-Key only if it did not arrive"
)


class PendingOutcomes:
    """Outcomes this container could not write yet (DynamoDB failing on the last write).

    One per container (the operator API holds it): :meth:`complete` retries them at the start of
    every request. Lost with the container, which leaves the record ``sending`` and so, once stale,
    ``unknown`` — the safe side: never sent twice.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, tuple[NormalizedMessage, ReplyStatus, str | None]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def record(
        self, store: Store, message: NormalizedMessage, status: ReplyStatus, error: str | None
    ) -> NormalizedMessage:
        """The reply with its outcome; stored now, or kept to be stored later (one ERROR line)."""
        done = message._replace(status=status, error=error)
        try:
            store.record_reply_outcome(done)
        except StoreUnavailable as exc:
            self._waiting[message.messageId] = (message, status, error)
            logger.error(
                "reply outcome not recorded; retried with the next request",
                extra={"messageId": message.messageId, "outcome": status, "reason": str(exc)},
            )
        return done

    def complete(self, store: Store) -> None:
        for message_id, (message, status, error) in list(self._waiting.items()):
            try:
                store.record_reply_outcome(message._replace(status=status, error=error))
            except StoreUnavailable:
                return  # still failing: the next request tries again
            del self._waiting[message_id]
            logger.info("reply outcome recorded", extra={"messageId": message_id, "outcome": status})


def _reply_id(sender_id: str, key: str | None) -> str:
    if key is None:
        return f"{REPLY_ID_PREFIX}{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{sender_id}\x00{key}".encode()).hexdigest()
    return f"{REPLY_ID_PREFIX}{digest[:40]}"


def _reclaim(
    message_id: str, text: str, *, store: Store, reader: ConversationReader, now: datetime
) -> NormalizedMessage | Answer:
    """A reply with this key exists: answer it again, or take a ``failed`` one back to ``sending``."""
    existing = reader.message(message_id)
    if existing is None:  # stored and gone again: nothing sensible to do but ask for a retry
        raise StoreUnavailable("the reply record vanished", code="ReplyVanished")
    settled = _settled(existing, text)
    if settled is not None:
        return settled
    stamp = sort_stamp(datetime_to_ms(now))
    if not store.retake_reply(message_id, attempt=existing.receivedAt, stamp=stamp):
        return Answer(
            409, {"error": "a reply with this Idempotency-Key is being sent", "reply": existing.to_json()}
        )
    return existing._replace(receivedAt=stamp, status="sending", error=None)


def _settled(existing: NormalizedMessage, text: str) -> Answer | None:
    """The answer to a retry of this reply, or None when it is ``failed`` (and so may be sent again)."""
    if existing.text != text:
        return Answer(
            409, {"error": "this Idempotency-Key was used for another text", "reply": existing.to_json()}
        )
    if existing.status == "sent":
        return Answer(200, {"reply": existing.to_json(), "replayed": True})
    if existing.status == "sending":
        return Answer(
            409, {"error": "a reply with this Idempotency-Key is being sent", "reply": existing.to_json()}
        )
    if existing.status == "unknown":  # no usable answer, or cut off mid-send: never sent again
        return Answer(
            409,
            {
                "error": f"the outcome of this reply is unknown: {UNKNOWN_ADVICE}",
                "reply": existing.to_json(),
                "replayed": True,
            },
        )
    return None
