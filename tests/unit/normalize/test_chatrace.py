from __future__ import annotations

import pytest

from .helpers import RECEIVED_AT_TEXT, only, unrecognized

CDN = "https://cdn.chatrace.com/u/12345/photo.jpg?sig=AbC"


@pytest.mark.parametrize(
    "marker",
    [
        {"last_input": "hi"},
        {"last_input_type": "text", "text": "hi"},
        {"input_type": "text", "text": "hi"},
        {"ig_user_name": "a", "text": "hi"},
        {"source": "Chatrace", "text": "hi"},
        {"first_name": "Oleg", "text": "hi"},
        {"last_name": "M", "text": "hi"},
    ],
)
def test_chatrace_bodies_are_recognized_by_their_system_fields(marker: dict[str, str]) -> None:
    assert only({"user_id": "7", **marker}).format == "chatrace"


def test_contact_id_alone_marks_a_chatrace_body() -> None:
    message = only({"contact_id": 2850008055041461, "text": "hi"})
    assert (message.format, message.senderId) == ("chatrace", "2850008055041461")


def test_user_id_without_chatrace_fields_is_plain_flat() -> None:
    assert only({"user_id": "7", "text": "hi"}).format == "flat"


@pytest.mark.parametrize("kind", ["image", "video", "audio", "file", "IMAGE"])
def test_last_input_url_of_a_media_type_is_an_attachment_not_text(kind: str) -> None:
    message = only({"user_id": "7", "last_input": CDN, "last_input_type": kind})
    assert message.text is None
    assert [(a.type, a.url) for a in message.attachments] == [(kind.lower(), CDN)]


def test_input_type_works_like_last_input_type_for_the_text_field() -> None:
    message = only({"source": "chatrace", "contact_id": "7", "text": CDN, "input_type": "video"})
    assert [(a.type, a.url) for a in message.attachments] == [("video", CDN)]


def test_a_link_typed_as_text_stays_text() -> None:
    message = only({"user_id": "7", "last_input": "https://shop.example/dress", "last_input_type": "text"})
    assert (message.text, message.attachments) == ("https://shop.example/dress", ())


def test_media_type_with_a_non_url_value_stays_text() -> None:
    message = only({"user_id": "7", "last_input": "[image]", "last_input_type": "image"})
    assert (message.text, message.attachments) == ("[image]", ())


def test_empty_last_input_type_falls_through_to_input_type() -> None:
    message = only({"user_id": "7", "last_input": CDN, "last_input_type": "", "input_type": "audio"})
    assert message.attachments[0].type == "audio"


def test_chatrace_media_message_id_is_derived_from_the_url() -> None:
    one = only({"user_id": "7", "last_input": CDN, "last_input_type": "image", "sent_at": 1731499200})
    other = only({"user_id": "7", "last_input": CDN + "x", "last_input_type": "image", "sent_at": 1731499200})
    assert one.messageId.startswith("sha256:")
    assert one.messageId != other.messageId


def test_empty_rendered_fields_are_missing() -> None:
    message = only(
        {
            "user_id": "7",
            "username": "",
            "ig_user_name": "oleg_m",
            "first_name": "",
            "last_input": "hi",
            "last_interaction": "",
            "sent_at": "1731499200000",
        }
    )
    assert (message.username, message.timestamp) == ("oleg_m", "2024-11-13T12:00:00Z")


def test_first_name_is_not_a_username() -> None:
    assert only({"user_id": "7", "first_name": "Oleg", "last_name": "M", "last_input": "hi"}).username is None


def test_last_interaction_is_the_message_time() -> None:
    message = only({"user_id": "7", "last_input": "hi", "last_interaction": "1731499200000"})
    assert message.timestamp == "2024-11-13T12:00:00Z"


def test_chatrace_without_a_time_uses_the_receive_time() -> None:
    assert only({"user_id": "7", "last_input": "hi"}).timestamp == RECEIVED_AT_TEXT


def test_chatrace_without_text_is_unrecognized_so_the_body_is_kept() -> None:
    unrecognized({"user_id": "7", "last_input": "", "last_input_type": "text"})


def test_chatrace_without_sender_is_unrecognized() -> None:
    unrecognized({"user_id": "", "contact_id": "{{user_id}}", "last_input": "hi"})


def test_unrendered_placeholder_text_is_missing() -> None:
    unrecognized({"user_id": "7", "last_input": "{{last_imput}}"})
