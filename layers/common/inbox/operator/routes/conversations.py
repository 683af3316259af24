"""One row per sender, an operator's reply through Chatrace, and one conversation as a file."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from inbox.operator.conversations import ConversationsQuery
from inbox.operator.export import ExportQuery
from inbox.operator.routes import Operator, api_answer, area_router, request_of

router = area_router()
SenderId = Annotated[str, Path(alias="senderId")]


@router.get("/instagram/conversations")
def list_conversations(api: Operator, query: Annotated[ConversationsQuery, Query()]) -> Response[str]:
    """One row per sender, newest activity first."""
    return api_answer(api.list_conversations(query))


@router.post("/instagram/conversations/<senderId>/reply")
def reply(api: Operator, sender_id: SenderId) -> Response[str]:
    """``{"text"}`` sent through Chatrace, at most once (``Idempotency-Key``)."""
    remaining = router.lambda_context.get_remaining_time_in_millis() / 1000
    return api_answer(api.reply(request_of(router), sender_id, remaining_seconds=remaining))


@router.get("/instagram/conversations/<senderId>/export")
def export_conversation(
    api: Operator, sender_id: SenderId, query: Annotated[ExportQuery, Query()]
) -> Response[str]:
    """One conversation as a CSV or JSON file, oldest first."""
    return api_answer(api.export_conversation(sender_id, query))
