"""``GET`` / ``PUT /instagram/config``: the setup, and changes to its plain settings (never a secret)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from inbox.operator.routes import Operator, api_answer, area_router, request_of

router = area_router()


@router.get("/instagram/config")
def get_config(api: Operator) -> Response[str]:
    return api_answer(api.get_config(request_of(router)))


@router.put("/instagram/config")
def put_config(api: Operator) -> Response[str]:
    return api_answer(api.put_config(request_of(router)))
