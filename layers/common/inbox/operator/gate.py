"""The JWT gate: a Powertools middleware in front of every operator route, so none checks a token itself.

A route is protected unless it declares ``security=PUBLIC`` (OpenAPI's "no authentication needed"
requirement, so the generated document says the same as the code): the login and the web inbox's
static files. A route added later without a word is protected. The gate runs before the route's
own validation: without a valid token a malformed request is a 401, never a 400 that tells an
outsider what the route expects.
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

Middleware = Callable[[Any, "NextMiddleware"], Response[Any]]


def is_public(route: Route | None) -> bool:
    return route is not None and route.security == PUBLIC


def gate(api: OperatorApi) -> Middleware:
    """The middleware (give it to ``app.use``): a protected route runs only with a valid bearer token."""

    def jwt_gate(app: Any, next_middleware: NextMiddleware) -> Response[Any]:
        if not is_public(app.context.get("_route")):
            headers = {name.lower(): value for name, value in (app.current_event.headers or {}).items()}
            try:
                api.authenticate(headers)
            except Unauthorized:
                metrics.add_metric(name=MetricName.OPERATOR_AUTH_FAILURES, unit="Count", value=1)
                raise
        return next_middleware(app)

    return jwt_gate
