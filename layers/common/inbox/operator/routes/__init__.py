"""The operator API's routes, one Powertools ``Router`` per area, included by ``functions/config/app.py``.

| module | routes |
|---|---|
| :mod:`.auth` | ``POST /auth/login`` (public) |
| :mod:`.config` | ``GET`` / ``PUT /instagram/config`` |
| :mod:`.messages` | ``GET /instagram/messages``, ``/instagram/unrecognized``, ``POST …/{id}/replay`` |
| :mod:`.conversations` | ``GET /instagram/conversations``, ``POST …/reply``, ``GET …/export`` |
| :mod:`.web` | ``GET /inbox``, ``GET /inbox/{asset}`` (public) |

A route reads the request and calls :class:`inbox.operator.api.OperatorApi`, which it gets through
Powertools' ``Depends`` (the function wires the container's instance); the token is checked by
:mod:`inbox.operator.gate` before any protected route runs, and errors become answers in
:func:`inbox.http.error_answer`.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver, Router
from aws_lambda_powertools.event_handler.depends import Depends

from inbox.errors import (
    InboxError,
    MissingSecret,
    SettingsUnavailable,
    StoreUnavailable,
    TooManyAttempts,
    Unauthorized,
    UnusableSecret,
)
from inbox.http import Answer, error_answer, to_response, unexpected_error
from inbox.observability import MetricName, logger, metrics
from inbox.operator.api import OperatorApi, OperatorRequest
from inbox.operator.gate import BEARER_SCHEME, SECURED

API_TITLE = "Chatrace Instagram inbox: operator API"
API_VERSION = "1"


def area_router() -> Router:
    """A new area's router (Powertools' ``Router()`` is untyped)."""
    return Router()  # type: ignore[no-untyped-call]


def operator_api() -> OperatorApi:
    """What ``Depends`` injects: the function provides its instance (``app.dependency_overrides``)."""
    raise RuntimeError("the operator API is not wired: functions/config/app.py provides it")


Operator = Annotated[OperatorApi, Depends(operator_api)]


def openapi_options() -> dict[str, Any]:
    """The document's title and its bearer scheme, required of every route that is not PUBLIC.

    Powertools' OpenAPI models are imported here, when a document is made, never at a cold start.
    """
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return {
        "title": API_TITLE,
        "version": API_VERSION,
        "security_schemes": {BEARER_SCHEME: HTTPBearer(bearerFormat="JWT")},
        "security": SECURED,
    }


def openapi_json(app: APIGatewayHttpResolver) -> str:
    """The OpenAPI document of ``app``'s routes, generated from them (``docs/openapi.json``)."""
    return app.get_openapi_json_schema(**openapi_options())


def request_of(router: Router) -> OperatorRequest:
    """What the operations need of the current API Gateway HTTP API event (header names lower-cased)."""
    event = router.current_event
    context = event.get("requestContext") or {}
    return OperatorRequest(
        headers={name.lower(): value for name, value in (event.headers or {}).items()},
        query=dict(event.query_string_parameters or {}),
        body=event.body,
        is_base64=bool(event.is_base64_encoded),
        domain_name=context.get("domainName"),
        stage=context.get("stage"),
        source_ip=(context.get("http") or {}).get("sourceIp"),
    )


def api_answer(answer: Answer) -> Response[str]:
    """An operator API answer: never cached by a browser or a proxy (it holds messages or a token)."""
    return to_response(
        Answer(answer.status_code, answer.body, {"Cache-Control": "no-store", **answer.headers})
    )


def operator_error(exc: InboxError) -> Response[str]:
    """What a route or the gate raised, as its answer (:func:`inbox.http.error_answer`), with the
    operator API's log line: the reason, never a header, body, token or setting's value."""
    answer = error_answer(exc)
    if answer is None:
        return unexpected_error(exc)
    match exc:
        case Unauthorized():
            logger.info("operator request refused", extra={"reason": exc.detail})
        case TooManyAttempts():
            logger.warning("operator login throttled", extra={"retryAfter": exc.retry_after})
            metrics.add_metric(name=MetricName.LOGINS_THROTTLED, unit="Count", value=1)
        case MissingSecret() | UnusableSecret():
            logger.warning(f"operator API unavailable: {exc} (set it with `make secrets`)")
        case SettingsUnavailable() | StoreUnavailable():
            logger.error("operator request failed: dependency unavailable", extra={"reason": str(exc)})
    return to_response(answer)
