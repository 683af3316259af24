"""Stored messages, kept bodies, and the replay of a kept body."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from inbox.operator.messages import MessagesQuery, UnrecognizedQuery
from inbox.operator.routes import Operator, api_answer, area_router

router = area_router()


@router.get("/instagram/messages")
def list_messages(api: Operator, query: Annotated[MessagesQuery, Query()]) -> Response[str]:
    """Stored messages, newest first; ``q`` searches a bounded window."""
    return api_answer(api.list_messages(query))


@router.get("/instagram/unrecognized")
def list_unrecognized(api: Operator, query: Annotated[UnrecognizedQuery, Query()]) -> Response[str]:
    """Kept bodies that yielded no message, newest first."""
    return api_answer(api.list_unrecognized(query))


@router.post("/instagram/unrecognized/<id>/replay")
def replay(api: Operator, raw_id: Annotated[str, Path(alias="id")]) -> Response[str]:
    """A kept body through today's normalizer and field map, stored through the one write path."""
    return api_answer(api.replay(raw_id))
