"""Issue 10 item 6 (least privilege for secrets): per function, exactly which parameters it can read.

template.yaml is read as IAM would read it: every statement of a function (inline or a managed
policy it refers to) that allows an ``ssm:GetParameter*`` action, resolved for a stack ``st``, is
matched against every parameter the stack can hold — the template's String parameters and every
secret `make secrets` writes. The result must be exactly the list below, and exactly the folders
the code reads (inbox.settings.*_READS): a wider grant, a missing one, or code reading a folder its
function may not read fails here.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

import pytest
from inbox import settings
from inbox_dev import cfn

STACK = "st"
ARN = "arn:aws:ssm:eu-west-1:1:parameter"
READ_ACTIONS = {"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"}

STRING_PARAMETERS = {s.name for s in settings.SETTINGS if not s.secret}
SECRET_PARAMETERS = {s.name for s in settings.SETTINGS if s.secret}

# Spelled out on purpose: what each function can read, reviewed as a list, not derived.
CHATRACE_AND_POLLING = {
    "chatrace/token",
    "chatrace/account-id",
    "chatrace/inbox-url",
    "chatrace/api-url",
    "chatrace/reply-channel",
    "polling/enabled",
    "polling/interval-seconds",
}
EXPECTED = {
    "WebhookFunction": {
        "webhook/webhook-secret",
        "webhook/meta-app-secret",
        "webhook/meta-verify-token",
        "normalize/fieldmap",
    },
    "PollerFunction": CHATRACE_AND_POLLING,
    "ConfigFunction": {
        "auth/jwt-secret",
        "auth/admin-email",
        "auth/admin-password-hash",
        "auth/session-generation",
        "auth/token-lifetime-seconds",
        *CHATRACE_AND_POLLING,
        "normalize/fieldmap",
    },
    "EventsFunction": set(),
}
CODE_READS = {
    "WebhookFunction": settings.WEBHOOK_READS,
    "PollerFunction": settings.POLLER_READS,
    "ConfigFunction": settings.OPERATOR_READS,
    "EventsFunction": (),
}


@pytest.fixture(scope="module")
def stack_ctx(template: dict[str, Any]) -> cfn.Context:
    return cfn.Context.for_template(template, stack_name=STACK, region="eu-west-1", account_id="1")


def function_statements(resources: dict[str, Any], function: str) -> Iterator[dict[str, Any]]:
    """Every statement that applies to the function's role: inline, and of the managed policies it names."""
    for policy in resources[function]["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            yield from policy["Statement"]
        elif isinstance(policy, dict) and "Ref" in policy and policy["Ref"] in resources:
            document = resources[policy["Ref"]]["Properties"]["PolicyDocument"]
            yield from document["Statement"]
        else:
            raise AssertionError(f"{function}: a policy this test cannot read: {policy!r}")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def readable(resources: dict[str, Any], function: str, ctx: cfn.Context, names: set[str]) -> set[str]:
    grants: list[tuple[set[str], str]] = []
    for statement in function_statements(resources, function):
        actions = {
            a
            for a in as_list(statement["Action"])
            if fnmatch.fnmatch("ssm:GetParameter", a) or a in READ_ACTIONS or a in ("ssm:*", "*")
        }
        assert statement.get("Effect") == "Allow", statement
        if actions:
            grants += [(actions, resource) for resource in as_list(cfn.resolve(statement["Resource"], ctx))]
    found = set()
    for name in names:
        arn = f"{ARN}/{STACK}/{name}"
        for actions, resource in grants:
            by_name = fnmatch.fnmatchcase(arn, resource)
            # GetParametersByPath is authorized on the path: it returns everything below it.
            by_path = ("ssm:GetParametersByPath" in actions or "*" in actions or "ssm:*" in actions) and (
                arn.startswith(resource.rstrip("*").rstrip("/") + "/")
            )
            if by_name or by_path:
                found.add(name)
    return found


def test_every_parameter_is_in_a_readers_folder(template: dict[str, Any], stack_ctx: cfn.Context) -> None:
    created = {p["Name"].removeprefix(f"/{STACK}/") for p in cfn.ssm_parameters(template, stack_ctx)}
    assert created == STRING_PARAMETERS, "a String parameter the test does not know"
    folders = {settings.WEBHOOK, settings.AUTH, settings.CHATRACE, settings.POLLING, settings.NORMALIZE}
    assert {name.split("/")[0] for name in STRING_PARAMETERS | SECRET_PARAMETERS} == folders


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_each_function_can_read_exactly_its_parameters(
    resources: dict[str, Any], stack_ctx: cfn.Context, function: str
) -> None:
    everything = STRING_PARAMETERS | SECRET_PARAMETERS
    assert readable(resources, function, stack_ctx, everything) == EXPECTED[function]


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_each_function_reads_in_code_exactly_what_it_may_read(
    resources: dict[str, Any], stack_ctx: cfn.Context, function: str
) -> None:
    everything = STRING_PARAMETERS | SECRET_PARAMETERS
    read_by_code = {name for name in everything if name.split("/")[0] in CODE_READS[function]}
    assert read_by_code == readable(resources, function, stack_ctx, everything)


def test_the_internet_facing_webhook_cannot_read_the_operators_or_chatraces_secrets(
    resources: dict[str, Any], stack_ctx: cfn.Context
) -> None:
    forbidden = {
        settings.JWT_SECRET,
        settings.ADMIN_PASSWORD_HASH,
        settings.ADMIN_EMAIL,
        settings.CHATRACE_TOKEN,
    }
    assert readable(resources, "WebhookFunction", stack_ctx, forbidden) == set()


def test_no_function_may_read_the_whole_prefix_or_any_parameter(
    resources: dict[str, Any], stack_ctx: cfn.Context
) -> None:
    for function in EXPECTED:
        for statement in function_statements(resources, function):
            actions = set(as_list(statement["Action"]))
            if actions & (READ_ACTIONS | {"ssm:*", "*"}):
                for resource in as_list(cfn.resolve(statement["Resource"], stack_ctx)):
                    assert resource not in ("*", f"{ARN}/{STACK}", f"{ARN}/{STACK}/*"), (function, resource)


def test_only_the_operator_api_may_list_names_and_it_reads_no_value_that_way(
    resources: dict[str, Any], stack_ctx: cfn.Context
) -> None:
    listing = {
        function
        for function in EXPECTED
        for statement in function_statements(resources, function)
        if "ssm:DescribeParameters" in as_list(statement["Action"])
    }
    assert listing == {"ConfigFunction"}
