"""Issue 11 item 3: the operator API's OpenAPI document is generated from its routes and committed.

docs/openapi.json must be what the config function's resolver generates now (`make openapi`
rewrites it), so a route, parameter or rule changed in code without the document fails here.
"""

from __future__ import annotations

import json
from types import ModuleType

from inbox.operator.routes import openapi_json
from inbox_dev import openapi


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
