"""One webhook delivery, end to end: authenticate, parse, normalize, store, answer.

Answers follow the public contract: 200 stored/duplicate/ignored with the messages, 202 when no
adapter recognized the body (kept whole), 400/415 for bodies that cannot be read (kept, with the
reason), 401 for failed checks, 413 for oversized bodies, 503 with Retry-After when settings or
DynamoDB are unavailable — so a sender retries and nothing is acknowledged that was not stored —
and 503 without Retry-After while no webhook check is configured (webhook_auth.NOT_CONFIGURED).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from inbox.errors import (
    DuplicateKey,
    MissingSecret,
    RefusedMessage,
    RejectedDelivery,
    SettingsUnavailable,
    StoreUnavailable,
)
from inbox.http import Answer, error_answer
from inbox.models import NormalizedMessage, Reaction
from inbox.normalize.dispatch import normalize
from inbox.observability import MetricName, count_rejected_delivery, logger, metrics, text_preview
from inbox.settings import (
    META_APP_SECRET,
    META_VERIFY_TOKEN,
    WEBHOOK_READS,
    WEBHOOK_SECRET,
    FunctionEnvironment,
    Settings,
    load_settings,
    read_field_map,
)
from inbox.storage.protocol import Store
from inbox.webhook import auth as webhook_auth
from inbox.webhook import delivery

MAX_MESSAGES = 100
"""The most messages one delivery may carry (413 above, kept). Each is one DynamoDB transaction or
more; 100 stay well inside the webhook's 10 s even when DynamoDB is slow (Meta batches a handful)."""


class WebhookRequest(NamedTuple):
    """What the webhook needs of an API Gateway HTTP API event (headers lower-cased)."""

    body: str | None
    is_base64: bool
    headers: Mapping[str, str]
    query: Mapping[str, str]
    request_id: str | None = None


def receive_delivery(
    request: WebhookRequest, *, store: Store, env: FunctionEnvironment, now: datetime
) -> Answer:
    raw = b""
    media_type = delivery.media_type_of(request.headers.get("content-type"))
    try:
        raw = delivery.raw_bytes(request.body, is_base64=request.is_base64)
        if len(raw) > env.max_body_bytes:
            raise RejectedDelivery(413, f"body is {len(raw)} bytes; the limit is {env.max_body_bytes}")
        settings = load_settings(env, WEBHOOK_READS)
        auth = webhook_auth.authenticate(
            raw,
            request.headers,
            request.query,
            webhook_secret=settings.get(WEBHOOK_SECRET),
            meta_app_secret=settings.get(META_APP_SECRET),
            allow_unauthenticated=env.allow_unauthenticated_webhook,
        )
        parsed = delivery.parse_delivery(raw, request.headers.get("content-type"))
        return _store_delivery(parsed, auth, settings, store=store, env=env, now=now, request=request)
    except RejectedDelivery as rejection:
        return _reject(rejection, raw, media_type, store=store, env=env, now=now, request=request)
    except (SettingsUnavailable, StoreUnavailable) as exc:
        logger.error("delivery not taken: dependency unavailable", extra={"reason": str(exc)})
        metrics.add_metric(name=MetricName.STORE_ERRORS, unit="Count", value=1)
        return error_answer(exc)


def answer_handshake(query: Mapping[str, str], *, env: FunctionEnvironment) -> Answer:
    try:
        token = load_settings(env, WEBHOOK_READS).get(META_VERIFY_TOKEN)
        if token is None:
            logger.warning(f"Meta handshake refused: {MissingSecret(META_VERIFY_TOKEN)} (see make secrets)")
        challenge = webhook_auth.meta_handshake(query, verify_token=token)
    except RejectedDelivery as rejection:
        logger.info("Meta handshake refused", extra={"mode": query.get("hub.mode")})
        return error_answer(rejection)
    except SettingsUnavailable as exc:
        return error_answer(exc)
    logger.info("Meta handshake answered")
    return Answer(200, challenge, {"Content-Type": "text/plain; charset=utf-8"})


