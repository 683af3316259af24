"""Webhook function: receives every Chatrace (or Meta) delivery. Wiring only; logic is in
inbox.webhook.ingest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from inbox.http import json_response, to_response, unexpected_error
from inbox.observability import logger, metrics, trace_handler
from inbox.settings import function_environment
from inbox.storage.store import MessageStore
from inbox.webhook.ingest import WebhookRequest, answer_handshake, receive_delivery

app = APIGatewayHttpResolver(serializer=json_response)
app.exception_handler(Exception)(unexpected_error)
env = function_environment()
store = MessageStore(env.table_name)


@app.post("/instagram/webhook")
def receive() -> Response[str]:
    event = app.current_event
    request = WebhookRequest(
        body=event.body,
        is_base64=bool(event.is_base64_encoded),
        headers={name.lower(): value for name, value in (event.headers or {}).items()},
        query=dict(event.query_string_parameters or {}),
        request_id=event.request_context.request_id,
    )
    return to_response(receive_delivery(request, store=store, env=env, now=datetime.now(UTC)))


@app.get("/instagram/webhook")
def meta_handshake() -> Response[str]:
    return to_response(answer_handshake(dict(app.current_event.query_string_parameters or {}), env=env))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
