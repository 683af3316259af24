from __future__ import annotations

from typing import Any

from .helpers import only, unrecognized


def _contact(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": "user:1234567890",
        "id": "1234567890",
        "page_id": "987",
        "status": "active",
        "first_name": "Anna",
        "last_name": "K",
        "name": "Anna K",
        "profile_pic": "https://cdn/p.jpg",
        "live_chat_url": "https://app.manychat.com/fb987/chat/1234567890",
        "last_input_text": "Is the blue dress still available?",
        "subscribed": "2024-01-01T00:00:00+00:00",
        "last_interaction": "2024-11-13T12:00:00+00:00",
        "last_seen": "2024-11-13T12:05:00+00:00",
        "ig_username": "anna.k",
        "ig_id": 5566778899,
        "custom_fields": {"order": 17},
    }
    body.update(overrides)
    return body


def test_full_contact_data_top_level_id_is_the_sender_not_the_message() -> None:
    message = only(_contact())
    assert message.format == "manychat"
    assert message.senderId == "1234567890"
    assert message.messageId.startswith("sha256:")
    assert (message.text, message.username) == ("Is the blue dress still available?", "anna.k")
    assert message.timestamp == "2024-11-13T12:00:00Z"


def test_two_messages_from_one_contact_get_different_ids() -> None:
    first = only(_contact(last_input_text="hello", last_interaction="2024-11-13T12:00:00+00:00"))
    second = only(_contact(last_input_text="hello again", last_interaction="2024-11-13T12:01:00+00:00"))
    assert first.messageId != second.messageId


def test_sender_comes_from_key_when_id_is_missing() -> None:
    assert only(_contact(id="")).senderId == "1234567890"


def test_ig_id_is_the_sender_only_as_a_last_resort() -> None:
    assert only(_contact(id=None, key=None)).senderId == "5566778899"


def test_name_is_the_username_only_without_an_instagram_handle() -> None:
    assert only(_contact(ig_username="")).username == "Anna K"


def test_ig_last_interaction_is_preferred() -> None:
    message = only(_contact(ig_last_interaction="2024-11-13T12:03:00+0000"))
    assert message.timestamp == "2024-11-13T12:03:00Z"


def test_misspelled_last_interraction_is_read() -> None:
    message = only(_contact(last_interaction=None, last_interraction="2024-11-13T07:00:00-05:00"))
    assert message.timestamp == "2024-11-13T12:00:00Z"


def test_last_input_text_with_a_contact_id_marks_manychat() -> None:
    message = only({"id": 1234567890123456789, "last_input_text": "hi"})
    assert (message.format, message.senderId) == ("manychat", "1234567890123456789")


def test_contact_without_last_input_is_unrecognized() -> None:
    unrecognized(_contact(last_input_text=""))
