"""``POST /auth/login``: public (it is where a token comes from); guessing is throttled in the operation."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from inbox.operator.gate import PUBLIC
from inbox.operator.routes import Operator, api_answer, area_router, request_of

router = area_router()


@router.post("/auth/login", security=PUBLIC)
def login(api: Operator) -> Response[str]:
    return api_answer(api.login(request_of(router)))
