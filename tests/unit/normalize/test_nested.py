from __future__ import annotations

import pytest

from .helpers import RECEIVED_AT_TEXT, ignored, only, unrecognized


def test_sender_and_message_objects_give_one_message() -> None:
    message = only(
        {
            "sender": {"id": "555", "username": "nested.user"},
            "message": {"mid": "m1", "text": "hi"},
            "timestamp": 1731499320,
        }
    )
    assert (message.format, message.senderId, message.messageId, message.username, message.text) == (
        "nested",
        "555",
        "m1",
        "nested.user",
        "hi",
    )
    assert message.timestamp == "2024-11-13T12:02:00Z"


@pytest.mark.parametrize("key", ["mid", "id", "message_id", "messageId"])
def test_message_object_id_aliases_are_the_message_id(key: str) -> None:
    assert only({"sender": {"id": "1"}, "message": {key: "the-id", "text": "x"}}).messageId == "the-id"


def test_top_level_id_is_never_the_message_id() -> None:
    message = only({"id": "contact-or-event", "sender": {"id": "1"}, "message": {"text": "x"}})
    assert message.messageId.startswith("sha256:")


def test_from_object_is_the_sender() -> None:
    message = only({"from": {"id": 42, "username": "@bob"}, "message": "plain string text"})
    assert (message.senderId, message.username, message.text) == ("42", "bob", "plain string text")


@pytest.mark.parametrize("key", ["contact", "user"])
def test_a_contact_or_user_object_is_the_sender(key: str) -> None:
    """What a bot builder writes for Chatrace's {{user_id}} / {{ig_user_name}} when nesting them."""
    message = only({key: {"id": "2850008055041461", "name": "Anna K"}, "text": "hi"})
    assert (message.format, message.senderId, message.username, message.text) == (
        "nested",
        "2850008055041461",
        "Anna K",
        "hi",
    )
    wrapped = only({"data": {key: {"user_id": 77, "ig_user_name": "anna.k"}, "message": {"text": "yo"}}})
    assert (wrapped.senderId, wrapped.username, wrapped.text) == ("77", "anna.k", "yo")


def test_message_as_plain_string_is_the_text() -> None:
    assert only({"sender": {"id": "1"}, "message": "hello"}).text == "hello"


def test_timestamp_inside_the_message_object_is_used_when_top_level_has_none() -> None:
    message = only({"sender": {"id": "1"}, "message": {"text": "x", "timestamp": "2024-11-13T12:00:00+0000"}})
    assert message.timestamp == "2024-11-13T12:00:00Z"


def test_top_level_timestamp_wins_over_the_message_one() -> None:
    message = only(
        {"sender": {"id": "1"}, "timestamp": 1731499200, "message": {"text": "x", "timestamp": 1731499260}}
    )
    assert message.timestamp == "2024-11-13T12:00:00Z"


def test_flat_sender_with_a_message_object_is_a_nested_cousin() -> None:
    message = only({"senderId": "9", "username": "u", "message": {"message_id": "m", "text": "x"}})
    assert (message.format, message.senderId, message.messageId, message.username) == (
        "nested",
        "9",
        "m",
        "u",
    )


def test_sender_object_with_top_level_text_is_a_nested_cousin() -> None:
    message = only({"sender": {"id": "9", "name": "Anna K"}, "text": "x", "messageId": "m"})
    assert (message.senderId, message.messageId, message.text, message.username) == ("9", "m", "x", "Anna K")


def test_username_beats_a_display_name_anywhere() -> None:
    message = only({"sender": {"id": "9", "name": "Anna K"}, "username": "anna.k", "message": {"text": "x"}})
    assert message.username == "anna.k"


def test_attachments_inside_the_message_object() -> None:
    message = only(
        {
            "sender": {"id": "1"},
            "message": {
                "attachments": [
                    {"type": "video", "payload": {"url": "https://v"}},
                    {"type": "image", "url": "https://i"},
                ]
            },
        }
    )
    assert [(a.type, a.url) for a in message.attachments] == [("video", "https://v"), ("image", "https://i")]
    assert message.text is None


def test_bare_meta_messaging_item_is_nested() -> None:
    message = only(
        {
            "sender": {"id": "1"},
            "recipient": {"id": "2"},
            "timestamp": 1731499380000,
            "message": {"mid": "m", "text": "x"},
        }
    )
    assert (message.format, message.messageId) == ("nested", "m")


@pytest.mark.parametrize("flag", ["is_echo", "is_deleted"])
def test_echo_or_deleted_nested_message_is_ignored(flag: str) -> None:
    ignored({"sender": {"id": "1"}, "message": {"mid": "m", "text": "x", flag: "TRUE"}})


@pytest.mark.parametrize("event", ["read", "reaction", "postback", "message_edit"])
def test_bare_meta_event_items_are_recognized_and_ignored(event: str) -> None:
    ignored({"sender": {"id": "1"}, "recipient": {"id": "2"}, event: {"mid": "m", "title": "Button"}})


def test_nested_without_sender_id_is_unrecognized() -> None:
    unrecognized({"sender": {"name": "x"}, "message": {"text": "hi"}})


def test_nested_without_content_is_unrecognized() -> None:
    unrecognized({"sender": {"id": "1"}, "message": {"mid": "m", "text": ""}})


def test_nested_without_any_time_uses_the_receive_time() -> None:
    assert only({"sender": {"id": "1"}, "message": {"text": "x"}}).timestamp == RECEIVED_AT_TEXT
