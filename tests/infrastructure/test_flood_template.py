"""Issue 10 item 7 in template.yaml: floods are throttled per route, the webhook's concurrency is
reserved and capped, and failed logins and refused tokens raise alarms."""

from __future__ import annotations

from typing import Any

import pytest
from inbox.observability import MetricName
from inbox_dev import cfn


def parameter_default(template: dict[str, Any], name: str) -> int:
    return int(template["Parameters"][name]["Default"])


def test_every_route_of_the_http_api_is_throttled_by_default(template: dict[str, Any]) -> None:
    settings = template["Resources"]["HttpApi"]["Properties"]["DefaultRouteSettings"]
    assert settings == {
        "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
    }
    rate = parameter_default(template, "ApiThrottlingRateLimit")
    burst = parameter_default(template, "ApiThrottlingBurstLimit")
    assert 10 <= rate <= burst <= 5000  # 5000/s and 10000 are the account's own API Gateway limits


def test_the_login_route_is_throttled_harder_than_the_default_but_not_to_a_trickle(
    template: dict[str, Any],
) -> None:
    login = template["Resources"]["ConfigFunction"]["Properties"]["Events"]["Login"]["Properties"]
    route = login["RouteSettings"]
    assert route["ThrottlingRateLimit"] < parameter_default(template, "ApiThrottlingRateLimit")
    # 1/s for every caller together let one outsider keep the operator out; guessing is limited in code
    assert route["ThrottlingRateLimit"] >= 5
    assert route["ThrottlingBurstLimit"] >= route["ThrottlingRateLimit"]


@pytest.mark.parametrize(("value", "reserved"), [(None, 25), ("40", 40), ("0", None)])
def test_the_webhooks_concurrency_is_reserved_unless_set_to_0(
    template: dict[str, Any], value: str | None, reserved: int | None
) -> None:
    overrides = {"WebhookReservedConcurrency": value} if value is not None else {}
    ctx = cfn.Context.for_template(template, overrides=overrides)
    webhook = cfn.resolve(template["Resources"]["WebhookFunction"]["Properties"], ctx)
    # reserved concurrency 0 would throttle every delivery: 0 means no reservation at all
    found = webhook.get("ReservedConcurrentExecutions")
    assert (int(found) if found is not None else None) == reserved
    assert template["Parameters"]["WebhookReservedConcurrency"]["MinValue"] == 0


def test_only_the_webhook_reserves_concurrency(template: dict[str, Any]) -> None:
    functions = {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        and "ReservedConcurrentExecutions" in resource["Properties"]
    }
    assert functions == {"WebhookFunction"}


@pytest.mark.parametrize(
    ("metric", "threshold"),
    [(MetricName.LOGIN_FAILURES, 10), (MetricName.OPERATOR_AUTH_FAILURES, 50)],
)
def test_failed_logins_and_refused_tokens_raise_an_alarm(
    template: dict[str, Any], metric: str, threshold: int
) -> None:
    alarms = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::CloudWatch::Alarm" and resource["Properties"].get("MetricName") == metric
    ]
    assert len(alarms) == 1
    alarm = alarms[0]
    assert (
        alarm["Namespace"]
        == template["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    )
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "config"}]
    assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Sum", 300, threshold)


def test_the_operator_api_may_keep_its_login_counters_in_the_table(template: dict[str, Any]) -> None:
    """inbox.operator.login_throttle reads (GetItem) and writes (PutItem, in a transaction) LOGIN# items."""
    resources = template["Resources"]
    policies = resources["ConfigFunction"]["Properties"]["Policies"]
    actions = {
        action
        for policy in policies
        if isinstance(policy, dict) and "Ref" in policy
        for statement in resources[policy["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
        if statement["Resource"] == {"Fn::GetAtt": ["MessagesTable", "Arn"]}
        for action in statement["Action"]
    } | {
        action
        for policy in policies
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
        if statement["Resource"] == {"Fn::GetAtt": ["MessagesTable", "Arn"]}
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert {"dynamodb:GetItem", "dynamodb:PutItem"} <= actions
