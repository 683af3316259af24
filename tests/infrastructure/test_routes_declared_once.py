"""Issue 11 item 3: every operator route in the code is on the HTTP API, and the other way round.

The code's routes are the committed OpenAPI document's (generated from the resolver, kept in step
by tests/integration/test_openapi.py); the HTTP API's are the config function's HttpApi events in
template.yaml, which `make dev` serves as they are (inbox_dev.server reads them).
"""

from __future__ import annotations

import json
from typing import Any

from inbox_dev import cfn, local_aws, openapi


def code_routes() -> set[tuple[str, str]]:
    paths = json.loads(openapi.DOCUMENT.read_text(encoding="utf-8"))["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def template_routes(template: dict[str, Any], ctx: cfn.Context, function: str) -> set[tuple[str, str]]:
    return {(r.method, r.path) for r in cfn.http_routes(template, ctx) if r.function.logical_id == function}


def test_every_route_of_the_resolver_is_on_the_http_api_and_back(
    template: dict[str, Any], ctx: cfn.Context
) -> None:
    in_code = code_routes()
    in_template = template_routes(template, ctx, "ConfigFunction")
    assert in_code - in_template == set(), "routes the HTTP API does not send to the config function"
    assert in_template - in_code == set(), "routes the config function does not answer"
    assert len(in_code) >= 11


def test_docs_is_on_the_http_api_only_when_the_stack_enables_it(template: dict[str, Any]) -> None:
    def docs_routes(enabled: str) -> set[tuple[str, str, str]]:
        ctx = cfn.Context.for_template(template, overrides={"EnableApiDocs": enabled})
        return {
            (r.method, r.path, r.function.logical_id)
            for r in cfn.http_routes(template, ctx)
            if r.path == "/docs"
        }

    assert template["Parameters"]["EnableApiDocs"]["Default"] == "false"
    assert docs_routes("false") == set()
    assert docs_routes("true") == {("GET", "/docs", "ConfigFunction")}
    for name in ("ApiDocsRoute", "ApiDocsIntegration", "ApiDocsPermission"):
        assert template["Resources"][name]["Condition"] == "ApiDocsEnabled"


def test_make_dev_serves_the_docs(template: dict[str, Any]) -> None:
    assert local_aws.LOCAL_PARAMETER_DEFAULTS["EnableApiDocs"] == "true"
