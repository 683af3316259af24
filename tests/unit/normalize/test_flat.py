from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, parse_qsl

import pytest

from tests.bodies import SEED, SEED_MESSAGE

from .helpers import RECEIVED_AT_TEXT, ignored, load, only, sample_files, unrecognized


def test_seed_body_is_flat() -> None:
    message = only(SEED)
    assert {k: v for k, v in message.to_json().items() if k != "receivedAt"} == SEED_MESSAGE
    assert message.receivedAt == RECEIVED_AT_TEXT


@pytest.mark.parametrize(
    "key",
    [
        "senderId",
        "sender_id",
        "userId",
        "user_id",
        "contact_id",
        "contactId",
        "fromId",
        "from_id",
        "igsid",
        "ig_id",
    ],
)
def test_sender_aliases(key: str) -> None:
    assert only({key: "42", "text": "x"}).senderId == "42"


@pytest.mark.parametrize("key", ["messageId", "message_id", "mid"])
def test_message_id_aliases(key: str) -> None:
    assert only({"senderId": "1", key: "m-1", "text": "x"}).messageId == "m-1"


@pytest.mark.parametrize("key", ["text", "message", "content", "body", "last_input", "last_input_text"])
def test_text_aliases(key: str) -> None:
    assert only({"senderId": "1", key: "hello"}).text == "hello"


@pytest.mark.parametrize(
    "key", ["username", "ig_username", "ig_user_name", "user_name", "senderName", "sender_name"]
)
def test_username_aliases(key: str) -> None:
    assert only({"senderId": "1", "text": "x", key: "anna"}).username == "anna"


@pytest.mark.parametrize(
    "key",
    ["timestamp", "time", "created_at", "createdAt", "created_time", "sent_at", "sentAt", "last_interaction"],
)
def test_timestamp_aliases(key: str) -> None:
    assert only({"senderId": "1", "text": "x", key: "1731499200"}).timestamp == "2024-11-13T12:00:00Z"


def test_top_level_id_is_never_the_message_id() -> None:
    message = only({"id": "777", "senderId": "1", "text": "x"})
    assert message.messageId.startswith("sha256:")


def test_name_is_the_username_only_as_a_last_resort() -> None:
    assert only({"senderId": "1", "text": "x", "name": "Anna K"}).username == "Anna K"
    assert only({"senderId": "1", "text": "x", "name": "Anna K", "ig_username": "anna"}).username == "anna"


def test_empty_strings_are_missing_and_the_next_alias_is_used() -> None:
    message = only(
        {
            "senderId": "",
            "sender_id": " 42 ",
            "messageId": "",
            "mid": "m",
            "text": "",
            "message": "hi",
            "username": "",
        }
    )
    assert (message.senderId, message.messageId, message.text, message.username) == ("42", "m", "hi", None)


def test_unparseable_timestamp_falls_through_to_the_next_alias() -> None:
    message = only(
        {"senderId": "1", "text": "x", "timestamp": "", "time": "soon", "created_at": "2024-11-13T12:00:00Z"}
    )
    assert message.timestamp == "2024-11-13T12:00:00Z"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (123456789, "123456789"),
        (12345678901234567890, "12345678901234567890"),
        (1.2345678e9, "1234567800"),
        ("  0042 ", "0042"),
    ],
)
def test_numeric_ids_become_exact_strings(raw: object, expected: str) -> None:
    message = only({"senderId": raw, "messageId": raw, "text": "x"})
    assert (message.senderId, message.messageId) == (expected, expected)


@pytest.mark.parametrize("raw", [True, False, "", "  ", None, {"id": 1}, [1, 2]])
def test_body_without_a_usable_sender_is_unrecognized(raw: object) -> None:
    unrecognized({"senderId": raw, "text": "x"})


def test_text_as_a_number_is_text() -> None:
    assert only({"senderId": "1", "text": 42}).text == "42"


def test_text_keeps_inner_newlines() -> None:
    assert only({"senderId": "1", "text": "  first line\nsecond line  "}).text == "first line\nsecond line"


def test_sender_without_text_or_attachment_is_unrecognized() -> None:
    unrecognized({"senderId": "1", "messageId": "m", "text": "", "username": "u"})


def test_message_object_in_text_alias_is_not_text() -> None:
    unrecognized({"senderId": "1", "message": {"foo": "bar"}})


def test_attachments_list_in_a_flat_body() -> None:
    message = only(
        {
            "senderId": "1",
            "attachments": [
                {"type": "image", "url": "https://i"},
                {"type": "video", "payload": {"url": "https://v"}},
                "https://f",
                {"type": "image"},
                "not a url",
            ],
        }
    )
    assert message.text is None
    assert [(a.type, a.url) for a in message.attachments] == [
        ("image", "https://i"),
        ("video", "https://v"),
        ("file", "https://f"),
    ]


def test_single_attachment_object() -> None:
    message = only(
        {"senderId": "1", "text": "look", "attachment": {"type": "image", "payload": {"url": "https://i"}}}
    )
    assert [(a.type, a.url) for a in message.attachments] == [("image", "https://i")]


def test_attachment_type_as_number_becomes_a_string() -> None:
    assert (
        only({"senderId": "1", "attachments": [{"type": 3, "url": "https://i"}]}).attachments[0].type == "3"
    )


@pytest.mark.parametrize("flag", [True, "TRUE", "1", 1])
def test_flat_echo_is_ignored(flag: object) -> None:
    ignored({"senderId": "1", "text": "our reply", "is_echo": flag})


def _form_sample() -> str:
    path = next(p for p in sample_files() if p.stem == "08-form-encoded")
    raw: str = load(path)["request"]["rawBody"]
    return raw


@pytest.mark.parametrize("parse", [lambda raw: dict(parse_qsl(raw)), parse_qs], ids=["parse_qsl", "parse_qs"])
def test_form_encoded_sample_parsed_either_way_is_flat(parse: Any) -> None:
    message = only(parse(_form_sample()))
    assert (message.senderId, message.messageId, message.text, message.username, message.timestamp) == (
        "24680",
        "form-1",
        "hello from a form",
        "form_user",
        "2024-11-13T12:06:00Z",
    )


def test_a_message_body_with_a_data_key_is_still_one_message() -> None:
    message = only({"senderId": "1", "text": "x", "data": {"senderId": "2", "text": "y"}})
    assert message.senderId == "1"
