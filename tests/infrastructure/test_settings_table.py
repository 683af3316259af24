"""Issue 11 item 4: template.yaml agrees with the settings table (inbox.settings.SETTINGS).

A setting is declared once, in the table; the template cannot read Python, so these tests read the
template and fail when a stack parameter's Default, MinValue/MaxValue, AllowedValues or
AllowedPattern, a String parameter's name, type or value, or the operator API's write grant
disagrees with its row.
"""

from __future__ import annotations

from typing import Any

import pytest
from inbox import settings
from inbox.settings import SETTINGS, Setting
from inbox_dev import cfn

PLAIN = [s for s in SETTINGS if not s.secret]
FROM_STACK = [s for s in PLAIN if s.stack_parameter is not None]


def template_default(setting: Setting) -> object:
    """The row's default as the template spells it (a Number parameter's Default is a number)."""
    if setting.default is None:
        return ""
    if isinstance(setting.default, bool):
        return "true" if setting.default else "false"
    return setting.default


@pytest.mark.parametrize("setting", FROM_STACK, ids=lambda s: s.name)
def test_each_stack_parameter_has_the_tables_default_and_constraints(
    template: dict[str, Any], setting: Setting
) -> None:
    assert setting.stack_parameter is not None
    parameter = template["Parameters"][setting.stack_parameter]
    assert parameter["Default"] == template_default(setting)
    assert parameter["Type"] == ("Number" if setting.kind == "int" else "String")
    assert (parameter.get("MinValue"), parameter.get("MaxValue")) == (setting.bounds or (None, None))
    allowed = ["true", "false"] if setting.kind == "bool" else None
    assert parameter.get("AllowedValues") == allowed
    pattern = None
    if setting.pattern is not None:
        pattern = f"^{setting.pattern}$" if setting.default is not None else f"^$|^{setting.pattern}$"
    assert parameter.get("AllowedPattern") == pattern


def test_the_string_parameters_are_exactly_the_tables_plain_settings(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    ctx = cfn.Context.for_template(template, stack_name="st")
    created = {p["Name"]: p for p in cfn.ssm_parameters(template, ctx)}
    assert set(created) == {f"/st/{s.name}" for s in PLAIN}
    for setting in PLAIN:
        assert created[f"/st/{setting.name}"]["Type"] == "String"
        assert created[f"/st/{setting.name}"]["Value"] == setting.stored_default, setting.name


@pytest.mark.parametrize("setting", FROM_STACK, ids=lambda s: s.name)
def test_a_deploy_writes_its_stack_parameter_into_the_setting(
    template: dict[str, Any], setting: Setting
) -> None:
    assert setting.stack_parameter is not None
    given = {"int": "7", "bool": "true"}.get(setting.kind, "12345")
    ctx = cfn.Context.for_template(template, stack_name="st", overrides={setting.stack_parameter: given})
    created = {p["Name"]: p["Value"] for p in cfn.ssm_parameters(template, ctx)}
    assert created[f"/st/{setting.name}"] == given


def test_the_operator_api_may_write_exactly_the_settings_it_offers(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    ctx = cfn.Context.for_template(template, stack_name="st", region="eu-west-1", account_id="1")
    named = {
        logical_id: cfn.resolve(resource["Properties"]["Name"], ctx)
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::SSM::Parameter"
    }
    ctx = cfn.Context.for_template(
        template, stack_name="st", region="eu-west-1", account_id="1", physical_names=named
    )
    (grant,) = [
        statement
        for policy in resources["ConfigFunction"]["Properties"]["Policies"]
        if "Statement" in policy
        for statement in policy["Statement"]
        if statement.get("Sid") == "WritePlainSettings"
    ]
    written = {
        arn.removeprefix("arn:aws:ssm:eu-west-1:1:parameter/st/")
        for arn in cfn.resolve(grant["Resource"], ctx)
    }
    assert written == {s.name for s in SETTINGS if s.field is not None}
    assert not any(s.secret for s in SETTINGS if s.field is not None), "a secret the operator API could write"


def test_every_setting_is_in_a_readers_folder_and_named_once() -> None:
    folders = {settings.WEBHOOK, settings.AUTH, settings.CHATRACE, settings.POLLING, settings.NORMALIZE}
    assert {s.folder for s in SETTINGS} <= folders
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)
    fields = [s.field for s in SETTINGS if s.field]
    variables = [s.variable for s in SETTINGS if s.variable]
    assert len(set(fields)) == len(fields)
    assert len(set(variables)) == len(variables)
    assert all(v.startswith("INBOX_") for v in variables)


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.kind == "int"], ids=lambda s: s.name)
def test_an_int_settings_default_is_within_its_bounds(setting: Setting) -> None:
    assert setting.bounds is not None
    assert isinstance(setting.default, int)
    assert setting.bounds[0] <= setting.default <= setting.bounds[1]
