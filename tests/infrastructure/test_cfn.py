"""inbox_dev.cfn: the template reader shared by the dev server and the tests."""

import textwrap
from pathlib import Path
from typing import Any

import boto3
import pytest
from inbox.settings import SETTINGS
from inbox_dev import cfn
from moto import mock_aws

# A small template exercising what template.yaml does not (yet) use.
SYNTHETIC = """\
AWSTemplateFormatVersion: 2010-09-09
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
  Interval:
    Type: Number
    Default: 10
  NoDefault:
    Type: String
Mappings:
  Sizes:
    dev: {Memory: 256}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  Either: !Or [!Condition IsProd, !Condition IsDev]
Globals:
  Function:
    Runtime: python3.13
    Timeout: 20
    Layers: [!Ref Shared]
    Environment:
      Variables:
        STAGE: !Ref Stage
        SERVICE: global
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/shared/
  Api:
    Type: AWS::Serverless::HttpApi
  Poller:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/poller/
      Handler: app.handler
      MemorySize: !FindInMap [Sizes, dev, Memory]
      Environment:
        Variables:
          SERVICE: poller
          PROD_ONLY: !If [IsProd, "yes", !Ref AWS::NoValue]
      Policies:
        - Statement:
            - Effect: Allow
              Action: sqs:SendMessage
              Resource: !GetAtt Queue.Arn
      Events:
        Every:
          Type: Schedule
          Properties:
            Schedule: rate(1 minute)
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 3 * * ? *)
            State: DISABLED
        ById:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Path: /items/{id}
        Lower:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Method: delete
            Path: /items/{id}
  ProdOnlyTable:
    Type: AWS::DynamoDB::Table
    Condition: IsProd
    Properties:
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      BillingMode: PAY_PER_REQUEST
  Unknown:
    Type: Custom::Thing
    Properties:
      Value: !Frobnicate [a, b]
Outputs:
  ProdThing:
    Condition: IsProd
    Value: x
  Joined:
    Value: !Join ["-", [!Ref Stage, !Select [1, !Split [",", "a,b,c"]]]]
"""


