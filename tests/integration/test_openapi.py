"""Issue 11 item 3: the operator API's OpenAPI document is generated from its routes and committed.

docs/openapi.json must be what the config function's resolver generates now (`make openapi`
rewrites it), so a route, parameter or rule changed in code without the document fails here.
"""

from __future__ import annotations

import json
from types import ModuleType

from inbox.operator.routes import openapi_json
from inbox_dev import openapi

from tests.integration.conftest import Call


def test_the_committed_document_is_the_one_the_routes_generate(config_module: ModuleType) -> None:
    committed = json.loads(openapi.DOCUMENT.read_text(encoding="utf-8"))
    generated = json.loads(openapi_json(config_module.app))
    assert committed == generated, "docs/openapi.json is out of date: run `make openapi`"


def test_the_document_holds_the_declared_rules(config_module: ModuleType) -> None:
    document = json.loads(openapi_json(config_module.app))
    listing = document["paths"]["/instagram/messages"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"limit", "cursor", "since", "senderId", "q"}
    assert document["components"]["schemas"]["MessagesQuery"]["properties"]["limit"]["maximum"] == 100
    assert document["security"] == [{"bearerAuth": []}]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    reply = document["paths"]["/instagram/conversations/{senderId}/reply"]["post"]
    assert [p["name"] for p in reply["parameters"]] == ["senderId"]


def test_swagger_ui_is_served_offline_at_docs_without_a_token(call: Call) -> None:
    page = call("GET", "/docs")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in page.text
    assert "<script src=" not in page.text  # nothing from a CDN
    assert "<link rel=" not in page.text
    assert "script-src 'unsafe-inline'" in page.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_docs_in_json_is_the_committed_document(call: Call) -> None:
    answer = call("GET", "/docs", query={"format": "json"})
    assert answer.status == 200
    assert answer.body == json.loads(openapi.DOCUMENT.read_text(encoding="utf-8"))
