"""The allow-list of hosts the Chatrace token may go to (ChatraceAllowedHosts, issue 10 item 2)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from inbox.settings import DEFAULT_CHATRACE_ALLOWED_HOSTS, FunctionEnvironment
from inbox_dev.local_aws import LOOPBACK_HOSTS


def parameter(template: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = template["Parameters"]["ChatraceAllowedHosts"]
    return found


def test_the_default_is_chatraces_own_api_and_app_hosts_as_the_code_assumes(template: dict[str, Any]) -> None:
    assert parameter(template)["Default"] == "api.chatrace.com,app.chatrace.com"
    assert tuple(parameter(template)["Default"].split(",")) == DEFAULT_CHATRACE_ALLOWED_HOSTS


@pytest.mark.parametrize(
    ("value", "deployable"),
    [
        ("api.chatrace.com,app.chatrace.com", True),
        ("api.chatrace.com,app.chatrace.com,app.my-whitelabel.com", True),
        ("api.chatrace.com", True),
        ("api.chatrace.com,127.0.0.1", False),
        ("localhost", False),
        ("api.chatrace.com,localhost,app.chatrace.com", False),
        ("127.1", False),
        ("api.chatrace.com, app.chatrace.com", False),
        ("https://api.chatrace.com", False),
        ("API.chatrace.com", False),
        ("api.chatrace.com:443", False),
        ("", False),
        ("*.chatrace.com", False),
    ],
)
def test_a_deployed_stack_cannot_allow_a_loopback_address_so_every_call_is_https(
    template: dict[str, Any], value: str, deployable: bool
) -> None:
    # CloudFormation matches AllowedPattern against the whole value (a Java regex; Python reads it alike)
    assert bool(re.fullmatch(parameter(template)["AllowedPattern"], value)) is deployable
    if deployable:  # and what deploys is what the functions accept
        environ = {"TABLE_NAME": "table", "SETTINGS_PREFIX": "/s", "CHATRACE_ALLOWED_HOSTS": value}
        assert FunctionEnvironment.from_environ(environ).chatrace_allowed_hosts == tuple(value.split(","))


def test_make_dev_adds_only_loopback_addresses(template: dict[str, Any]) -> None:
    assert not any(re.fullmatch(parameter(template)["AllowedPattern"], host) for host in LOOPBACK_HOSTS)


def test_the_functions_that_send_the_token_get_the_list_and_the_webhook_does_not(
    resources: dict[str, Any],
) -> None:
    def variables(name: str) -> dict[str, Any]:
        found: dict[str, Any] = resources[name]["Properties"]["Environment"]["Variables"]
        return found

    for name in ("ConfigFunction", "PollerFunction"):
        assert variables(name)["CHATRACE_ALLOWED_HOSTS"] == {"Ref": "ChatraceAllowedHosts"}
    assert "CHATRACE_ALLOWED_HOSTS" not in variables("WebhookFunction")
