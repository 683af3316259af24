"""`make dev` takes its INBOX_* settings as a deploy takes stack parameters: within the settings
table's range (inbox.settings.SETTINGS), or not at all — never clamped, never silently replaced."""

from __future__ import annotations

import pytest
from inbox_dev.devprocess import start_dev_server
from inbox_dev.local_aws import parameter_overrides_from_env

pytestmark = pytest.mark.e2e


def test_an_out_of_range_setting_stops_make_dev_with_the_rule() -> None:
    with pytest.raises(RuntimeError) as caught:
        start_dev_server({"INBOX_POLL_INTERVAL_SECONDS": "61"})
    message = str(caught.value)
    assert "dev server exited with 1" in message
    assert "INBOX_POLL_INTERVAL_SECONDS must be a whole number from 1 to 60" in message


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("INBOX_POLL_INTERVAL_SECONDS", "0", "must be a whole number from 1 to 60"),
        ("INBOX_POLL_INTERVAL_SECONDS", "soon", "must be a whole number from 1 to 60"),
        ("INBOX_CHATRACE_ACCOUNT_ID", "12ab", "must be the Chatrace account id (digits)"),
    ],
)
def test_each_refusal_names_the_variable_and_the_tables_rule(variable: str, value: str, reason: str) -> None:
    with pytest.raises(SystemExit) as caught:
        parameter_overrides_from_env({variable: value})
    assert str(caught.value).startswith(f"{variable} {reason}")


def test_settings_within_range_become_the_stacks_parameters() -> None:
    environ = {
        "INBOX_POLL_INTERVAL_SECONDS": "60",
        "INBOX_CHATRACE_ACCOUNT_ID": "123",
        "INBOX_POLLING_ENABLED": "1",
    }
    assert parameter_overrides_from_env(environ) == {
        "PollIntervalSeconds": "60",
        "ChatraceAccountId": "123",
        "PollingEnabled": "true",
    }
