"""Bodies read by the shape of their objects, not their keys (inbox.normalize.shapes)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from inbox.normalize import nested, shapes, wrappers
from inbox.normalize.coerce import as_id, as_text

from .helpers import ignored, norm, only, unrecognized
from .test_properties import KNOWN_KEYS, SETTINGS, any_text, value
from .test_properties import _check_invariants as check_invariants
from .test_properties import _unguarded as unguarded

PERSON = {"id": "17841400000000001", "username": "anna.k"}
TEXT = {"mid": "m-1", "text": "hi"}


def _body(sender_key: str, **extra: Any) -> dict[str, Any]:
    return {sender_key: dict(PERSON), "msg": dict(TEXT), **extra}


@pytest.mark.parametrize(
    "key",
    ["customer", "subscriber", "profile", "author", "participant", "client", "lead", "person", "visitor",
     "lead_contact", "senderAttendee", "igUser"],
)  # fmt: skip
def test_a_person_under_any_key_is_the_sender(key: str) -> None:
    message = only(_body(key))
    assert (message.format, message.senderId, message.username, message.text, message.messageId) == (
        "shape",
        "17841400000000001",
        "anna.k",
        "hi",
        "m-1",
    )


@pytest.mark.parametrize(
    "key",
    ["recipient", "receiver", "to", "page", "business", "account", "owner", "bot", "agent", "assignee",
     "channel", "inbox", "chat", "conversation", "pageOwner", "to_user", "bot_profile", "BusinessAccount",
     "reply_to", "quoted_user"],
)  # fmt: skip
def test_a_person_under_a_key_that_names_the_other_side_is_never_the_sender(key: str) -> None:
    unrecognized(_body(key))


def test_the_recipient_is_not_taken_when_the_sender_is_under_another_key() -> None:
    body = {
        "recipient": {"id": "999", "name": "Our Shop"},
        "customer": {"id": "42", "name": "Anna"},
        "msg": TEXT,
    }
    assert only(body).senderId == "42"


def test_a_known_name_beats_a_person_under_another_key() -> None:
    body = {"customer": {"id": "42", "name": "Anna"}, "from": {"id": "7"}, "msg": TEXT}
    assert only(body).senderId == "7"


def test_two_people_with_different_ids_make_it_unrecognized_rather_than_a_guess() -> None:
    unrecognized(
        {"customer": {"id": "42", "name": "Anna"}, "client": {"id": "43", "name": "Bob"}, "msg": TEXT}
    )


def test_two_people_with_the_same_id_are_one_sender() -> None:
    body = {
        "customer": {"id": "42", "name": "Anna"},
        "profile": {"user_id": 42, "username": "anna"},
        "msg": TEXT,
    }
    message = only(body)
    assert (message.senderId, message.username) == ("42", "Anna")


@pytest.mark.parametrize(
    "marks", [{"is_bot": True}, {"bot": "TRUE"}, {"type": "agent"}, {"role": "Bot"}, {"type": "page"}]
)
def test_a_person_marked_as_a_bot_agent_or_page_is_not_a_candidate(marks: dict[str, object]) -> None:
    body = {
        "helper": {"id": "1", "name": "Shop bot", **marks},
        "customer": {"id": "42", "name": "Anna"},
        "msg": TEXT,
    }
    assert only(body).senderId == "42"


def test_an_id_without_a_name_is_not_a_person() -> None:
    unrecognized({"customer": {"id": "42"}, "msg": TEXT})
    unrecognized({"customer": {"name": "Anna"}, "msg": TEXT})


@pytest.mark.parametrize("key", ["msg", "payload", "data", "chatMessage", "incoming"])
def test_a_message_under_any_key_is_the_message(key: str) -> None:
    message = only({"customer": PERSON, key: {"id": "m-9", "body": "hello", "created_at": 1731499200}})
    assert (message.messageId, message.text, message.timestamp) == ("m-9", "hello", "2024-11-13T12:00:00Z")


def test_a_flat_sender_id_with_a_message_under_another_key() -> None:
    message = only({"senderId": "5", "event": "dm", "msg": {"text": "hi", "id": "m-2"}})
    assert (message.senderId, message.messageId, message.text) == ("5", "m-2", "hi")


@pytest.mark.parametrize(
    "key", ["reply_to", "quoted_message", "referral", "context", "story", "bot", "agent_reply"]
)
def test_context_is_never_the_message(key: str) -> None:
    unrecognized({"customer": PERSON, key: {"mid": "earlier", "text": "what you replied to"}})


def test_of_two_messages_the_one_with_an_id_or_time_is_the_message() -> None:
    body = {"customer": PERSON, "preview": {"text": "short"}, "msg": {"text": "full text", "id": "m-3"}}
    assert only(body).text == "full text"


def test_two_messages_with_ids_make_it_unrecognized() -> None:
    unrecognized({"customer": PERSON, "first": {"text": "a", "id": "1"}, "second": {"text": "b", "id": "2"}})


def test_a_message_object_may_hold_its_content_one_level_down() -> None:
    """respond.io's shape: the message's id and time outside, its text in message.message."""
    body = {
        "contact": {"id": 1029, "firstName": "Anna", "lastName": "K"},
        "message": {"messageId": 5501, "timestamp": 1731499200, "message": {"type": "text", "text": "hi"}},
    }
    message = only(body)
    assert (message.senderId, message.messageId, message.text, message.username) == (
        "1029",
        "5501",
        "hi",
        "Anna K",
    )
    assert message.timestamp == "2024-11-13T12:00:00Z"


def test_the_sender_inside_the_message_object() -> None:
    body = {
        "update_id": 1,
        "message": {
            "message_id": "m-77",
            "from": {"id": 555, "is_bot": False, "first_name": "Anna", "username": "anna_k"},
            "chat": {"id": 999, "first_name": "Someone else"},
            "text": "hello",
        },
    }
    message = only(body)
    assert (message.senderId, message.username, message.text, message.messageId) == (
        "555",
        "anna_k",
        "hello",
        "m-77",
    )


@pytest.mark.parametrize(
    "extra",
    [{"direction": "outbound"}, {"traffic": "outgoing"}, {"message_type": "outgoing"}, {"direction": "OUT"}],
)
def test_a_message_our_side_sent_is_recognized_and_skipped(extra: dict[str, object]) -> None:
    ignored({"customer": PERSON, "msg": {**TEXT, **extra}})
    ignored({"customer": PERSON, "msg": TEXT, **extra})


def test_a_known_sender_that_is_our_bot_is_recognized_and_skipped() -> None:
    """Landbot's message hooks name the bot as the sender of its own messages."""
    ignored(
        {"sender": {"id": 1, "name": "Landbot", "type": "bot"}, "data": {"body": "Welcome!"}, "timestamp": 1}
    )


