"""Config function: the operator API (login, settings, stored messages). Wiring only; logic is in
inbox.operator.api, which checks the bearer token of every route but the login."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from inbox.http import json_response, to_response, unexpected_error
from inbox.observability import logger, metrics, trace_handler
from inbox.operator import web_inbox
from inbox.operator.api import OperatorApi, OperatorRequest
from inbox.settings import function_environment
from inbox.storage.readers import MessageReader
from inbox.storage.store import MessageStore

app = APIGatewayHttpResolver(serializer=json_response)
app.exception_handler(Exception)(unexpected_error)
env = function_environment()
api = OperatorApi(env, store=MessageStore(env.table_name), reader=MessageReader(env.table_name))


def request() -> OperatorRequest:
    event = app.current_event
    return OperatorRequest(
        headers={name.lower(): value for name, value in (event.headers or {}).items()},
        query=dict(event.query_string_parameters or {}),
        body=event.body,
        is_base64=bool(event.is_base64_encoded),
        domain_name=event.request_context.domain_name,
        stage=event.request_context.stage,
        source_ip=event.request_context.http.source_ip,
    )


@app.post("/auth/login")
def login() -> Response[str]:
    return to_response(api.login(request(), now=datetime.now(UTC)))


@app.get("/instagram/config")
def get_config() -> Response[str]:
    return to_response(api.get_config(request()))


@app.put("/instagram/config")
def put_config() -> Response[str]:
    return to_response(api.put_config(request()))


@app.get("/instagram/messages")
def list_messages() -> Response[str]:
    return to_response(api.list_messages(request()))


@app.get("/instagram/unrecognized")
def list_unrecognized() -> Response[str]:
    return to_response(api.list_unrecognized(request()))


@app.post("/instagram/unrecognized/<raw_id>/replay")
def replay(raw_id: str) -> Response[str]:
    return to_response(api.replay(request(), raw_id))


@app.get("/instagram/conversations")
def list_conversations() -> Response[str]:
    return to_response(api.list_conversations(request(), now=datetime.now(UTC)))


@app.post("/instagram/conversations/<sender_id>/reply")
def reply(sender_id: str) -> Response[str]:
    remaining = app.lambda_context.get_remaining_time_in_millis() / 1000
    return to_response(api.reply(request(), sender_id, now=datetime.now(UTC), remaining_seconds=remaining))


@app.get("/instagram/conversations/<sender_id>/export")
def export_conversation(sender_id: str) -> Response[str]:
    return to_response(api.export_conversation(request(), sender_id, now=datetime.now(UTC)))


@app.get("/inbox")
def inbox_page() -> Response[str]:
    return to_response(web_inbox.serve(web_inbox.PAGE, request().headers))


@app.get("/inbox/<asset>")
def inbox_asset(asset: str) -> Response[str]:
    return to_response(web_inbox.serve(asset, request().headers))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
