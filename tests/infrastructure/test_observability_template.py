"""Alarms, dashboard, metric filter and saved queries of template.yaml agree with inbox.observability.

One source of truth for metric names: every custom metric the template reads is a
``MetricName`` value, in the Globals namespace, with the dimensions the code publishes (``service``
= a function's POWERTOOLS_SERVICE_NAME, ``reason`` = a ``REJECTION_REASONS`` value), and is really
emitted somewhere in the code (or by the template's metric filter). That the saved queries read
fields the functions really log is tests/integration/test_log_fields.py.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from inbox import observability
from inbox.observability import REJECTION_REASONS, TOKEN_REJECTED_LOG, MetricName

ALARM = "AWS::CloudWatch::Alarm"
ROOT = Path(__file__).resolve().parents[2]
METRIC_NAMES = {value for name, value in vars(MetricName).items() if name.isupper()}

Metric = tuple[str, str, dict[str, Any]]
"""(namespace, metric name, {dimension: value}) as the template names it."""


def of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {logical_id: r for logical_id, r in resources.items() if r["Type"] == kind}


def props(resource: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = resource.get("Properties") or {}
    return found


@pytest.fixture(scope="module")
def namespace(template: dict[str, Any]) -> str:
    value: str = template["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    return value


@pytest.fixture(scope="module")
def services(resources: dict[str, Any]) -> dict[str, str]:
    """POWERTOOLS_SERVICE_NAME → logical id of the function."""
    return {
        props(r)["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]: logical_id
        for logical_id, r in of_type(resources, "AWS::Serverless::Function").items()
    }


def alarm_metrics(alarm: dict[str, Any]) -> Iterator[Metric]:
    p = props(alarm)
    if "MetricName" in p:
        yield p["Namespace"], p["MetricName"], {d["Name"]: d["Value"] for d in p.get("Dimensions", [])}
    for query in p.get("Metrics", []):
        if "MetricStat" in query:
            m = query["MetricStat"]["Metric"]
            yield m["Namespace"], m["MetricName"], {d["Name"]: d["Value"] for d in m.get("Dimensions", [])}


def dashboard_body(resources: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's JSON with every ${...} of its Fn::Sub replaced by a placeholder."""
    (dashboard,) = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    text = props(dashboard)["DashboardBody"]["Fn::Sub"]
    body: dict[str, Any] = json.loads(re.sub(r"\$\{[^}]+\}", "SUBSTITUTED", text))
    return body


def dashboard_metrics(resources: dict[str, Any]) -> Iterator[Metric]:
    for widget in dashboard_body(resources)["widgets"]:
        for row in widget["properties"].get("metrics", []):
            assert "." not in row, f"write every dashboard metric out in full: {row}"
            values = [item for item in row if not isinstance(item, dict)]
            namespace, name, *pairs = values
            yield namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True))


def custom(metrics: Iterator[Metric]) -> list[Metric]:
    return [m for m in metrics if not m[0].startswith("AWS/")]


def check_custom_metric(metric: Metric, namespace: str, services: dict[str, str], where: str) -> None:
    ns, name, dimensions = metric
    assert ns == namespace, f"{where}: namespace {ns!r} is not the Globals namespace {namespace!r}"
    assert name in METRIC_NAMES, f"{where}: {name!r} is not in inbox.observability.MetricName"
    assert "service" in dimensions, f"{where}: {name} without the service dimension never matches EMF"
    assert dimensions["service"] in services, (
        f"{where}: no function has the service {dimensions['service']!r}"
    )
    assert set(dimensions) <= {"service", observability.REJECTION_REASON_DIMENSION}, f"{where}: {dimensions}"
    if observability.REJECTION_REASON_DIMENSION in dimensions:
        assert name == MetricName.REJECTED_DELIVERIES
        assert dimensions["reason"] in REJECTION_REASONS.values(), f"{where}: {dimensions}"


# ------------------------------------------------------------------ one source of truth for metric names


def test_custom_metrics_in_alarms_come_from_metric_name_in_the_globals_namespace(
    resources: dict[str, Any], namespace: str, services: dict[str, str]
) -> None:
    used = []
    for logical_id, alarm in of_type(resources, ALARM).items():
        for metric in custom(alarm_metrics(alarm)):
            check_custom_metric(metric, namespace, services, logical_id)
            used.append(metric[1])
    assert used


