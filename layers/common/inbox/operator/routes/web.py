"""``GET /inbox`` and its files: the web inbox's static page, public (it holds no data).

Its answers are :func:`inbox.operator.web_inbox.serve`'s own (CSP, ETag, ``no-cache``), not the
API's ``no-store``.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from inbox.http import to_response
from inbox.operator import web_inbox
from inbox.operator.gate import PUBLIC
from inbox.operator.routes import area_router, request_of

router = area_router()


@router.get("/inbox", security=PUBLIC)
def inbox_page() -> Response[str]:
    return to_response(web_inbox.serve(web_inbox.PAGE, request_of(router).headers))


@router.get("/inbox/<asset>", security=PUBLIC)
def inbox_asset(asset: str) -> Response[str]:
    return to_response(web_inbox.serve(asset, request_of(router).headers))
