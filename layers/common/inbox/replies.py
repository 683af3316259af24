"""`POST /instagram/conversations/{senderId}/reply` ``{"text"}``: an operator's answer, sent through Chatrace.

Order of checks, so nothing is sent that should not be: the text (400: empty or over
:data:`MAX_TEXT_CHARS`), the ``Idempotency-Key`` (400 if malformed), the Chatrace token (503 when not
set), the conversation (404 when nobody by that id ever wrote) and Instagram's 24-hour window
(409 when closed, with its end). Then the reply is *claimed*: stored through the one write path
as an outbound message with status ``sending`` (by id: ``reply:<sha256(senderId, key)>`` with a
key, a random one without). Only the request that stored it — or that moved a ``failed`` one back
to ``sending`` with a conditional update — calls Chatrace, so a retried reply with the same key is
sent once, also when the two requests race; a ``sent`` one is answered again (200, ``replayed``),
one still ``sending`` is a 409 (a ``sending`` left by a crashed invocation is taken over after
:data:`STALE_SENDING`). The outcome is stored honestly: ``sent`` only when Chatrace accepted it,
``failed`` with Chatrace's reason otherwise — and a failed one retried with its key really is sent
again. Chatrace refusing (4xx, or HTTP 200 with ``{"error"}``) → 502 with its message; no answer
in time → 504 (the reply is stored ``failed``: it may still have gone out, as the message says).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from inbox import chatrace_api
from inbox.conversations import ConversationReader
from inbox.errors import InvalidRequest, MissingSecret, NotFound, StoreUnavailable
from inbox.http import Answer
from inbox.models import NormalizedMessage, ReplyStatus
from inbox.normalize.timestamps import datetime_to_ms
from inbox.observability import MetricName, logger, metrics
from inbox.outbound import AllowedHosts, OutboundRefused, contact_segment
from inbox.settings import (
    CHATRACE_API_URL,
    CHATRACE_REPLY_CHANNEL,
    CHATRACE_TOKEN,
    DEFAULT_CHATRACE_API_URL,
    DEFAULT_REPLY_CHANNEL,
    Settings,
)
from inbox.store import REPLY_ID_PREFIX, MessageStore, message_key, sort_stamp
from inbox.validation import validated

MAX_TEXT_CHARS = 1000
"""Instagram's limit for one text message."""
STALE_SENDING = timedelta(seconds=60)
_KEY = re.compile(r"[\x21-\x7e]{1,255}")


class ReplyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TEXT_CHARS)


def reply(
    sender_id: str,
    body: Mapping[str, object],
    headers: Mapping[str, str],
    *,
    store: MessageStore,
    reader: ConversationReader,
    settings: Settings,
    allowed: AllowedHosts,
    now: datetime,
    transport: httpx.BaseTransport | None = None,
) -> Answer:
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
    if key is not None:  # a retry of a reply already sent is answered again, even once the window closed
        earlier = reader.message(message_id)
        if earlier is not None and earlier.status == "sent" and earlier.text == text:
            return Answer(200, {"reply": earlier.to_json(), "replayed": True})
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
        chatrace_api.send_text(
            api_url=api_url,
            allowed=allowed,
            token=token,
            contact_id=sender_id,
            text=message.text or text,
            channel=channel,
            transport=transport,
        )
    except chatrace_api.SendFailed as failure:
        failed = _finish(store, message, "failed", failure.reason)
        status = 504 if isinstance(failure, chatrace_api.SendTimedOut) else 502
        metrics.add_metric(name=MetricName.REPLIES_FAILED, unit="Count", value=1)
        logger.warning(
            "reply failed",
            extra={
                "senderId": sender_id,
                "messageId": message_id,
                "reason": failure.reason,
                "status": status,
            },
        )
        return Answer(status, {"error": f"Chatrace: {failure.reason}", "reply": failed.to_json()})
    sent = _finish(store, message, "sent", None)
    metrics.add_metric(name=MetricName.REPLIES_SENT, unit="Count", value=1)
    logger.info("reply sent", extra={"senderId": sender_id, "messageId": message_id})
    return Answer(201, {"reply": sent.to_json(), "replayed": False})


def _reply_id(sender_id: str, key: str | None) -> str:
    if key is None:
        return f"{REPLY_ID_PREFIX}{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{sender_id}\x00{key}".encode()).hexdigest()
    return f"{REPLY_ID_PREFIX}{digest[:40]}"


def _reclaim(
    message_id: str, text: str, *, store: MessageStore, reader: ConversationReader, now: datetime
) -> NormalizedMessage | Answer:
    """A reply with this key exists: answer it again, or take it back to ``sending`` to retry."""
    existing = reader.message(message_id)
    if existing is None:  # stored and gone again: nothing sensible to do but ask for a retry
        raise StoreUnavailable("the reply record vanished", code="ReplyVanished")
    if existing.text != text:
        return Answer(
            409, {"error": "this Idempotency-Key was used for another text", "reply": existing.to_json()}
        )
    if existing.status == "sent":
        return Answer(200, {"reply": existing.to_json(), "replayed": True})
    attempt = existing.receivedAt
    stale = _older_than(attempt, now - STALE_SENDING)
    if existing.status == "sending" and not stale:
        return Answer(
            409, {"error": "a reply with this Idempotency-Key is being sent", "reply": existing.to_json()}
        )
    stamp = sort_stamp(datetime_to_ms(now))
    if not _retake(store, message_id, expected=existing.status, attempt=attempt, stamp=stamp):
        return Answer(
            409, {"error": "a reply with this Idempotency-Key is being sent", "reply": existing.to_json()}
        )
    return NormalizedMessage(
        messageId=message_id,
        senderId=existing.senderId,
        text=existing.text,
        timestamp=existing.timestamp,
        source="operator",
        format="reply",
        receivedAt=stamp,
        direction="outbound",
        status="sending",
    )


def _retake(store: MessageStore, message_id: str, *, expected: str | None, attempt: str, stamp: str) -> bool:
    """``failed`` (or a stale ``sending``) → ``sending``, only if nobody else did it first."""
    return _update(
        store,
        message_id,
        "SET #status = :sending, receivedAt = :now REMOVE #error",
        "#status = :expected AND receivedAt = :attempt",
        {
            ":sending": {"S": "sending"},
            ":now": {"S": stamp},
            ":expected": {"S": expected or ""},
            ":attempt": {"S": attempt},
        },
    )


def _finish(
    store: MessageStore, message: NormalizedMessage, status: ReplyStatus, error: str | None
) -> NormalizedMessage:
    values: dict[str, Any] = {":status": {"S": status}}
    expression = "SET #status = :status"
    if error is None:
        expression += " REMOVE #error"
    else:
        expression += ", #error = :error"
        values[":error"] = {"S": error}
    _update(store, message.messageId, expression, "attribute_exists(pk)", values)
    done = dataclasses.replace(message, status=status, error=error)
    store.touch_conversation(done, answered=status == "sent")
    return done


def _update(
    store: MessageStore, message_id: str, expression: str, condition: str, values: dict[str, Any]
) -> bool:
    names = {"#status": "status", "#error": "error"}
    return store.update_if(message_key(message_id), expression, condition, values, names)


def _older_than(stamp: str, moment: datetime) -> bool:
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return True
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)) < moment