def test_custom_metrics_on_the_dashboard_come_from_metric_name_in_the_globals_namespace(
    resources: dict[str, Any], namespace: str, services: dict[str, str]
) -> None:
    used = custom(dashboard_metrics(resources))
    for metric in used:
        check_custom_metric(metric, namespace, services, "Dashboard")
    shown = {name for _, name, _ in used}
    assert {
        MetricName.MESSAGES_STORED,
        MetricName.DUPLICATES,
        MetricName.UNRECOGNIZED_BODIES,
        MetricName.REJECTED_DELIVERIES,
        MetricName.POLL_ROUNDS,
        MetricName.POLL_ERRORS,
        MetricName.DELIVERY_GAP,
    } <= shown


def test_the_token_metric_filter_counts_the_pollers_log_line_into_metric_name(
    resources: dict[str, Any], namespace: str
) -> None:
    (metric_filter,) = of_type(resources, "AWS::Logs::MetricFilter").values()
    p = props(metric_filter)
    assert p["LogGroupName"] == {"Ref": "PollerFunctionLogs"}
    assert p["FilterPattern"] == f'{{ $.message = "{TOKEN_REJECTED_LOG}*" }}'
    (transformation,) = p["MetricTransformations"]
    assert transformation["MetricNamespace"] == namespace
    assert transformation["MetricName"] == MetricName.TOKEN_REJECTED
    assert transformation["Dimensions"] == [{"Key": "service", "Value": "$.service"}]


def _emitted_in_code() -> set[str]:
    """MetricName attributes the package reads (``MetricName.X``) anywhere but in the class itself."""
    found = set()
    for path in (ROOT / "layers/common/inbox").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "MetricName"
            ):
                found.add(getattr(MetricName, node.attr))
    return found


def test_every_custom_metric_the_template_reads_is_emitted_by_the_code_or_the_metric_filter(
    resources: dict[str, Any],
) -> None:
    read = {name for _, name, _ in custom(dashboard_metrics(resources))}
    for alarm in of_type(resources, ALARM).values():
        read |= {name for _, name, _ in custom(alarm_metrics(alarm))}
    filtered = {
        t["MetricName"]
        for f in of_type(resources, "AWS::Logs::MetricFilter").values()
        for t in props(f)["MetricTransformations"]
    }
    assert read - _emitted_in_code() - filtered == set()


# ------------------------------------------------------------------ alarms


