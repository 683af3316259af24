"""template.yaml's poller: a one-minute schedule, a timeout that fits a minute of rounds, no retries."""

from typing import Any

from inbox_dev import cfn


def test_the_poller_runs_every_minute_on_an_eventbridge_schedule(resources: dict[str, Any]) -> None:
    props = resources["PollerFunction"]["Properties"]
    (event,) = props["Events"].values()
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == "rate(1 minute)"
    assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "poller"


def test_one_invocation_has_time_for_a_minute_of_rounds_and_is_never_retried(
    resources: dict[str, Any],
) -> None:
    props = resources["PollerFunction"]["Properties"]
    assert 60 <= props["Timeout"] <= 70
    # A failed or late invocation is not run again: the next minute's starts from the same cursor.
    assert props["EventInvokeConfig"] == {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}


def test_the_poller_writes_through_the_shared_write_path_policy_only(resources: dict[str, Any]) -> None:
    policies = resources["PollerFunction"]["Properties"]["Policies"]
    assert policies[0] == {"Ref": "MessageWritePolicy"}
    assert [s["Sid"] for p in policies[1:] for s in p["Statement"]] == ["ReadItsSettings"]


def test_the_poller_has_its_name_in_the_outputs(template: dict[str, Any], ctx: cfn.Context) -> None:
    assert cfn.outputs(template, ctx)["PollerFunctionName"] == "inbox-test-PollerFunction"
