"""Whatever a client sends, the webhook answers one of its documented statuses, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Invoke

DOCUMENTED = {200, 202, 400, 401, 413, 415}
HYPOTHESIS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=30,
)
# Bodies that look like messages, with every field of the wrong type now and then.
field_values = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.lists(st.text(), max_size=2)
)
MESSAGE_KEYS = (
    *("senderId", "user_id", "contact_id", "messageId", "mid", "id", "text", "last_input", "username"),
    *("timestamp", "sent_at", "last_interaction", "message", "sender", "entry", "object"),
)
message_like = st.fixed_dictionaries(
    {},
    optional=dict.fromkeys(MESSAGE_KEYS, field_values),
)
content_types = st.sampled_from(
    [
        "application/json",
        "text/plain",
        "",
        "application/x-www-form-urlencoded",
        "application/xml",
        "multipart/form-data",
        "application/json; charset=latin-1",
        "image/png",
        "TEXT/PLAIN",
    ]
) | st.text(max_size=30)


def check(result: dict[str, Any]) -> None:
    assert result["statusCode"] in DOCUMENTED, result
    body = json.loads(result["body"])
    if result["statusCode"] >= 400:
        assert isinstance(body["error"], str)
        assert body["error"]
    else:
        assert body["status"] in {"stored", "duplicate", "ignored", "unrecognized"}


@HYPOTHESIS
@given(body=json_values)
def test_any_json_value_gets_a_documented_answer(invoke_webhook: Invoke, body: object) -> None:
    raw = json.dumps(body).encode()
    check(invoke_webhook("POST", body=raw, headers={"content-type": "application/json"}))


@HYPOTHESIS
@given(body=message_like)
def test_message_like_bodies_with_wrong_types_get_a_documented_answer(
    invoke_webhook: Invoke, body: object
) -> None:
    check(
        invoke_webhook("POST", body=json.dumps(body).encode(), headers={"content-type": "application/json"})
    )


@HYPOTHESIS
@given(raw=st.binary(max_size=2000), content_type=content_types)
def test_any_bytes_with_any_content_type_get_a_documented_answer(
    invoke_webhook: Invoke, raw: bytes, content_type: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    check(invoke_webhook("POST", body=raw, headers=headers))


@HYPOTHESIS
@given(
    headers=st.dictionaries(
        st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20),
        st.text(max_size=40),
        max_size=5,
    ),
    query=st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4),
)
def test_any_headers_and_query_get_a_documented_answer(
    invoke_webhook: Invoke, headers: dict[str, str], query: dict[str, str]
) -> None:
    body = json.dumps({"senderId": "1", "text": "hi"}).encode()
    check(invoke_webhook("POST", body=body, headers=headers, query=query))


@pytest.mark.parametrize(
    "text",
    [
        "مرحبا بالعالم",  # RTL
        "a\u200bb\u200dc\ufeff",  # zero-width characters
        "👩‍👩‍👧‍👦🔥",
        "Привет, мир",
        "\\ud800 lone surrogate escaped",
        "x" * 200_000,
    ],
    ids=["rtl", "zero-width", "emoji", "cyrillic", "surrogate-text", "huge"],
)
def test_odd_unicode_is_stored_and_echoed_intact(invoke_webhook: Invoke, text: str) -> None:
    result = invoke_webhook(
        "POST",
        body=json.dumps({"senderId": "1", "messageId": f"u-{hash(text)}", "text": text}).encode(),
        headers={"content-type": "application/json"},
    )
    assert result["statusCode"] == 200
    assert json.loads(result["body"])["messages"][0]["text"] == text


def test_lone_surrogate_escape_in_json_is_answered_without_a_500(invoke_webhook: Invoke) -> None:
    raw = b'{"senderId": "1", "messageId": "lone", "text": "bad \\ud800 half"}'
    result = invoke_webhook("POST", body=raw, headers={"content-type": "application/json"})
    assert result["statusCode"] == 200
    stored_text = json.loads(result["body"])["messages"][0]["text"]
    assert stored_text.startswith("bad ")
    stored_text.encode("utf-8")  # what DynamoDB and every client need: valid UTF-8
