"""The operator API's routes, one Powertools ``Router`` per area, included by ``functions/config/app.py``.

| module | routes |
|---|---|
| :mod:`.auth` | ``POST /auth/login`` (public) |
| :mod:`.config` | ``GET`` / ``PUT /instagram/config`` |
| :mod:`.messages` | ``GET /instagram/messages``, ``/instagram/unrecognized``, ``POST …/{id}/replay`` |
| :mod:`.conversations` | ``GET /instagram/conversations``, ``POST …/reply``, ``GET …/export`` |
| :mod:`.web` | ``GET /inbox``, ``GET /inbox/{asset}`` (public) |
| :mod:`.docs` | ``GET /docs``: Swagger UI and the OpenAPI document (public; routed only with EnableApiDocs) |

Query and path parameters are declared on the route and validated by Powertools
(``enable_validation``) into the pydantic models of the operation's module; a bad or unknown one
is the API's usual 400 ``{"error": "<field>: <reason>", "field"}``, never quoting the value sent.
Bodies are read by the webhook's hardened parser whatever their declared content type (size,
UTF-8, nesting and duplicate keys checked; ``curl -d`` says form data) and validated with the same
models. A route gets :class:`inbox.operator.api.OperatorApi` through Powertools' ``Depends``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver, Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel

from inbox.errors import (
    InboxError,
    InvalidRequest,
    MissingSecret,
    SettingsUnavailable,
    StoreUnavailable,
    TooManyAttempts,
    Unauthorized,
    UnusableSecret,
)
from inbox.http import ANSWERED, Answer, error_answer, to_response, unexpected_error
from inbox.observability import MetricName, logger, metrics
from inbox.operator import gate
from inbox.operator.api import OperatorApi, OperatorRequest
from inbox.validation import invalid_from

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Route
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

API_TITLE = "Chatrace Instagram inbox: operator API"
API_VERSION = "1"


def area_router() -> Router:
    """A new area's router (Powertools' ``Router()`` is untyped)."""
    return Router()  # type: ignore[no-untyped-call]


def operator_api() -> OperatorApi:
    """What ``Depends`` injects: the function provides its instance (:func:`wire`)."""
    raise RuntimeError("the operator API is not wired: functions/config/app.py provides it")


Operator = Annotated[OperatorApi, Depends(operator_api)]


def wire(app: APIGatewayHttpResolver, api: OperatorApi) -> None:
    """The operator API's machinery on ``app``: the gate, the services, the one error map."""
    app.use([gate.gate(api), known_parameters_only])
    app.dependency_overrides[operator_api] = lambda: api

    def invalid(exc: RequestValidationError) -> Response[str]:
        if not gate.checked(app):  # validation runs before the middlewares: the token comes first
            try:
                gate.check(app, api)
            except InboxError as refusal:
                return operator_error(refusal)
        return operator_error(invalid_from(exc.errors()))

    app.exception_handler(RequestValidationError)(invalid)
    app.exception_handler(InboxError)(operator_error)
    app.exception_handler(Exception)(unexpected_error)


def known_parameters_only(app: Any, next_middleware: NextMiddleware) -> Response[Any]:
    """A query parameter no route declares is a 400 (a misspelt ``senderID`` must not list everything)."""
    route: Route | None = app.context.get("_route")
    if route is not None:
        declared = _declared_query(route)
        for name in app.current_event.query_string_parameters or {}:
            if name not in declared:
                raise InvalidRequest(f"{name}: is not a known field", field=name)
    return next_middleware(app)


def _declared_query(route: Route) -> frozenset[str]:
    names: set[str] = set()
    for param in route.dependant.query_params:
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.update(info.alias or name for name, info in annotation.model_fields.items())
        else:
            names.add(param.alias)
    return frozenset(names)


def openapi_options() -> dict[str, Any]:
    """The document's title and its bearer scheme, required of every route that is not PUBLIC.

    Powertools' OpenAPI models are imported here, when a document is made, never at a cold start.
    """
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return {
        "title": API_TITLE,
        "version": API_VERSION,
        "security_schemes": {gate.BEARER_SCHEME: HTTPBearer(bearerFormat="JWT")},
        "security": gate.SECURED,
    }


_ERROR = {"$ref": "#/components/schemas/Error"}


def openapi_json(app: APIGatewayHttpResolver) -> str:
    """The OpenAPI document of ``app``'s routes, generated from them (``docs/openapi.json``).

    Powertools documents its own 422 for a validation error; this API answers 400 ``{"error",
    "field"}`` (and 401 to a protected route without a valid token), so the document says that.
    """
    document = json.loads(app.get_openapi_json_schema(**openapi_options()))
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if responses.pop("422", None) is not None:
                responses["400"] = _answer("a bad or unknown parameter, a malformed body")
            if operation.get("security") != gate.PUBLIC:
                responses["401"] = _answer("no, a malformed or an invalid bearer token")
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Error"] = {
        "type": "object",
        "properties": {"error": {"type": "string"}, "field": {"type": ["string", "null"]}},
        "required": ["error"],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _answer(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


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
    if not isinstance(exc, ANSWERED):
        return unexpected_error(exc)
    answer = error_answer(exc)
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
