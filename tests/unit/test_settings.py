"""The function environment is checked once at cold start; SSM values mean 'unset' when '-' or empty."""

from __future__ import annotations

import pytest
from inbox.settings import UNSET, FunctionEnvironment, Settings

VALID = {"TABLE_NAME": "stack-MessagesTable-ABC", "SETTINGS_PREFIX": "/chatrace-inbox"}


def test_template_environment_is_read_with_defaults() -> None:
    env = FunctionEnvironment.from_environ(VALID)
    assert env == FunctionEnvironment(
        table_name="stack-MessagesTable-ABC",
        settings_prefix="/chatrace-inbox",
        settings_max_age_seconds=60,
        unrecognized_ttl_days=30,
        max_body_bytes=256 * 1024,
    )


def test_numbers_and_a_trailing_slash_are_accepted() -> None:
    environ = {
        **VALID,
        "SETTINGS_PREFIX": "/stack/",
        "UNRECOGNIZED_TTL_DAYS": " 7 ",
        "SETTINGS_MAX_AGE_SECONDS": "0",
    }
    env = FunctionEnvironment.from_environ(environ)
    assert (env.settings_prefix, env.unrecognized_ttl_days, env.settings_max_age_seconds) == ("/stack", 7, 0)


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ValueError) as caught:
        FunctionEnvironment.from_environ({"SETTINGS_PREFIX": "no-slash", "UNRECOGNIZED_TTL_DAYS": "soon"})
    message = str(caught.value)
    assert "TABLE_NAME" in message
    assert "SETTINGS_PREFIX" in message
    assert "UNRECOGNIZED_TTL_DAYS" in message


@pytest.mark.parametrize("value", ["0", "-5", "99999", "1.5"])
def test_out_of_range_numbers_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="UNRECOGNIZED_TTL_DAYS"):
        FunctionEnvironment.from_environ({**VALID, "UNRECOGNIZED_TTL_DAYS": value})


@pytest.mark.parametrize("stored", [UNSET, "", "   ", None])
def test_unset_values_read_as_none(stored: str | None) -> None:
    values = {} if stored is None else {"webhook/webhook-secret": stored}
    settings = Settings(values)
    assert settings.get("webhook/webhook-secret") is None
    assert not settings.is_set("webhook/webhook-secret")


def test_set_values_are_returned_as_stored() -> None:
    assert Settings({"fieldmap": ' {"a": 1} '}).get("fieldmap") == ' {"a": 1} '
