"""Config function: the operator API (login, settings, stored messages, conversations) and the web
inbox page. Wiring only: the routes are inbox.operator.routes' routers, the bearer token is checked
by inbox.operator.gate's middleware, the operations are inbox.operator.api's."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from inbox.http import json_response
from inbox.observability import logger, metrics, trace_handler
from inbox.operator.api import OperatorApi
from inbox.operator.routes import auth, config, conversations, docs, messages, web, wire
from inbox.settings import function_environment
from inbox.storage.readers import MessageReader

env = function_environment()
api = OperatorApi(env, reader=MessageReader(env.table_name))  # the store: on the routes that write

app = APIGatewayHttpResolver(serializer=json_response, enable_validation=True)
wire(app, api)  # the JWT gate, the services for Depends, the one error map
for area in (auth, config, messages, conversations, web, docs):
    app.include_router(area.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
