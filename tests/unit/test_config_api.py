"""The config view shows whether secrets are set, never their values; updates are validated field by field."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from inbox.errors import InvalidRequest
from inbox.normalize import fieldmap
from inbox.operator.config import base_url, config_view
from inbox.operator.config_update import ConfigUpdate, FieldName, checked_update
from inbox.outbound import AllowedHosts
from inbox.polling.invocation import PollerConfig
from inbox.settings import (
    BY_FIELD,
    DEFAULT_CHATRACE_ALLOWED_HOSTS,
    SETTINGS,
    TOKEN_LIFETIME_SECONDS,
    FunctionEnvironment,
    Setting,
    Settings,
    token_lifetime,
)
from inbox.validation import validated

from tests.conftest import LogCapture

ENV = FunctionEnvironment(table_name="table", settings_prefix="/chatrace-inbox")
SECRET_VALUES = {
    "chatrace/token": "ct-0123456789abcdefWXYZ",
    "webhook/webhook-secret": "hook-secret-value",
    "auth/jwt-secret": "j" * 40,
    "auth/admin-email": "boss@example.com",
    "auth/admin-password-hash": "scrypt$1024$8$1$salt$hash",
}

POLLING = {
    "polling/enabled": "true",
    "chatrace/token": "t",
    "chatrace/account-id": "1",
    "chatrace/inbox-url": "https://app.example/php/user",
}


def view(values: dict[str, str], **headers: str) -> dict[str, Any]:
    return config_view(Settings(values), ENV, base_url=base_url(headers, domain_name=None, stage=None))


def update(body: dict[str, Any]) -> dict[str, str]:
    return checked_update(validated(ConfigUpdate, body), AllowedHosts(DEFAULT_CHATRACE_ALLOWED_HOSTS))


def refusal(body: dict[str, Any]) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        update(body)
    return caught.value


def test_the_field_names_are_the_normalizers_own() -> None:
    assert set(get_args(FieldName)) == set(fieldmap.FIELDS)


def test_secrets_show_only_whether_they_are_set_and_the_tokens_last_4() -> None:
    shown = view({**SECRET_VALUES, "chatrace/account-id": "1234"}, host="api.example.com")
    text = json.dumps(shown)
    for value in SECRET_VALUES.values():
        assert value not in text
    assert shown["secrets"]["chatraceToken"] == {"set": True, "last4": "WXYZ"}
    assert shown["secrets"]["webhookSecret"] == {"set": True}
    assert shown["secrets"]["metaAppSecret"] == {"set": False}
    assert shown["secrets"]["jwtSecret"] == {"set": True, "usable": True}
    assert shown["webhook"]["checks"] == {
        "webhookSecret": True,
        "metaSignature": False,
        "metaVerifyToken": False,
    }
    assert shown["accountId"] == "1234"


def test_a_short_chatrace_token_shows_no_characters() -> None:
    shown = view({"chatrace/token": "short-token"})
    assert shown["secrets"]["chatraceToken"] == {"set": True, "last4": None}


def test_unset_sentinels_read_as_not_set_and_polling_lists_what_is_missing() -> None:
    shown = view({"chatrace/account-id": "-", "chatrace/inbox-url": "-", "polling/enabled": "true"})
    assert shown["accountId"] is None
    assert shown["polling"] == {
        "enabled": True,
        "intervalSeconds": 10,
        "source": None,
        "ready": False,
        "missing": ["chatrace/token", "chatrace/account-id", "chatrace/inbox-url"],
        "status": None,  # the poller's own record; the operator API fills it in
    }


@pytest.mark.parametrize(("stored", "used"), [("15", 15), ("120", 10), ("0", 10), ("soon", 10), ("-", 10)])
def test_the_interval_shown_is_the_one_the_poller_uses(stored: str, used: int) -> None:
    settings = Settings({"polling/interval-seconds": stored})
    assert view(settings.values)["polling"]["intervalSeconds"] == used
    assert PollerConfig.from_settings(Settings({**settings.values, **POLLING})).interval_seconds == used


def test_a_broken_stored_field_map_is_reported_not_fatal() -> None:
    shown = view({"normalize/fieldmap": "{not json"})
    assert shown["fieldMap"] == {}
    assert "not valid JSON" in shown["fieldMapProblem"]


@pytest.mark.parametrize(
    ("headers", "domain", "stage", "expected"),
    [
        ({"host": "abc.execute-api.eu-west-1.amazonaws.com", "x-forwarded-proto": "https"}, None, None,
         "https://abc.execute-api.eu-west-1.amazonaws.com"),
        ({"host": "localhost:3000", "x-forwarded-proto": "http"}, None, "$default", "http://localhost:3000"),
        ({"host": "api.example.com"}, None, "prod", "https://api.example.com/prod"),
        ({"host": "evil.com/<script>", "x-forwarded-proto": "javascript"}, "abc.execute-api.aws", None,
         "https://abc.execute-api.aws"),
        ({}, None, None, "https://localhost"),
    ],
    ids=["api-gateway", "dev-server", "named-stage", "forged-host", "nothing"],
)  # fmt: skip
def test_the_webhook_url_is_built_from_the_request(
    headers: dict[str, str], domain: str | None, stage: str | None, expected: str
) -> None:
    assert base_url(headers, domain_name=domain, stage=stage) == expected


def test_only_the_fields_sent_are_written() -> None:
    assert update({"pollingEnabled": True, "pollIntervalSeconds": 15}) == {
        "polling/enabled": "true",
        "polling/interval-seconds": "15",
    }


def test_null_unsets_the_account_id_and_inbox_url() -> None:
    assert update({"accountId": None, "inboxUrl": None}) == {
        "chatrace/account-id": "-",
        "chatrace/inbox-url": "-",
    }


def test_every_setting_is_written_in_its_stored_form() -> None:
    written = update(
        {
            "accountId": 1234567,
            "inboxUrl": "https://app.chatrace.com/php/user",
            "pollingEnabled": False,
            "pollIntervalSeconds": 60,
            "tokenLifetimeSeconds": 900,
            "fieldMap": {"senderId": ["payload.contact.id"], "text": [" payload.msg ", "items.0.text"]},
        }
    )
    assert written == {
        "chatrace/account-id": "1234567",
        "chatrace/inbox-url": "https://app.chatrace.com/php/user",
        "polling/enabled": "false",
        "polling/interval-seconds": "60",
        "auth/token-lifetime-seconds": "900",
        "normalize/fieldmap": '{"senderId":["payload.contact.id"],"text":["payload.msg","items.0.text"]}',
    }


def test_replies_show_the_chatrace_api_and_channel_they_use() -> None:
    assert view({})["replies"] == {"apiUrl": "https://api.chatrace.com", "channel": "instagram"}
    stored = {"chatrace/api-url": "https://eu.api.chatrace.com", "chatrace/reply-channel": "ig"}
    assert view(stored)["replies"] == {"apiUrl": "https://eu.api.chatrace.com", "channel": "ig"}


def test_reply_settings_are_written_and_null_restores_the_defaults() -> None:
    assert update({"apiUrl": " https://api.chatrace.com/v2 ", "replyChannel": " ig "}) == {
        "chatrace/api-url": "https://api.chatrace.com/v2",
        "chatrace/reply-channel": "ig",
    }
    assert update({"apiUrl": None, "replyChannel": None}) == {
        "chatrace/api-url": "https://api.chatrace.com",
        "chatrace/reply-channel": "instagram",
    }


def test_a_local_inbox_url_may_use_http_when_make_dev_allows_its_loopback_address() -> None:
    local = AllowedHosts((*DEFAULT_CHATRACE_ALLOWED_HOSTS, "127.0.0.1"))
    assert checked_update(validated(ConfigUpdate, {"inboxUrl": "http://127.0.0.1:8080/php/user"}), local) == {
        "chatrace/inbox-url": "http://127.0.0.1:8080/php/user"
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pollIntervalSeconds": 0}, "pollIntervalSeconds"),
        ({"pollIntervalSeconds": 61}, "pollIntervalSeconds"),
        ({"pollIntervalSeconds": "10"}, "pollIntervalSeconds"),
        ({"pollingEnabled": "yes"}, "pollingEnabled"),
        ({"pollingEnabled": None}, "pollingEnabled"),
        ({"tokenLifetimeSeconds": 59}, "tokenLifetimeSeconds"),
        ({"tokenLifetimeSeconds": 86401}, "tokenLifetimeSeconds"),
        ({"accountId": "12ab"}, "accountId"),
        ({"accountId": True}, "accountId"),
        ({"inboxUrl": "ftp://app.chatrace.com"}, "inboxUrl"),
        ({"inboxUrl": "http://app.chatrace.com/php/user"}, "inboxUrl"),
        ({"inboxUrl": "https://user:pw@app.chatrace.com"}, "inboxUrl"),
        ({"inboxUrl": "not a url"}, "inboxUrl"),
        ({"apiUrl": "http://api.chatrace.com"}, "apiUrl"),
        ({"apiUrl": "api.chatrace.com"}, "apiUrl"),
        ({"replyChannel": ""}, "replyChannel"),
        ({"replyChannel": "insta gram"}, "replyChannel"),
        ({"replyChannel": "x" * 65}, "replyChannel"),
        ({"replyChannel": 10}, "replyChannel"),
        ({"fieldMap": {"sender": ["a.b"]}}, "fieldMap.sender"),
        ({"fieldMap": {"text": []}}, "fieldMap.text"),
        ({"fieldMap": {"text": "payload.msg"}}, "fieldMap.text"),
        ({"fieldMap": {"text": ["a..b"]}}, "fieldMap"),
        ({"fieldMap": {"text": [""]}}, "fieldMap.text.0"),
        ({"fieldMap": None}, "fieldMap"),
        ({"fieldMap": {"text": ["x" * 200] * 32}}, "fieldMap"),
        ({"webhookSecret": "nope"}, "webhookSecret"),
    ],
)
def test_bad_input_names_the_field_and_the_reason(body: dict[str, Any], field: str) -> None:
    error = refusal(body)
    assert error.field == field
    assert error.reason.startswith(f"{field}: ")
    assert len(error.reason) > len(field) + 4


def test_an_empty_update_is_refused() -> None:
    assert "nothing to update" in refusal({}).reason


def test_a_refusal_never_quotes_the_value_sent() -> None:
    error = refusal({"accountId": "my-secret-looking-value"})
    assert "my-secret-looking-value" not in error.reason


# ------------------------------------------------------------------ issue 11 item 4: settings declared once


NUMBERS = [s for s in SETTINGS if s.kind == "int" and s.field]
PATTERNED = [s for s in SETTINGS if s.pattern and s.field]
NULLABLE = [s for s in SETTINGS if s.field and s.kind in ("text", "url")]


def test_the_update_offers_exactly_the_tables_operator_settings() -> None:
    assert set(ConfigUpdate.model_fields) == set(BY_FIELD)


@pytest.mark.parametrize("setting", NUMBERS, ids=lambda s: s.name)
def test_a_number_is_refused_exactly_outside_the_tables_bounds(setting: Setting) -> None:
    assert setting.field is not None
    assert setting.bounds is not None
    low, high = setting.bounds
    assert update({setting.field: low}) == {setting.name: str(low)}
    assert update({setting.field: high}) == {setting.name: str(high)}
    for outside in (low - 1, high + 1):
        error = refusal({setting.field: outside})
        assert error.field == setting.field
        assert error.reason.endswith(str(low if outside < low else high))


@pytest.mark.parametrize("setting", PATTERNED, ids=lambda s: s.name)
def test_a_text_setting_is_refused_with_the_tables_rule(setting: Setting) -> None:
    assert setting.field is not None
    error = refusal({setting.field: "not valid!"})
    assert error.reason == f"{setting.field}: {setting.rule}"


@pytest.mark.parametrize("setting", NULLABLE, ids=lambda s: s.name)
def test_null_stores_the_tables_default(setting: Setting) -> None:
    assert setting.field is not None
    assert update({setting.field: None}) == {setting.name: setting.stored_default}


@pytest.mark.parametrize(("stored", "used"), [("900", 900), ("86400", 86400), ("100000", 3600), ("59", 3600)])
def test_a_stored_token_lifetime_out_of_range_is_not_clamped_but_replaced_by_the_default(
    stored: str, used: int, logs: LogCapture
) -> None:
    settings = Settings({"auth/token-lifetime-seconds": stored})
    assert token_lifetime(settings) == used
    assert view(settings.values)["auth"]["tokenLifetimeSeconds"] == used
    warned = [
        r for r in logs.records() if r["level"] == "WARNING" and r.get("setting") == TOKEN_LIFETIME_SECONDS
    ]
    assert bool(warned) == (used != int(stored))
    if warned:
        assert "must be a whole number from 60 to 86400; using 3600" in warned[0]["message"]
