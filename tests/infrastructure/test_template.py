"""template.yaml keeps the promises of DESIGN.md and STYLE.md (item 9)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from inbox.observability import tracing_enabled
from inbox.settings import SETTINGS
from inbox_dev import cfn

# SAM policy templates that expand to resource-scoped statements only (no "Resource": "*").
# SSMParameterReadPolicy is not here: it adds ssm:DescribeParameters on "*".
SCOPED_POLICY_TEMPLATES = {"DynamoDBReadPolicy", "DynamoDBWritePolicy", "DynamoDBCrudPolicy"}
HARD_CODED_NAMES = (
    "TableName",
    "FunctionName",
    "RoleName",
    "ManagedPolicyName",
    "LayerName",
    "LogGroupName",
    "Name",
)


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {logical_id: r for logical_id, r in resources.items() if r["Type"] == kind}


def properties(resource: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = resource.get("Properties") or {}
    return found


# ------------------------------------------------------------------ the table


@pytest.fixture(scope="module")
def table(resources: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = resources["MessagesTable"]
    return found


def key_schema(keys: list[dict[str, str]]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in keys}


def test_table_is_on_demand_keyed_by_pk_and_sk(table: dict[str, Any]) -> None:
    props = properties(table)
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert key_schema(props["KeySchema"]) == {"HASH": "pk", "RANGE": "sk"}


def test_every_key_attribute_is_a_string(table: dict[str, Any]) -> None:
    definitions = {d["AttributeName"]: d["AttributeType"] for d in properties(table)["AttributeDefinitions"]}
    assert definitions == dict.fromkeys(("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"), "S")


def test_table_has_the_per_sender_and_per_day_indexes(table: dict[str, Any]) -> None:
    indexes = {i["IndexName"]: i for i in properties(table)["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"gsi1", "gsi2"}
    assert key_schema(indexes["gsi1"]["KeySchema"]) == {"HASH": "gsi1pk", "RANGE": "gsi1sk"}
    assert key_schema(indexes["gsi2"]["KeySchema"]) == {"HASH": "gsi2pk", "RANGE": "gsi2sk"}
    assert {i["Projection"]["ProjectionType"] for i in indexes.values()} == {"ALL"}


def test_unrecognized_bodies_can_expire_through_ttl(table: dict[str, Any]) -> None:
    assert properties(table)["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}


def test_table_is_recoverable_encrypted_and_survives_stack_deletion(table: dict[str, Any]) -> None:
    props = properties(table)
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


# ------------------------------------------------------------------ functions and the layer


@pytest.fixture(scope="module")
def function_ids(resources: dict[str, Any]) -> list[str]:
    ids = list(of_type(resources, "AWS::Serverless::Function"))
    assert ids, "the template declares no function"
    return ids


def test_globals_set_runtime_architecture_tracing_logging_and_the_layer(template: dict[str, Any]) -> None:
    function = template["Globals"]["Function"]
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["Tracing"] == {"Ref": "TracingMode"}
    assert function["LoggingConfig"] == {
        "LogFormat": "JSON",
        "SystemLogLevel": {"Ref": "LambdaSystemLogLevel"},
    }
    assert function["Layers"] == [{"Ref": "CommonLayer"}]
    env = function["Environment"]["Variables"]
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "ChatraceInbox"
    assert env["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    assert env["TABLE_NAME"] == {"Ref": "MessagesTable"}
    assert env["SETTINGS_PREFIX"] == {"Fn::Sub": "/${AWS::StackName}"}
    assert env["UNRECOGNIZED_TTL_DAYS"] == {"Ref": "UnrecognizedRetentionDays"}


def test_lambda_ships_its_own_lines_only_for_failures_by_default(template: dict[str, Any]) -> None:
    """Lambda's start and report lines of every invocation are half a message's log bytes
    (docs/performance.md (e)); at WARN only failed invocations, init errors and dropped logs are
    written. The application's level stays Powertools' (``LogLevel``): no ApplicationLogLevel."""
    parameter = template["Parameters"]["LambdaSystemLogLevel"]
    assert parameter["Default"] == "WARN"
    assert parameter["AllowedValues"] == ["DEBUG", "INFO", "WARN"]
    assert "ApplicationLogLevel" not in template["Globals"]["Function"]["LoggingConfig"]


@pytest.mark.parametrize(("mode", "traced"), [("Active", True), ("PassThrough", False)])
def test_the_powertools_tracer_is_built_only_when_lambda_traces(
    template: dict[str, Any], mode: str, traced: bool
) -> None:
    """X-Ray bills every sampled invocation and its SDK costs cold start (docs/performance.md (e)):
    with TracingMode=PassThrough neither Lambda nor the handlers' Tracer records anything."""
    assert template["Parameters"]["TracingMode"]["AllowedValues"] == ["Active", "PassThrough"]
    ctx = cfn.Context.for_template(template, overrides={"TracingMode": mode})
    function = template["Globals"]["Function"]
    assert cfn.resolve(function["Tracing"], ctx) == mode
    environment = cfn.resolve(function["Environment"]["Variables"], ctx)
    inside_lambda = {"LAMBDA_TASK_ROOT": "/var/task", **environment}
    assert tracing_enabled(inside_lambda) is traced


