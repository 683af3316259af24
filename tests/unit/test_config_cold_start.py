"""The config function's init imports what its usual requests need, and each rare route's modules
only when that route runs (issue 14: pay only for what a request uses).

Checked as make bench (a) times it: functions/config/app.py executed in a fresh process that can
import only what the deployed stack has (inbox_dev.deployed), then its ``sys.modules`` listed.
"""

from __future__ import annotations

import json

import pytest
from inbox_dev import bench

ROUTES_ONLY = {
    # PUT /instagram/config: the update's pydantic model, built from the settings table
    "inbox.operator.config_update": "PUT /instagram/config",
    # GET /instagram/config: the view and the poller's status
    "inbox.operator.config": "GET /instagram/config",
    "inbox.polling.state": "GET /instagram/config",
    # POST /auth/login: scrypt, the throttle, the body's model
    "inbox.operator.login": "POST /auth/login",
    "inbox.operator.login_throttle": "POST /auth/login",
    "inbox.operator.passwords": "POST /auth/login",
    # POST …/reply: httpx, the Chatrace client, the allow-list
    "inbox.operator.replies": "POST /instagram/conversations/{senderId}/reply",
    "inbox.operator.chatrace_client": "POST /instagram/conversations/{senderId}/reply",
    "inbox.outbound": "POST /instagram/conversations/{senderId}/reply",
    "httpx": "POST /instagram/conversations/{senderId}/reply",
    # POST /instagram/unrecognized/{id}/replay: the webhook's reading and write path
    "inbox.webhook.ingest": "POST /instagram/unrecognized/{id}/replay",
    # the write path (content matching, fingerprints' writes): replay and replies, the routes that write
    "inbox.storage.store": "a route that writes (replay, reply)",
    "inbox.storage.matching": "a route that writes (replay, reply)",
    "inbox.webhook.delivery": "a route with a body",
    # GET /instagram/messages?q=…
    "inbox.operator.search": "GET /instagram/messages?q=",
    # GET …/export?format=csv
    "csv": "GET /instagram/conversations/{senderId}/export",
    # GET /docs: the OpenAPI models and Swagger UI
    "aws_lambda_powertools.event_handler.openapi.models": "GET /docs",
    "aws_lambda_powertools.event_handler.openapi.swagger_ui": "GET /docs",
    # What the deployed layer does not have at all
    "cryptography": "nothing: not in the layer",
}
EVERY_REQUEST = {
    "jwt",  # every protected route checks its bearer token
    "pydantic",  # enable_validation: every route's parameters
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
    "inbox.operator.tokens",
    "inbox.storage.readers",  # the listings
}


@pytest.fixture(scope="module")
def loaded() -> set[str]:
    statement = bench._handler_statement("config") + "\nimport sys\nprint(json.dumps(sorted(sys.modules)))"
    found = bench._fresh_process_seconds("import json\n" + statement, bench._import_env("config"))
    return set(json.loads(found.stdout.splitlines()[-2]))


@pytest.mark.parametrize("module", sorted(ROUTES_ONLY))
def test_a_rare_routes_modules_wait_for_that_route(loaded: set[str], module: str) -> None:
    assert module not in loaded, f"{module} is imported at init; only {ROUTES_ONLY[module]} needs it"


def test_what_every_request_needs_is_imported_at_init(loaded: set[str]) -> None:
    # Not moved into the first request: that would only hide it from the cold start's figure.
    assert loaded >= EVERY_REQUEST


def test_each_query_model_is_built_by_its_own_route_not_at_init() -> None:
    # Given the config function imported as make bench (a) imports it
    probe = (
        "from inbox.operator import conversations, export, messages\n"
        "models = [conversations.ConversationsQuery, export.ExportQuery, messages.MessagesQuery,"
        " messages.UnrecognizedQuery]\n"
        "print(json.dumps({m.__name__: m.__pydantic_complete__ for m in models}))"
    )
    statement = "import json\n" + bench._handler_statement("config") + "\n" + probe
    found = bench._fresh_process_seconds(statement, bench._import_env("config"))
    # Then no query model's validator was built yet: a cold request builds only its route's
    complete = json.loads(found.stdout.splitlines()[-2])
    assert complete == dict.fromkeys(complete, False)
    assert len(complete) == 4