def test_every_alarm_notifies_the_alarm_topic_and_clears_itself(resources: dict[str, Any]) -> None:
    alarms = of_type(resources, ALARM)
    assert len(alarms) >= 10
    for logical_id, alarm in alarms.items():
        p = props(alarm)
        assert p["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert p["OKActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert p["TreatMissingData"] == "notBreaching", logical_id
        assert p["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-"), logical_id


def test_the_email_subscription_is_optional(template: dict[str, Any], resources: dict[str, Any]) -> None:
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""
    assert template["Conditions"]["HasAlarmEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]
    }
    (subscription,) = of_type(resources, "AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "HasAlarmEmail"
    assert props(subscription) == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }


def test_every_function_has_an_errors_alarm(resources: dict[str, Any]) -> None:
    watched = {
        metric[2]["FunctionName"]["Ref"]
        for alarm in of_type(resources, ALARM).values()
        for metric in alarm_metrics(alarm)
        if metric[:2] == ("AWS/Lambda", "Errors")
    }
    assert watched == set(of_type(resources, "AWS::Serverless::Function"))


def _alarms_on(resources: dict[str, Any], namespace: str, name: str) -> list[str]:
    return [
        logical_id
        for logical_id, alarm in of_type(resources, ALARM).items()
        if any(m[:2] == (namespace, name) for m in alarm_metrics(alarm))
    ]


@pytest.mark.parametrize(
    ("namespace", "name"),
    [
        ("AWS/ApiGateway", "5xx"),
        ("ChatraceInbox", MetricName.UNRECOGNIZED_BODIES),
        ("ChatraceInbox", MetricName.POLL_ERRORS),
        ("ChatraceInbox", MetricName.TOKEN_REJECTED),
        ("AWS/DynamoDB", "WriteThrottleEvents"),
        ("AWS/DynamoDB", "ReadThrottleEvents"),
        ("ChatraceInbox", MetricName.DELIVERY_GAP),
    ],
)
def test_the_issue_asks_for_an_alarm_on(resources: dict[str, Any], namespace: str, name: str) -> None:
    assert _alarms_on(resources, namespace, name)


def test_the_poller_failing_alarm_needs_minutes_without_a_successful_round(resources: dict[str, Any]) -> None:
    p = props(resources["PollerFailingAlarm"])
    ids = {m["Id"]: m for m in p["Metrics"]}
    assert ids["errors"]["MetricStat"]["Metric"]["MetricName"] == MetricName.POLL_ERRORS
    assert ids["rounds"]["MetricStat"]["Metric"]["MetricName"] == MetricName.POLL_ROUNDS
    assert ids["failing"]["Expression"] == "IF(FILL(errors, 0) > 0 AND FILL(rounds, 0) == 0, 1, 0)"
    assert [m["Id"] for m in p["Metrics"] if m["ReturnData"]] == ["failing"]
    assert (p["EvaluationPeriods"], p["DatapointsToAlarm"]) == (5, 3)


def test_the_table_throttling_alarm_watches_the_table_and_its_indexes(resources: dict[str, Any]) -> None:
    metrics = list(alarm_metrics(resources["TableThrottledAlarm"]))
    assert {m[2]["TableName"]["Ref"] for m in metrics} == {"MessagesTable"}
    assert {m[2].get("GlobalSecondaryIndexName") for m in metrics} == {None, "gsi1", "gsi2"}


# ------------------------------------------------------------------ saved queries, dashboard, outputs


def test_the_saved_queries_live_in_the_stacks_folder_and_read_the_functions_log_groups(
    resources: dict[str, Any],
) -> None:
    queries = of_type(resources, "AWS::Logs::QueryDefinition")
    names = {props(q)["Name"]["Fn::Sub"] for q in queries.values()}
    assert names == {
        "${AWS::StackName}/deliveries-by-sender",
        "${AWS::StackName}/unrecognized-bodies",
        "${AWS::StackName}/errors-and-rejected-deliveries",
        "${AWS::StackName}/poller-rounds",
    }
    log_groups = set(of_type(resources, "AWS::Logs::LogGroup"))
    for logical_id, query in queries.items():
        for group in props(query)["LogGroupNames"]:
            assert group["Ref"] in log_groups, logical_id


def test_the_dashboard_shows_every_alarm(resources: dict[str, Any]) -> None:
    (dashboard,) = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    text = props(dashboard)["DashboardBody"]["Fn::Sub"]
    shown = set(re.findall(r"\$\{(\w+)\.Arn\}", text))
    assert shown == set(of_type(resources, ALARM))


def test_the_dashboard_and_alarm_topic_are_outputs(template: dict[str, Any]) -> None:
    assert {"DashboardUrl", "AlarmTopicArn"} <= set(template["Outputs"])


# ------------------------------------------------------------------ tracing


def test_the_layer_bundles_the_xray_sdk_without_botocore() -> None:
    """The Lambda runtime has botocore; resolved, aws-xray-sdk would bundle a second one (33 MB)."""
    layer = ROOT / "layers/common"
    no_deps = (layer / "requirements-no-deps.txt").read_text()
    assert re.search(r"^aws-xray-sdk\b", no_deps, re.M)
    assert re.search(r"^wrapt\b", no_deps, re.M)
    makefile = (layer / "Makefile").read_text()
    assert "--no-deps -r requirements-no-deps.txt" in makefile
    assert "manylinux2014_aarch64" in makefile
    assert "--python-version 3.13" in makefile
    requirements = (layer / "requirements.txt").read_text().lower()
    assert not re.search(r"^(boto3|botocore|aws-xray-sdk)\b", requirements, re.M)
    assert '"aws-xray-sdk' in (ROOT / "pyproject.toml").read_text()


def _handler_decorators(app: Path) -> list[str]:
    tree = ast.parse(app.read_text(encoding="utf-8"))
    (handler,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "lambda_handler"]
    return [ast.unparse(d.func if isinstance(d, ast.Call) else d) for d in handler.decorator_list]


def test_every_function_wraps_its_handler_the_same_way(resources: dict[str, Any]) -> None:
    for logical_id, function in of_type(resources, "AWS::Serverless::Function").items():
        app = ROOT / props(function)["CodeUri"] / "app.py"
        decorators = _handler_decorators(app)
        assert decorators[0] == "logger.inject_lambda_context", logical_id
        assert decorators[-1] == "trace_handler", logical_id
        # The poller publishes its metrics itself after every round (one invocation lasts a minute).
        if logical_id != "PollerFunction":
            assert "metrics.log_metrics" in decorators, logical_id