def test_every_function_runs_python313_on_arm64_from_globals(
    resources: dict[str, Any], function_ids: list[str]
) -> None:
    for logical_id in function_ids:
        props = properties(resources[logical_id])
        # Not overridden per function, so Globals decide for all of them.
        for key in ("Runtime", "Architectures", "Tracing", "LoggingConfig", "Layers"):
            assert key not in props, f"{logical_id} overrides {key}"


def test_every_function_has_its_own_folder_handler_and_service_name(
    resources: dict[str, Any], function_ids: list[str], repo_root: Path
) -> None:
    for logical_id in function_ids:
        props = properties(resources[logical_id])
        code_uri = props["CodeUri"]
        assert code_uri.startswith("functions/"), logical_id
        assert code_uri.endswith("/"), logical_id
        assert (repo_root / code_uri).is_dir(), code_uri
        assert props["Handler"] == "app.lambda_handler"
        assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]


def test_every_function_has_a_log_group_with_retention(
    resources: dict[str, Any], function_ids: list[str]
) -> None:
    log_groups = [properties(r) for r in of_type(resources, "AWS::Logs::LogGroup").values()]
    for logical_id in function_ids:
        expected = {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}
        matching = [g for g in log_groups if g.get("LogGroupName") == expected]
        assert len(matching) == 1, f"no log group for {logical_id}"
        assert matching[0]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_common_layer_is_built_by_sam_for_arm64(resources: dict[str, Any], repo_root: Path) -> None:
    layer = resources["CommonLayer"]
    props = properties(layer)
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert props["ContentUri"] == "layers/common/"
    assert props["CompatibleRuntimes"] == ["python3.13"]
    assert props["CompatibleArchitectures"] == ["arm64"]
    assert props["RetentionPolicy"] == "Delete"
    # layers/common/Makefile builds it as SAM's python3.13 builder would, plus the X-Ray SDK without
    # botocore (tests/infrastructure/test_observability_template.py checks the Makefile).
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert (repo_root / "layers/common/requirements.txt").is_file()
    assert (repo_root / "layers/common/inbox/__init__.py").is_file()


def test_webhook_routes_are_on_the_explicit_http_api(resources: dict[str, Any]) -> None:
    events = properties(resources["WebhookFunction"])["Events"]
    routes = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events.values()}
    assert routes == {("POST", "/instagram/webhook"), ("GET", "/instagram/webhook")}
    assert {e["Type"] for e in events.values()} == {"HttpApi"}
    assert all(e["Properties"]["ApiId"] == {"Ref": "HttpApi"} for e in events.values())


def test_http_api_has_no_authorizer_at_the_api_level(resources: dict[str, Any]) -> None:
    api = resources["HttpApi"]
    assert api["Type"] == "AWS::Serverless::HttpApi"
    assert "Auth" not in properties(api)


# ------------------------------------------------------------------ IAM


