"""Stored messages, kept bodies, and the replay of a kept body."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from inbox.operator.routes import Operator, api_answer, area_router, request_of

router = area_router()


@router.get("/instagram/messages")
def list_messages(api: Operator) -> Response[str]:
    return api_answer(api.list_messages(request_of(router)))


@router.get("/instagram/unrecognized")
def list_unrecognized(api: Operator) -> Response[str]:
    return api_answer(api.list_unrecognized(request_of(router)))


@router.post("/instagram/unrecognized/<id>/replay")
def replay(api: Operator, id: str) -> Response[str]:
    return api_answer(api.replay(id))
