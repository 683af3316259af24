"""HTTP glue shared by the functions' resolvers: JSON bodies, and the one map from the package's
exceptions to HTTP answers (:func:`error_answer`) with the last-resort answer for a bug."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError

from inbox.errors import (
    InboxError,
    InvalidRequest,
    MissingSecret,
    NotFound,
    RejectedDelivery,
    SettingsUnavailable,
    StoreUnavailable,
    TooManyAttempts,
    Unauthorized,
    UnusableSecret,
)
from inbox.observability import logger


class Answer(NamedTuple):
    """What a route answers, independent of the resolver: status, JSON (or plain text) and headers."""

    status_code: int
    body: dict[str, Any] | str
    headers: Mapping[str, str] = MappingProxyType({})


RETRY_AFTER_SECONDS = "5"

# On every answer (webhook, operator API, errors, the resolver's own 404/405): a browser must never
# sniff a JSON body or a Meta challenge (both can echo what a caller sent) into HTML or script.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}


def unavailable(reason: str) -> Answer:
    """503 for a dependency that failed (DynamoDB, Parameter Store): the caller should retry."""
    return Answer(
        503,
        {"error": "temporarily unavailable, retry later", "detail": reason},
        {"Retry-After": RETRY_AFTER_SECONDS},
    )


ANSWERED: tuple[type[InboxError], ...] = (
    RejectedDelivery,
    InvalidRequest,
    Unauthorized,
    NotFound,
    TooManyAttempts,
    MissingSecret,
    UnusableSecret,
    SettingsUnavailable,
    StoreUnavailable,
)
"""The exceptions that are answers; any other reaching a resolver is a bug (500, logged with its stack)."""


def error_answer(exc: InboxError) -> Answer:
    """The answer for one of the package's exceptions, for every function (webhook and operator API).

    | exception | answer |
    |---|---|
    | ``RejectedDelivery`` | its own status ``{"error"}`` (the webhook: 400, 401, 413, 415, 503) |
    | ``InvalidRequest`` (and ``RefusedMessage``) | 400 ``{"error", "field"}`` |
    | ``Unauthorized`` | 401 ``{"error"}`` + ``WWW-Authenticate: Bearer …`` |
    | ``NotFound`` | 404 ``{"error"}`` |
    | ``TooManyAttempts`` | 429 ``{"error"}`` + ``Retry-After`` |
    | ``MissingSecret`` / ``UnusableSecret`` | 503 ``{"error": "not configured: …"}``, no Retry-After |
    | ``SettingsUnavailable`` / ``StoreUnavailable`` | 503 + ``Retry-After`` |
    """
    match exc:
        case RejectedDelivery():
            return Answer(exc.status_code, {"error": exc.reason})
        case InvalidRequest():
            return Answer(400, {"error": exc.reason, "field": exc.field})
        case Unauthorized():
            return Answer(401, {"error": exc.reason}, {"WWW-Authenticate": exc.challenge()})
        case NotFound():
            return Answer(404, {"error": str(exc)})
        case TooManyAttempts():
            return Answer(
                429, {"error": "too many failed logins; retry later"}, {"Retry-After": str(exc.retry_after)}
            )
        case MissingSecret() | UnusableSecret():
            return Answer(503, {"error": f"not configured: {exc}; see `make secrets`"})
        case SettingsUnavailable() | StoreUnavailable():
            return unavailable(str(exc))
    return Answer(500, {"error": "internal error"})


def json_response(body: Any) -> str:
    """Readable JSON (Cyrillic stays Cyrillic); ASCII escapes when a lone surrogate can't be UTF-8."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body, separators=(",", ":"))
    return text


def to_response(answer: Answer) -> Response[str]:
    headers = {**answer.headers, **SECURITY_HEADERS}
    if isinstance(answer.body, str):
        return Response(answer.status_code, "text/plain; charset=utf-8", answer.body, headers)
    return Response(answer.status_code, "application/json", json_response(answer.body), headers)


def unexpected_error(exc: Exception) -> Response[str]:
    """A bug, not the sender's fault: logged with its stack, answered as JSON (never a bare 502).

    The resolver's own errors (unknown route, wrong method) keep their status, as JSON.
    """
    if isinstance(exc, ServiceError):
        return Response(
            exc.status_code, "application/json", json_response({"error": exc.msg}), dict(SECURITY_HEADERS)
        )
    logger.exception("unexpected error", extra={"errorType": type(exc).__name__})
    return Response(
        500, "application/json", json_response({"error": "internal error"}), dict(SECURITY_HEADERS)
    )
