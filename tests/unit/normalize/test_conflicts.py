"""One body, one sender (inbox.normalize.conflicts): a body naming two senders is never guessed at."""

from __future__ import annotations

import pytest

from .helpers import norm, only, unrecognized


@pytest.mark.parametrize(
    "body",
    [
        {"contact_id": "1", "last_input": "hi", "sender": {"id": "2"}},
        {"senderId": "1", "user_id": "2", "text": "hi"},
        {"contact_id": "1", "text": "hi", "object": "instagram", "entry": [
            {"messaging": [{"sender": {"id": "2"}, "message": {"mid": "m", "text": "hi"}}]}]},
        {"contact_id": "1", "last_input_text": "hi", "id": "2", "key": "user:2"},
        {"sender": {"id": "1"}, "from": {"id": "2"}, "message": {"text": "hi"}},
        {"key": "user:1", "id": "2", "last_input_text": "hi"},
    ],
    ids=["nested-over-chatrace", "two-flat-keys", "meta-over-chatrace", "manychat-over-chatrace",
         "two-sender-objects", "manychat-key-and-id-differ"],
)  # fmt: skip
def test_a_body_naming_two_senders_is_unrecognized(body: dict[str, object]) -> None:
    unrecognized(body)


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        ({"sender": {"id": "1"}, "senderId": 1, "message": {"text": "hi"}}, "nested"),
        ({"user": {"user_id": "7"}, "user_id": "7", "text": "hi"}, "nested"),
        ({"sender": "user", "user_id": "U1", "text": "hi"}, "flat"),
        ({"from": "+351910000000", "senderId": "1", "text": "hi"}, "flat"),
        ({"senderId": {"id": "9"}, "user_id": "1", "text": "hi"}, "flat"),
        ({"key": "user:5", "id": "5", "ig_id": "178414", "last_input_text": "hi"}, "manychat"),
        ({"contact_id": "", "user_id": "1", "last_input": "hi"}, "chatrace"),
    ],
    ids=["same-id-twice", "object-and-key-agree", "sender-as-a-word", "sms-from-number",
         "key-holding-an-object", "manychat-ig-id-is-no-declaration", "empty-value-declares-nothing"],
)  # fmt: skip
def test_what_does_not_name_a_second_sender_is_read_as_before(body: dict[str, object], fmt: str) -> None:
    assert only(body).format == fmt


def test_the_operators_field_map_is_exempt() -> None:
    body = {"user_id": "account-1", "payload": {"who": "42"}, "text": "hi"}
    message = only(body, field_map={"senderId": ["payload.who"]})
    assert (message.format, message.senderId) == ("fieldmap", "42")


def test_only_the_contradicted_item_of_a_list_is_unrecognized() -> None:
    honest, forged = {"senderId": "1", "text": "a"}, {"senderId": "1", "user_id": "2", "text": "b"}
    result = norm([honest, forged])
    assert [m.text for m in result.messages] == ["a"]
    assert result.unrecognizedParts == (forged,)