def _store_delivery(
    parsed: delivery.Delivery,
    auth: webhook_auth.AuthMethod,
    settings: Settings,
    *,
    store: Store,
    env: FunctionEnvironment,
    now: datetime,
    request: WebhookRequest,
) -> Answer:
    field_map, problem = read_field_map(settings)
    if problem:
        logger.warning(problem)
    try:
        result = normalize(parsed.body, received_at=now, source="webhook", field_map=field_map or None)
    except DuplicateKey as exc:  # in JSON encoded twice: refused like the body's own keys
        raise RejectedDelivery(400, exc.reason, keep_raw=True) from exc
    # The delivery's own fields ride on each message's line (one line per stored message); the
    # body's keys are logged only when no message line says what the body was (unrecognized, ignored).
    delivery_fields: dict[str, object] = {
        "mediaType": parsed.media_type,
        "size": len(parsed.raw),
        "format": result.format,
        "auth": auth,
    }
    delivery_log = {**delivery_fields, "topLevelKeys": _top_level_keys(parsed.body)}

    def keep(reason: str, *, unrecognized: bool = True) -> None:
        store.keep_raw(
            parsed.raw,
            reason=reason,
            media_type=parsed.media_type,
            received_at=now,
            ttl_days=env.unrecognized_ttl_days,
            request_id=request.request_id,
        )
        if unrecognized:
            metrics.add_metric(name=MetricName.UNRECOGNIZED_BODIES, unit="Count", value=1)

    if not result.recognized:
        keep("unrecognized")
        logger.warning("delivery received", extra={**delivery_log, "outcome": "unrecognized"})
        return Answer(202, {"status": "unrecognized"})
    if len(result.messages) > MAX_MESSAGES:
        too_many = f"delivery carries {len(result.messages)} messages; the limit is {MAX_MESSAGES}"
        raise RejectedDelivery(413, too_many, keep_raw=True)
    if len(result.reactions) > MAX_MESSAGES:
        too_many = f"delivery carries {len(result.reactions)} reactions; the limit is {MAX_MESSAGES}"
        raise RejectedDelivery(413, too_many, keep_raw=True)

    status, answered = store_messages(result.messages, store, **delivery_fields)
    refused = [item["error"] for item in answered if item["status"] == "rejected"]
    if status == "rejected":  # nothing in it could be stored: the sender learns why
        raise RejectedDelivery(400, refused[0], keep_raw=True)
    if refused:  # the good messages are stored; the body is kept so the operator sees the rest
        keep(f"{len(refused)} of {len(answered)} messages refused: {refused[0]}", unrecognized=False)
    if result.unrecognizedParts:
        keep("partly unrecognized")
    reactions = store_reactions(result.reactions, store)
    if any(item["status"] == "unknown message" for item in reactions):
        keep("reaction to a message not stored (yet): replay it once the message is in", unrecognized=False)
    if status == "ignored":
        metrics.add_metric(name=MetricName.IGNORED_DELIVERIES, unit="Count", value=1)
        logger.info("delivery received", extra={**delivery_log, "outcome": status, "messages": 0})
    return Answer(
        200, {"status": status, "messages": answered, **({"reactions": reactions} if reactions else {})}
    )


def store_messages(
    messages: Sequence[NormalizedMessage], store: Store, **log_fields: object
) -> tuple[str, list[dict[str, Any]]]:
    """Store each message through the one write path; the overall status and each message's answer.

    A message the store refuses is answered ``rejected`` with its ``error`` and never stops the
    others. Shared by the webhook and the replay of kept bodies, so both log and count alike;
    ``log_fields`` (the delivery's fields) go on each message's one line.
    """
    answered = [_store_message(message, store, log_fields) for message in messages]
    return _overall_status([item["status"] for item in answered]), answered


def store_reactions(reactions: Sequence[Reaction], store: Store) -> list[dict[str, Any]]:
    """Keep each reaction on its message (``store.keep_reaction``); each one's answer with its outcome.

    Shared by the webhook and the replay: a reaction to a message not (yet) stored is answered
    ``unknown message``, and the webhook keeps the body so it can be replayed once the message is in.
    """
    answered = []
    for reaction in reactions:
        outcome = store.keep_reaction(reaction)
        logger.info(
            "reaction " + outcome,
            extra={"senderId": reaction.senderId, "messageId": reaction.messageId, "action": reaction.action},
        )
        answered.append({**reaction.to_json(), "status": outcome})
    return answered


def _store_message(message: NormalizedMessage, store: Store, log_fields: dict[str, object]) -> dict[str, Any]:
    try:
        outcome = store.put_message(message)
    except RefusedMessage as refusal:
        logger.warning(
            "message rejected",
            extra={
                "senderId": message.senderId[:_LOGGED_ID_CHARS],
                "messageId": message.messageId[:_LOGGED_ID_CHARS],
                "reason": refusal.reason,
                **log_fields,
            },
        )
        return {**message.to_json(), "status": "rejected", "error": refusal.reason}
    metrics.add_metric(
        name=MetricName.MESSAGES_STORED if outcome == "stored" else MetricName.DUPLICATES,
        unit="Count",
        value=1,
    )
    logger.info(
        "message " + outcome,
        extra={
            "senderId": message.senderId,
            "messageId": message.messageId,
            "username": message.username,
            "textPreview": text_preview(message.text),
            "attachments": len(message.attachments),
            "outcome": outcome,
            **log_fields,
        },
    )
    return {**message.to_json(), "status": outcome}


_LOGGED_ID_CHARS = 128  # a refused id may be kilobytes long: the log line keeps its start


def _overall_status(statuses: Sequence[str]) -> str:
    """``stored`` if anything was, else ``duplicate``; ``rejected`` only when every message was."""
    if "stored" in statuses:
        return "stored"
    if "duplicate" in statuses:
        return "duplicate"
    return "rejected" if statuses else "ignored"


def _reject(
    rejection: RejectedDelivery,
    raw: bytes,
    media_type: str,
    *,
    store: Store,
    env: FunctionEnvironment,
    now: datetime,
    request: WebhookRequest,
) -> Answer:
    count_rejected_delivery(rejection.status_code)
    logger.warning(
        "delivery rejected",
        extra={
            "status": rejection.status_code,
            "reason": rejection.reason,
            "mediaType": media_type,
            "size": len(raw),
        },
    )
    if rejection.keep_raw and raw:
        try:
            store.keep_raw(
                raw,
                reason=rejection.reason,
                media_type=media_type,
                received_at=now,
                ttl_days=env.unrecognized_ttl_days,
                request_id=request.request_id,
            )
        except StoreUnavailable as exc:
            # The sender gets the 400 either way (a retry cannot fix the body); the log keeps the trace.
            logger.error("could not keep a rejected body", extra={"reason": str(exc)})
    return error_answer(rejection)


def _top_level_keys(body: object) -> list[str] | str:
    if isinstance(body, dict):
        return [str(key)[:40] for key in list(body)[:20]]
    return type(body).__name__