def test_no_content_is_unrecognized() -> None:
    unrecognized({"customer": PERSON, "msg": {"id": "m", "text": ""}})
    unrecognized({"customer": PERSON, "event": "typing"})


def test_a_postback_next_to_a_person_is_recognized_and_skipped_like_metas() -> None:
    ignored({"customer": PERSON, "postback": {"mid": "m", "title": "Get started", "payload": "START"}})


def test_the_search_is_bounded_in_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the first MAX_KEYS keys of an object are looked at, however many it has."""
    filler = {f"k{i}": {"id": str(i), "note": "x"} for i in range(shapes.MAX_KEYS)}
    unrecognized({**filler, "customer": PERSON, "msg": TEXT})

    looked_at: list[object] = []
    is_person = shapes.is_person

    def counted(obj: dict[object, object]) -> bool:
        looked_at.append(obj)
        return is_person(obj)

    monkeypatch.setattr(shapes, "is_person", counted)
    huge = {f"k{i}": {"id": str(i), "name": "n"} for i in range(100_000)}
    unrecognized({**huge, "msg": TEXT})  # the first two of these people already make it ambiguous
    assert 0 < len(looked_at) <= shapes.MAX_KEYS


def test_names_read_by_name_keep_their_adapter() -> None:
    """Shapes are the last resort: a body any adapter or wrapper recognizes is read as before."""
    assert only({"senderId": "1", "text": "x", "profile": {"id": "2", "name": "n"}}).format == "flat"
    assert norm({"data": {"senderId": "1", "text": "x"}, "customer": PERSON}).messages[0].senderId == "1"


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("page_owner", {"page", "owner"}),
        ("toUser", {"to", "user"}),
        ("IGUser", {"ig", "user"}),
        ("sender-attendee", {"sender", "attendee"}),
        ("lead2", {"lead", "2"}),
    ],
)
def test_key_words(key: str, words: set[str]) -> None:
    assert shapes.key_words(key) == words


# --- properties -------------------------------------------------------------------------------

NAMED = frozenset(
    {
        *KNOWN_KEYS,
        *wrappers.WRAPPER_KEYS,
        *nested.SENDER_OBJECTS,
        "message", "entry", "object", "messaging", "standby", "changes", "read", "reaction",
        "postback", "message_edit", "delivery", "last_input_type", "ig_user_name", "contact_id",
        "page_id", "live_chat_url", "last_name", "user_id",
    }
)  # fmt: skip
"""Keys some adapter reads by name: renaming the sender's key to one of them is another body."""
FEWER = settings(SETTINGS, max_examples=100)

