"""The endpoint override `make sam-local` needs is inert in a deployed stack (issue 13)."""

from typing import Any

from inbox_dev import cfn


def test_every_function_declares_aws_endpoint_url_empty(template: dict[str, Any], ctx: cfn.Context) -> None:
    # Declared in Globals (SAM's --env-vars sets only declared variables), empty everywhere:
    # boto3 ignores an empty AWS_ENDPOINT_URL, so deployed functions talk to AWS as before.
    assert template["Globals"]["Function"]["Environment"]["Variables"]["AWS_ENDPOINT_URL"] == ""
    functions = cfn.functions(template, ctx)
    assert functions
    assert {spec.logical_id: spec.environment["AWS_ENDPOINT_URL"] for spec in functions} == {
        spec.logical_id: "" for spec in functions
    }


def test_no_function_overrides_it_with_a_value(resources: dict[str, Any]) -> None:
    overridden = [
        logical_id
        for logical_id, resource in resources.items()
        if "AWS_ENDPOINT_URL"
        in (((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {})
    ]
    assert overridden == []
