"""The endpoint overrides `make sam-local` needs are inert in a deployed stack (issue 13)."""

from typing import Any

import pytest
from inbox_dev import cfn

OVERRIDES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB")


@pytest.mark.parametrize("variable", OVERRIDES)
def test_every_function_declares_the_override_empty(
    template: dict[str, Any], ctx: cfn.Context, variable: str
) -> None:
    # Declared in Globals (SAM's --env-vars sets only declared variables), empty everywhere:
    # boto3 ignores an empty one, so deployed functions talk to AWS as before.
    assert template["Globals"]["Function"]["Environment"]["Variables"][variable] == ""
    functions = cfn.functions(template, ctx)
    assert functions
    assert {spec.logical_id: spec.environment[variable] for spec in functions} == {
        spec.logical_id: "" for spec in functions
    }


def test_no_function_overrides_it_with_a_value(resources: dict[str, Any]) -> None:
    overridden = [
        logical_id
        for logical_id, resource in resources.items()
        if set(OVERRIDES)
        & set(((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {})
    ]
    assert overridden == []