@pytest.fixture
def synthetic(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "template.yaml"
    path.write_text(SYNTHETIC)
    return cfn.load_template(path)


# ------------------------------------------------------------------ loading


def test_short_tags_load_in_their_long_form(synthetic: dict[str, Any]) -> None:
    conditions = synthetic["Conditions"]
    assert conditions["IsProd"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    assert conditions["IsDev"] == {"Fn::Not": [{"Condition": "IsProd"}]}
    poller = synthetic["Resources"]["Poller"]["Properties"]
    assert poller["MemorySize"] == {"Fn::FindInMap": ["Sizes", "dev", "Memory"]}
    assert poller["Policies"][0]["Statement"][0]["Resource"] == {"Fn::GetAtt": ["Queue", "Arn"]}


def test_an_unknown_tag_loads_and_fails_only_when_resolved(synthetic: dict[str, Any]) -> None:
    value = synthetic["Resources"]["Unknown"]["Properties"]["Value"]
    assert value == {"Fn::Frobnicate": ["a", "b"]}
    with pytest.raises(cfn.UnresolvableError, match="Fn::Frobnicate"):
        cfn.resolve(value, cfn.Context.for_template(synthetic))


def test_an_unquoted_date_stays_a_string(synthetic: dict[str, Any]) -> None:
    assert synthetic["AWSTemplateFormatVersion"] == "2010-09-09"


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(ValueError, match="not a CloudFormation template"):
        cfn.load_template(path)


def test_each_load_is_a_copy_of_its_own_and_an_edited_file_is_read_again(tmp_path: Path) -> None:
    # Given a template loaded once (it is parsed once per file version and then copied)
    path = tmp_path / "template.yaml"
    path.write_text(SYNTHETIC)
    first = cfn.load_template(path)
    # When a caller changes what it got
    first["Parameters"]["Stage"]["Default"] = "changed"
    first["Resources"].clear()
    # Then the next caller still gets the file's content
    again = cfn.load_template(path)
    assert again["Parameters"]["Stage"]["Default"] == "dev"
    assert "Poller" in again["Resources"]
    # And an edited file is read again, not served from the cache
    path.write_text(SYNTHETIC.replace("Default: dev", "Default: staging"))
    assert cfn.load_template(path)["Parameters"]["Stage"]["Default"] == "staging"


def test_the_real_template_loads_with_its_short_tags(template: dict[str, Any]) -> None:
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["TABLE_NAME"] == {"Ref": "MessagesTable"}
    assert env["SETTINGS_PREFIX"] == {"Fn::Sub": "/${AWS::StackName}"}


# ------------------------------------------------------------------ resolving


def test_ref_gives_parameter_defaults_overrides_and_pseudo_parameters(template: dict[str, Any]) -> None:
    ctx = cfn.Context.for_template(
        template,
        stack_name="s",
        region="eu-west-1",
        account_id="111122223333",
        overrides={"LogLevel": "DEBUG"},
    )
    assert cfn.resolve({"Ref": "LogLevel"}, ctx) == "DEBUG"
    assert cfn.resolve({"Ref": "PollIntervalSeconds"}, ctx) == "10"
    assert cfn.resolve({"Ref": "ChatraceAccountId"}, ctx) == ""
    assert cfn.resolve({"Ref": "AWS::StackName"}, ctx) == "s"
    assert cfn.resolve({"Ref": "AWS::Region"}, ctx) == "eu-west-1"
    assert cfn.resolve({"Ref": "AWS::AccountId"}, ctx) == "111122223333"
    assert cfn.resolve({"Ref": "AWS::URLSuffix"}, ctx) == "amazonaws.com"
    assert cfn.resolve({"Ref": "AWS::Partition"}, ctx) == "aws"


def test_ref_to_a_resource_gives_the_callers_physical_name_or_a_stack_scoped_default(
    template: dict[str, Any],
) -> None:
    ctx = cfn.Context.for_template(template, stack_name="s", physical_names={"MessagesTable": "t1"})
    assert cfn.resolve({"Ref": "MessagesTable"}, ctx) == "t1"
    assert cfn.resolve({"Ref": "WebhookFunction"}, ctx) == "s-WebhookFunction"


def test_ref_to_something_undeclared_or_without_value_is_an_error(synthetic: dict[str, Any]) -> None:
    ctx = cfn.Context.for_template(synthetic)
    with pytest.raises(cfn.UnresolvableError, match="Nope"):
        cfn.resolve({"Ref": "Nope"}, ctx)
    with pytest.raises(cfn.UnresolvableError, match="NoDefault"):
        cfn.resolve({"Ref": "NoDefault"}, ctx)


def test_overriding_an_undeclared_parameter_is_an_error(template: dict[str, Any]) -> None:
    with pytest.raises(cfn.UnresolvableError, match="Typo"):
        cfn.Context.for_template(template, overrides={"Typo": "1"})


def test_sub_replaces_refs_attributes_and_keeps_escaped_literals(template: dict[str, Any]) -> None:
    ctx = cfn.Context.for_template(template, stack_name="s", attributes={"MessagesTable.Arn": "arn:t"})
    text = "/${AWS::StackName}/${LogLevel} ${MessagesTable.Arn} ${!NotMe} ${AWS::Region}"
    assert cfn.resolve({"Fn::Sub": text}, ctx) == "/s/INFO arn:t ${NotMe} us-east-1"


def test_sub_with_a_variable_map(template: dict[str, Any]) -> None:
    ctx = cfn.Context.for_template(template, stack_name="s")
    value = {"Fn::Sub": ["${Name}-${AWS::StackName}", {"Name": {"Ref": "LogLevel"}}]}
    assert cfn.resolve(value, ctx) == "INFO-s"


def test_get_att_needs_a_value_from_the_caller(template: dict[str, Any]) -> None:
    ctx = cfn.Context.for_template(template, attributes={"HttpApi.ApiEndpoint": "https://x"})
    assert cfn.resolve({"Fn::GetAtt": ["HttpApi", "ApiEndpoint"]}, ctx) == "https://x"
    assert cfn.resolve({"Fn::GetAtt": "HttpApi.ApiEndpoint"}, ctx) == "https://x"
    with pytest.raises(cfn.UnresolvableError, match=r"MessagesTable\.Arn"):
        cfn.resolve({"Fn::GetAtt": ["MessagesTable", "Arn"]}, ctx)


@pytest.mark.parametrize(("account_id", "expected"), [("", "-"), ("42", "42")])
def test_if_follows_the_conditions_of_the_template(
    template: dict[str, Any], account_id: str, expected: str
) -> None:
    ctx = cfn.Context.for_template(template, overrides={"ChatraceAccountId": account_id})
    value = template["Resources"]["ChatraceAccountIdParameter"]["Properties"]["Value"]
    assert cfn.resolve(value, ctx) == expected


def test_conditions_combine_and_no_value_removes_the_property(synthetic: dict[str, Any]) -> None:
    dev = cfn.Context.for_template(synthetic)
    prod = cfn.Context.for_template(synthetic, overrides={"Stage": "prod"})
    assert (dev.condition("IsProd"), dev.condition("IsDev"), dev.condition("Either")) == (False, True, True)
    assert (prod.condition("IsProd"), prod.condition("IsDev")) == (True, False)
    variables = synthetic["Resources"]["Poller"]["Properties"]["Environment"]["Variables"]
    assert "PROD_ONLY" not in cfn.resolve(variables, dev)
    assert cfn.resolve(variables, prod)["PROD_ONLY"] == "yes"


def test_join_select_split_find_in_map_and_base64(synthetic: dict[str, Any]) -> None:
    ctx = cfn.Context.for_template(synthetic)
    assert cfn.resolve(synthetic["Outputs"]["Joined"]["Value"], ctx) == "dev-b"
    assert cfn.resolve({"Fn::FindInMap": ["Sizes", "dev", "Memory"]}, ctx) == 256
    assert cfn.resolve({"Fn::Base64": "hi"}, ctx) == "aGk="
    with pytest.raises(cfn.UnresolvableError, match="FindInMap"):
        cfn.resolve({"Fn::FindInMap": ["Sizes", "prod", "Memory"]}, ctx)


# ------------------------------------------------------------------ tables and parameters


def test_table_definitions_name_the_table_after_the_callers_physical_name(
    template: dict[str, Any], ctx: cfn.Context
) -> None:
    (table,) = cfn.table_definitions(template, ctx)
    assert (table.logical_id, table.name, table.ttl_attribute) == (
        "MessagesTable",
        "inbox-test-messages",
        "ttl",
    )
    assert table.create_kwargs["BillingMode"] == "PAY_PER_REQUEST"
    assert [i["IndexName"] for i in table.create_kwargs["GlobalSecondaryIndexes"]] == ["gsi1", "gsi2"]


def test_a_table_whose_condition_is_false_is_left_out(synthetic: dict[str, Any]) -> None:
    assert cfn.table_definitions(synthetic, cfn.Context.for_template(synthetic)) == []
    prod = cfn.Context.for_template(synthetic, overrides={"Stage": "prod"})
    assert [t.logical_id for t in cfn.table_definitions(synthetic, prod)] == ["ProdOnlyTable"]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


@pytest.mark.usefixtures("aws")
def test_table_definitions_create_the_table_in_moto(template: dict[str, Any], ctx: cfn.Context) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    for table in cfn.table_definitions(template, ctx):
        client.create_table(**table.create_kwargs)
        assert table.ttl_attribute is not None
        client.update_time_to_live(
            TableName=table.name,
            TimeToLiveSpecification={"AttributeName": table.ttl_attribute, "Enabled": True},
        )
    described = client.describe_table(TableName="inbox-test-messages")["Table"]
    assert {i["IndexName"] for i in described["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2"}
    ttl = client.describe_time_to_live(TableName="inbox-test-messages")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "ttl"


def test_ssm_parameters_live_under_the_stack_prefix_with_the_unset_sentinel(
    template: dict[str, Any], ctx: cfn.Context
) -> None:
    """One String parameter per plain setting of the table (secrets are make secrets'), named below
    the stack's prefix, holding its default (``-`` for unset) as the stack's defaults resolve it."""
    parameters = {p["Name"]: p for p in cfn.ssm_parameters(template, ctx)}
    plain = [setting for setting in SETTINGS if not setting.secret]
    assert {name: p["Value"] for name, p in parameters.items()} == {
        f"/inbox-test/{setting.name}": setting.stored_default for setting in plain
    }
    assert {p["Type"] for p in parameters.values()} == {"String"}
    assert parameters["/inbox-test/chatrace/account-id"]["Value"] == "-"
    assert parameters["/inbox-test/polling/interval-seconds"]["Value"] == "10"


@pytest.mark.usefixtures("aws")
def test_ssm_parameters_can_be_put_as_they_are(template: dict[str, Any]) -> None:
    ctx = cfn.Context.for_template(
        template,
        stack_name="inbox-test",
        overrides={"ChatraceAccountId": "1234", "ChatraceInboxUrl": "https://app.example/php/user"},
    )
    client = boto3.client("ssm", region_name="us-east-1")
    for parameter in cfn.ssm_parameters(template, ctx):
        client.put_parameter(**parameter, Overwrite=True)
    stored = client.get_parameters_by_path(Path="/inbox-test", Recursive=True)["Parameters"]
    values = {p["Name"]: p["Value"] for p in stored}
    assert values["/inbox-test/chatrace/account-id"] == "1234"
    assert values["/inbox-test/chatrace/inbox-url"] == "https://app.example/php/user"


# ------------------------------------------------------------------ functions, routes, schedules


def test_http_routes_of_the_real_template(
    template: dict[str, Any], ctx: cfn.Context, repo_root: Path
) -> None:
    routes = cfn.http_routes(template, ctx)
    webhook = [r for r in routes if r.function.logical_id == "WebhookFunction"]
    assert sorted((r.method, r.path) for r in webhook) == [
        ("GET", "/instagram/webhook"),
        ("POST", "/instagram/webhook"),
    ]
    assert {r.function.code_uri for r in webhook} == {Path("functions/webhook")}
    for route in routes:
        function = route.function
        assert route.api_id == "HttpApi"
        assert (repo_root / function.code_uri).is_dir()
        assert function.handler == "app.lambda_handler"
        assert (function.timeout, function.memory_size, function.runtime) == (10, 512, "python3.13")
        assert function.layer_dirs == (Path("layers/common"),)


def test_a_functions_environment_is_globals_merged_with_its_own(
    template: dict[str, Any], ctx: cfn.Context
) -> None:
    (webhook,) = [f for f in cfn.functions(template, ctx) if f.logical_id == "WebhookFunction"]
    assert webhook.environment == {
        "POWERTOOLS_SERVICE_NAME": "webhook",
        "POWERTOOLS_METRICS_NAMESPACE": "ChatraceInbox",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACE_DISABLED": "false",
        "TABLE_NAME": "inbox-test-messages",
        "SETTINGS_PREFIX": "/inbox-test",
        "UNRECOGNIZED_TTL_DAYS": "30",
        "ALLOW_UNAUTHENTICATED_WEBHOOK": "false",
        "AWS_ENDPOINT_URL": "",
        "AWS_ENDPOINT_URL_DYNAMODB": "",
    }


def test_routes_keep_path_placeholders_and_default_to_any(synthetic: dict[str, Any]) -> None:
    routes = cfn.http_routes(synthetic, cfn.Context.for_template(synthetic))
    assert sorted((r.method, r.path) for r in routes) == [("ANY", "/items/{id}"), ("DELETE", "/items/{id}")]
    poller = routes[0].function
    assert poller.environment == {"STAGE": "dev", "SERVICE": "poller"}
    assert (poller.timeout, poller.memory_size) == (20, 256)
    assert poller.layer_dirs == (Path("layers/shared"),)


def test_schedules_of_both_kinds(synthetic: dict[str, Any]) -> None:
    found = {s.event_name: s for s in cfn.schedules(synthetic, cfn.Context.for_template(synthetic))}
    assert (found["Every"].expression, found["Every"].enabled) == ("rate(1 minute)", True)
    assert (found["Nightly"].expression, found["Nightly"].enabled) == ("cron(0 3 * * ? *)", False)
    assert found["Every"].function.logical_id == "Poller"


def test_the_real_templates_poller_runs_every_minute(template: dict[str, Any], ctx: cfn.Context) -> None:
    (schedule,) = cfn.schedules(template, ctx)
    assert (schedule.event_name, schedule.expression, schedule.enabled) == (
        "EveryMinute",
        "rate(1 minute)",
        True,
    )
    assert schedule.function.logical_id == "PollerFunction"
    assert schedule.function.code_uri == Path("functions/poller")
    assert schedule.function.environment["POWERTOOLS_SERVICE_NAME"] == "poller"
    # A round every ~10 s for a minute, plus the last round's requests, within one invocation.
    assert 60 <= schedule.function.timeout <= 70
    assert cfn.rate_seconds(schedule.expression) == 60


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
        (" rate( 10 minutes ) ", 600),
    ],
)
def test_rate_seconds(expression: str, seconds: int) -> None:
    assert cfn.rate_seconds(expression) == seconds


@pytest.mark.parametrize(
    "expression",
    ["cron(0 3 * * ? *)", "at(2030-01-01T00:00:00)", "rate(0 minutes)", "rate(5 minute)", "rate(1 minutes)"],
)
def test_rate_seconds_refuses_what_it_cannot_run(expression: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        cfn.rate_seconds(expression)


# ------------------------------------------------------------------ outputs


def test_outputs_of_the_real_template(template: dict[str, Any], ctx: cfn.Context) -> None:
    assert (
        cfn.outputs(template, ctx).items()
        >= {
            "ApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/",
            "WebhookUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/instagram/webhook",
            "MessagesTableName": "inbox-test-messages",
            "SettingsPrefix": "/inbox-test",
            "WebhookFunctionName": "inbox-test-WebhookFunction",
            "LoginUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/auth/login",
            "ConfigUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/instagram/config",
            "MessagesUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/instagram/messages",
            "ConfigFunctionName": "inbox-test-ConfigFunction",
        }.items()
    )


def test_an_output_whose_condition_is_false_is_left_out(synthetic: dict[str, Any]) -> None:
    assert set(cfn.outputs(synthetic, cfn.Context.for_template(synthetic))) == {"Joined"}


def test_a_yaml_block_scalar_sub_is_resolved(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            Resources: {}
            Outputs:
              Url:
                Value: !Sub |
                  https://${AWS::StackName}.example
            """
        )
    )
    template = cfn.load_template(path)
    assert cfn.outputs(template, cfn.Context.for_template(template, stack_name="s")) == {
        "Url": "https://s.example\n"
    }
