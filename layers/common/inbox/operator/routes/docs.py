"""``GET /docs``: Swagger UI over the operator API's OpenAPI document (``?format=json``: the document).

Public (it describes the API and holds no data) and routed only when the stack says so
(``EnableApiDocs``, default false; ``make dev`` turns it on). Swagger UI's script and style are
Powertools' own copies, inlined into the page: nothing is loaded from a CDN, and the page's policy
lets it run only that inline code and talk only to this origin. The document is generated when
asked for, never at a cold start (Powertools' ``enable_swagger`` would import its OpenAPI models
at every one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, cast

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from inbox.http import SECURITY_HEADERS
from inbox.operator.gate import PUBLIC
from inbox.operator.routes import area_router, openapi_json

router = area_router()
DOCS_PATH = "/docs"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'unsafe-inline'",
        "style-src 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)


@router.get(DOCS_PATH, security=PUBLIC, include_in_schema=False)
def api_docs(format: Annotated[Literal["json"] | None, Query()] = None) -> Response[str]:
    from aws_lambda_powertools.event_handler import openapi
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    document = openapi_json(cast(Any, router.api_resolver))
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
    if format == "json":
        return Response(200, "application/json", document, headers)
    assets = Path(openapi.__file__).parent / "swagger_ui"
    page = generate_swagger_html(
        document.replace("</", "<\\/"),
        (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        "",
        None,
    )
    return Response(
        200,
        "text/html; charset=utf-8",
        page,
        {**headers, "Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Frame-Options": "DENY"},
    )
