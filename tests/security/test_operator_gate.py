"""Issue 11 item 3: the JWT gate is one middleware in front of every operator route, not a check per route.

Threat: a route added later forgets its token check and serves messages to anyone. The gate
(inbox.operator.gate) protects every route unless it declares ``security=PUBLIC``; the only public
ones are the login and the web inbox's static files. A request the gate refuses reaches no route:
without a token a malformed request is a 401, never a 400 that describes what the route expects.
"""

from __future__ import annotations

import json
from types import ModuleType

import pytest
from inbox.operator.gate import PUBLIC
from inbox.operator.routes import area_router, openapi_json

from tests.integration.conftest import OPERATOR, Call


@pytest.fixture
def secrets() -> dict[str, str]:
    return dict(OPERATOR)


def test_a_route_added_without_a_word_about_security_needs_a_token(
    config_module: ModuleType, call: Call
) -> None:
    reached: list[str] = []
    router = area_router()

    @router.get("/instagram/new-feature")
    def new_feature() -> dict[str, str]:
        reached.append("yes")
        return {"secret": "customer data"}

    config_module.app.include_router(router)
    refused = call("GET", "/instagram/new-feature")
    assert refused.status == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer ")
    assert reached == []


def test_a_route_declared_public_is_reached_without_a_token(config_module: ModuleType, call: Call) -> None:
    router = area_router()

    @router.get("/instagram/public-probe", security=PUBLIC)
    def probe() -> dict[str, str]:
        return {"ok": "yes"}

    config_module.app.include_router(router)
    assert call("GET", "/instagram/public-probe").body == {"ok": "yes"}


def test_the_same_route_with_a_token_is_reached(config_module: ModuleType, call: Call, token: str) -> None:
    router = area_router()

    @router.get("/instagram/new-feature")
    def new_feature() -> dict[str, str]:
        return {"ok": "yes"}

    config_module.app.include_router(router)
    assert call("GET", "/instagram/new-feature", token=token).body == {"ok": "yes"}


def test_only_the_login_and_the_web_inbox_files_are_public(config_module: ModuleType) -> None:
    paths = json.loads(openapi_json(config_module.app))["paths"]
    public = sorted(
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method, operation in operations.items()
        if operation.get("security") == PUBLIC
    )
    assert public == ["GET /inbox", "GET /inbox/{asset}", "POST /auth/login"]


def test_a_malformed_request_without_a_token_is_refused_before_it_is_read(call: Call) -> None:
    assert call("GET", "/instagram/messages", query={"limit": "many", "nope": "1"}).status == 401
    assert (
        call("GET", "/instagram/conversations/" + "x" * 300 + "/export", query={"format": "pdf"}).status
        == 401
    )
    assert call("POST", "/instagram/conversations/123/reply", body=[1, 2]).status == 401
