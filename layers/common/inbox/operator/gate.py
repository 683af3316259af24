"""The JWT gate: a Powertools middleware in front of every operator route, so none checks a token itself.

A route is protected unless it declares ``security=PUBLIC`` (OpenAPI's "no authentication needed"
requirement, so the generated document says the same as the code): the login, the web inbox's
static files and the API's own documentation. A route added later without a word is protected.

Powertools validates a route's parameters before any middleware runs; so that an outsider never
learns from a 400 what a route expects, a validation error on a route the gate has not checked
yet is answered by the gate first (:func:`check`, called by the validation error's handler).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response

from inbox.errors import Unauthorized
from inbox.observability import MetricName, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Route
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

    from inbox.operator.api import OperatorApi

PUBLIC: list[dict[str, list[str]]] = [{}]
"""OpenAPI's empty security requirement: the route answers without a token."""
BEARER_SCHEME = "bearerAuth"
SECURED: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]
"""The document-wide requirement: a bearer token from ``POST /auth/login``."""
_CHECKED = "operatorGateChecked"

Middleware = Callable[[Any, "NextMiddleware"], Response[Any]]


def is_public(route: Route | None) -> bool:
    return route is not None and route.security == PUBLIC


def checked(app: Any) -> bool:
    """Whether the gate has looked at this request yet (the resolver's context is per request)."""
    return bool(app.context.get(_CHECKED))


def check(app: Any, api: OperatorApi) -> None:
    """Nothing for a public route; else the bearer token's check (Unauthorized, MissingSecret, …)."""
    app.append_context(**{_CHECKED: True})
    if is_public(app.context.get("_route")):
        return
    headers = {name.lower(): value for name, value in (app.current_event.headers or {}).items()}
    try:
        api.authenticate(headers)
    except Unauthorized:
        metrics.add_metric(name=MetricName.OPERATOR_AUTH_FAILURES, unit="Count", value=1)
        raise


def gate(api: OperatorApi) -> Middleware:
    """The middleware (give it to ``app.use``): a protected route runs only with a valid bearer token."""

    def jwt_gate(app: Any, next_middleware: NextMiddleware) -> Response[Any]:
        check(app, api)
        return next_middleware(app)

    return jwt_gate
