"""HTTP glue shared by the functions' resolvers: JSON bodies and the last-resort error answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError

from inbox.observability import logger


@dataclass(frozen=True)
class Answer:
    """What a route answers, independent of the resolver: status, JSON (or plain text) and headers."""

    status_code: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)


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
