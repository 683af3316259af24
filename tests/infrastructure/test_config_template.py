"""The operator API in template.yaml: its routes, a throttled login, and least-privilege access."""

from __future__ import annotations

from typing import Any

import pytest
from inbox_dev import cfn

CONTRACT_ROUTES = {
    # The public contract: always on the HTTP API (that code and template agree route by route is
    # tests/infrastructure/test_routes_declared_once.py; a new route is added there by neither list).
    ("POST", "/auth/login"),
    ("GET", "/instagram/config"),
    ("PUT", "/instagram/config"),
    ("GET", "/instagram/messages"),
    ("GET", "/instagram/unrecognized"),
    ("POST", "/instagram/unrecognized/{id}/replay"),
    ("GET", "/instagram/conversations"),
    ("POST", "/instagram/conversations/{senderId}/reply"),
    ("GET", "/instagram/conversations/{senderId}/export"),
    ("GET", "/inbox"),
    ("GET", "/inbox/{asset}"),
}


@pytest.fixture(scope="module")
def function(resources: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = resources["ConfigFunction"]["Properties"]
    return found


def statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for policy in function["Policies"] if "Statement" in policy for s in policy["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_every_contract_route_is_on_the_http_api(function: dict[str, Any]) -> None:
    events = function["Events"].values()
    assert {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events} >= CONTRACT_ROUTES
    assert {e["Type"] for e in events} == {"HttpApi"}
    assert all(e["Properties"]["ApiId"] == {"Ref": "HttpApi"} for e in events)


def test_only_the_login_route_is_throttled_harder(function: dict[str, Any]) -> None:
    throttled = {
        e["Properties"]["Path"]: e["Properties"]["RouteSettings"]
        for e in function["Events"].values()
        if "RouteSettings" in e["Properties"]
    }
    assert throttled == {"/auth/login": {"ThrottlingBurstLimit": 20, "ThrottlingRateLimit": 10}}


def test_the_table_is_listed_through_its_indexes_and_rows_read_by_key_only(function: dict[str, Any]) -> None:
    dynamodb = [
        s for s in statements(function) if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))
    ]
    assert len(dynamodb) == 2
    query, rows = dynamodb
    assert as_list(query["Action"]) == ["dynamodb:Query"]
    assert query["Resource"] == [
        {"Fn::Sub": "${MessagesTable.Arn}/index/gsi1"},
        {"Fn::Sub": "${MessagesTable.Arn}/index/gsi2"},
    ]
    # The conversations' rows (inbox.operator.conversations): by key, never a Scan of the table
    assert as_list(rows["Action"]) == ["dynamodb:BatchGetItem"]
    assert rows["Resource"] == {"Fn::GetAtt": ["MessagesTable", "Arn"]}


def test_writes_go_through_the_shared_write_path(function: dict[str, Any], resources: dict[str, Any]) -> None:
    assert {"Ref": "MessageWritePolicy"} in function["Policies"]
    write_actions = set()
    for statement in resources["MessageWritePolicy"]["Properties"]["PolicyDocument"]["Statement"]:
        write_actions |= set(as_list(statement["Action"]))
    assert "dynamodb:Scan" not in write_actions
    assert "dynamodb:DeleteItem" not in write_actions


def test_only_the_plain_string_settings_may_be_written(
    function: dict[str, Any], resources: dict[str, Any], template: dict[str, Any]
) -> None:
    writes = {"ssm:PutParameter", "ssm:DeleteParameter", "ssm:DeleteParameters", "ssm:*", "*"}
    (ssm,) = [s for s in statements(function) if writes & set(as_list(s["Action"]))]
    assert as_list(ssm["Action"]) == ["ssm:PutParameter"]
    string_parameters = {
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::SSM::Parameter" and resource["Properties"]["Type"] == "String"
    }
    ctx = cfn.Context.for_template(
        template,
        stack_name="st",
        region="eu-west-1",
        account_id="1",
        physical_names={logical_id: f"/st/{logical_id}" for logical_id in string_parameters},
    )
    resolved = cfn.resolve(ssm["Resource"], ctx)
    assert sorted(resolved) == sorted(f"arn:aws:ssm:eu-west-1:1:parameter/st/{p}" for p in string_parameters)
    assert not any("*" in arn for arn in resolved)


def test_the_operator_urls_are_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["LoginUrl"]["Value"]["Fn::Sub"].endswith("/auth/login")
    assert outputs["ConfigUrl"]["Value"]["Fn::Sub"].endswith("/instagram/config")
    assert outputs["MessagesUrl"]["Value"]["Fn::Sub"].endswith("/instagram/messages")
    assert outputs["ConfigFunctionName"]["Value"] == {"Ref": "ConfigFunction"}