def iam_statements(resources: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(owner, statement) for every inline function statement and IAM policy document."""
    for logical_id, resource in resources.items():
        props = properties(resource)
        documents = []
        if resource["Type"] == "AWS::Serverless::Function":
            documents = [p for p in props.get("Policies", []) if isinstance(p, dict) and "Statement" in p]
        elif resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            documents = [props["PolicyDocument"]]
        elif resource["Type"] == "AWS::IAM::Role":
            documents = [p["PolicyDocument"] for p in props.get("Policies", [])]
        for document in documents:
            statements = document["Statement"]
            for statement in statements if isinstance(statements, list) else [statements]:
                yield logical_id, statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_iam_statement_allows_every_resource_or_every_action(resources: dict[str, Any]) -> None:
    statements = list(iam_statements(resources))
    assert statements
    for owner, statement in statements:
        # ssm:DescribeParameters has no resource-level permissions (AWS accepts only "*"); it lists
        # names and metadata, never a value (the operator API's view of which webhook secrets exist).
        if as_list(statement["Action"]) == ["ssm:DescribeParameters"]:
            continue
        assert "*" not in as_list(statement["Resource"]), f"{owner}: Resource '*'"
        for action in as_list(statement["Action"]):
            assert not action.endswith("*"), f"{owner}: Action {action}"


def test_functions_use_only_scoped_policy_templates_or_policies_of_the_template(
    resources: dict[str, Any], function_ids: list[str]
) -> None:
    policy_ids = set(of_type(resources, "AWS::IAM::ManagedPolicy"))
    for logical_id in function_ids:
        for policy in properties(resources[logical_id]).get("Policies", []):
            assert isinstance(policy, dict), f"{logical_id}: managed policy by name {policy!r}"
            if "Statement" in policy:
                continue
            if "Ref" in policy:
                assert policy["Ref"] in policy_ids, f"{logical_id}: {policy}"
                continue
            (name,) = policy
            assert name in SCOPED_POLICY_TEMPLATES, f"{logical_id}: policy template {name}"


# What inbox.storage.store's write path calls: GetItem (fingerprint reads) and TransactWriteItems, which IAM
# authorizes by the actions inside it (Put, Update, ConditionCheck). No Scan, no Query, no Delete.
WRITE_PATH_ACTIONS = [
    "dynamodb:ConditionCheckItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
]


def test_write_path_policy_may_only_read_and_write_items_of_the_table(resources: dict[str, Any]) -> None:
    (statement,) = [s for owner, s in iam_statements(resources) if owner == "MessageWritePolicy"]
    assert sorted(as_list(statement["Action"])) == WRITE_PATH_ACTIONS
    assert statement["Resource"] == {"Fn::GetAtt": ["MessagesTable", "Arn"]}


@pytest.mark.parametrize("function", ["WebhookFunction", "PollerFunction"])
def test_functions_that_store_messages_get_exactly_the_write_path_policy(
    resources: dict[str, Any], function: str
) -> None:
    policies = properties(resources[function])["Policies"]
    assert policies[0] == {"Ref": "MessageWritePolicy"}
    # Besides it, only reading its own settings (tests/infrastructure/test_settings_access.py).
    own = [s for owner, s in iam_statements(resources) if owner == function]
    assert [s["Sid"] for s in own] == ["ReadItsSettings"]
    assert set(own[0]["Action"]) == {"ssm:GetParametersByPath", "ssm:GetParameters", "ssm:GetParameter"}


# ------------------------------------------------------------------ names, parameters, outputs


def test_no_resource_has_a_hard_coded_name(resources: dict[str, Any]) -> None:
    for logical_id, resource in resources.items():
        for key in HARD_CODED_NAMES:
            value = properties(resource).get(key)
            assert value is None or isinstance(value, dict), f"{logical_id}.{key} is hard-coded: {value!r}"


def test_settings_are_plain_strings_under_the_stack_prefix(resources: dict[str, Any]) -> None:
    parameters = of_type(resources, "AWS::SSM::Parameter")
    assert len(parameters) == len([setting for setting in SETTINGS if not setting.secret])
    for logical_id, resource in parameters.items():
        props = properties(resource)
        assert props["Type"] == "String", logical_id
        assert props["Name"]["Fn::Sub"].startswith("/${AWS::StackName}/"), logical_id
        assert "/secrets/" not in props["Name"]["Fn::Sub"], logical_id


def test_every_setting_has_a_non_empty_value_with_the_default_parameters(template: dict[str, Any]) -> None:
    ctx = cfn.Context.for_template(template, stack_name="st")
    for parameter in cfn.ssm_parameters(template, ctx):
        assert parameter["Value"], parameter["Name"]


def test_parameters_and_their_defaults(template: dict[str, Any]) -> None:
    """The stack's own parameters; a setting's parameter is checked against the settings table
    (test_settings_table.py), so a new setting is declared there and in the template only."""
    settings = {setting.stack_parameter for setting in SETTINGS}
    parameters = template["Parameters"]
    defaults = {name: spec.get("Default") for name, spec in parameters.items() if name not in settings}
    assert defaults == {
        "LogLevel": "INFO",
        "LambdaSystemLogLevel": "WARN",
        "ChatraceAllowedHosts": "api.chatrace.com,app.chatrace.com",
        "UnrecognizedRetentionDays": 30,
        "LogRetentionDays": 30,
        "AlarmEmail": "",
        "ApiThrottlingRateLimit": 100,
        "ApiThrottlingBurstLimit": 200,
        "WebhookReservedConcurrency": 25,
        "DeliveryGapAlarmThreshold": 1,
        "AllowUnauthenticatedWebhook": "false",
        "EnableApiDocs": "false",
        "TracingMode": "Active",
    }


def test_outputs_name_everything_a_user_or_test_needs(template: dict[str, Any]) -> None:
    assert set(template["Outputs"]) >= {
        "WebhookUrl",
        "ApiUrl",
        "MessagesTableName",
        "SettingsPrefix",
        "WebhookFunctionName",
    }
    assert template["Outputs"]["WebhookUrl"]["Value"] == {
        "Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/instagram/webhook"
    }


def test_secrets_are_documented_but_not_created(repo_root: Path) -> None:
    text = (repo_root / "template.yaml").read_text()
    for name in (
        "webhook/webhook-secret",
        "webhook/meta-app-secret",
        "webhook/meta-verify-token",
        "chatrace/token",
        "auth/jwt-secret",
        "auth/admin-email",
        "auth/admin-password-hash",
    ):
        assert name in text, name
    assert "SecureString" not in {
        properties(r).get("Type")
        for r in cfn.load_template(repo_root / "template.yaml")["Resources"].values()
    }
