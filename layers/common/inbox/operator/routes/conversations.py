"""One row per sender, an operator's reply through Chatrace, and one conversation as a file."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from inbox.operator.routes import Operator, api_answer, area_router, request_of

router = area_router()


@router.get("/instagram/conversations")
def list_conversations(api: Operator) -> Response[str]:
    return api_answer(api.list_conversations(request_of(router)))


@router.post("/instagram/conversations/<senderId>/reply")
def reply(api: Operator, senderId: str) -> Response[str]:  # noqa: N803 - the template's {senderId}
    remaining = router.lambda_context.get_remaining_time_in_millis() / 1000
    return api_answer(api.reply(request_of(router), senderId, remaining_seconds=remaining))


@router.get("/instagram/conversations/<senderId>/export")
def export_conversation(api: Operator, senderId: str) -> Response[str]:  # noqa: N803
    return api_answer(api.export_conversation(request_of(router), senderId))