words = st.from_regex(r"[a-z][a-zA-Z_]{1,14}", fullmatch=True).filter(
    lambda word: word not in NAMED and not shapes.is_reserved(word)
)
ids = st.one_of(
    st.integers(min_value=1, max_value=10**20), st.from_regex(r"[0-9A-Za-z_-]{1,30}", fullmatch=True)
)
names = st.text(min_size=1, max_size=20).filter(lambda text: as_text(text) is not None)
people = st.fixed_dictionaries({"id": ids}, optional={"username": names, "name": names}).filter(
    lambda person: "username" in person or "name" in person
)
messages = st.fixed_dictionaries(
    {"text": names},
    optional={"mid": ids, "timestamp": st.integers(min_value=946_684_800, max_value=4_102_444_799)},
)


@FEWER
@given(word=words, person=people, message=messages)
def test_renaming_the_senders_key_to_any_unreserved_word_gives_the_same_message(
    word: str, person: dict[str, Any], message: dict[str, Any]
) -> None:
    """The same message, field for field; only its format says it was read by shape."""
    by_name = norm({"sender": person, "message": message})
    by_shape = norm({word: person, "message": message})
    assert (by_shape.format, by_name.format) == ("shape", "nested")
    assert [{**m.to_json(), "format": "-"} for m in by_shape.messages] == [
        {**m.to_json(), "format": "-"} for m in by_name.messages
    ]


@FEWER
@given(
    word=st.sampled_from(sorted(shapes.NOT_THE_SENDER)),
    prefix=st.sampled_from(["", "the_", "my"]),
    suffix=st.sampled_from(["", "_user", "Profile", "_info"]),
    person=people,
    message=messages,
)
def test_a_person_under_a_key_naming_the_other_side_is_never_the_sender(
    word: str, prefix: str, suffix: str, person: dict[str, Any], message: dict[str, Any]
) -> None:
    key = f"{prefix}{word}{suffix}" if prefix != "my" else f"my{word.capitalize()}{suffix}"
    result = norm({key: person, "message": message})
    assert result.format is None
    assert result.messages == ()


@FEWER
@given(first=words, second=words, one=people, other=people, message=messages)
def test_two_people_with_different_ids_are_never_guessed_between(
    first: str, second: str, one: dict[str, Any], other: dict[str, Any], message: dict[str, Any]
) -> None:
    assume(first != second and as_id(one["id"]) != as_id(other["id"]))
    result = norm({first: one, second: other, "message": message})
    assert result.format is None


shaped = st.dictionaries(
    st.one_of(words, st.sampled_from(sorted(shapes.NOT_THE_SENDER)), any_text),
    st.one_of(value, people, messages, st.fixed_dictionaries({"message": st.one_of(value, messages)})),
    max_size=8,
)


@FEWER
@given(body=st.one_of(shaped, st.fixed_dictionaries({"message": shaped}), st.lists(shaped, max_size=3)))
def test_bodies_read_by_shape_never_raise_and_keep_the_invariants(body: object) -> None:
    check_invariants(unguarded(body))
