from __future__ import annotations

from typing import Any

import pytest
from inbox.normalize.fieldmap import compile_field_map, resolve

from .helpers import RECEIVED_AT_TEXT, ignored, norm, only, unrecognized

BODY = {
    "event": "dm",
    "payload": {"contact": {"id": 555, "handle": "@anna"}, "msg": {"body": "hello", "ref": "r-1"}},
    "items": [{"text": "first"}, {"text": "second"}],
    "when": "2024-11-13T12:00:00+0000",
}
MAP = {
    "senderId": ["payload.contact.id"],
    "text": ["payload.msg.body"],
    "messageId": ["payload.msg.ref"],
    "username": ["payload.contact.handle"],
    "timestamp": ["when"],
}


def test_field_map_reads_dotted_paths() -> None:
    message = only(BODY, field_map=MAP)
    assert (message.format, message.senderId, message.text, message.messageId, message.username) == (
        "fieldmap",
        "555",
        "hello",
        "r-1",
        "anna",
    )
    assert message.timestamp == "2024-11-13T12:00:00Z"


def test_body_without_a_field_map_is_left_to_the_built_ins() -> None:
    """Without the map, only the shape of its objects reads it: no message id (``ref`` is no alias)."""
    message = only(BODY)
    assert (message.format, message.senderId, message.text, message.username) == (
        "shape",
        "555",
        "hello",
        "anna",
    )
    assert message.messageId.startswith("sha256:")


@pytest.mark.parametrize(
    ("path", "expected"), [("items.0.text", "first"), ("items.1.text", "second"), ("items.-1.text", "second")]
)
def test_integer_segments_index_lists(path: str, expected: str) -> None:
    assert only(BODY, field_map={**MAP, "text": [path]}).text == expected


def test_paths_are_tried_in_order() -> None:
    assert only(BODY, field_map={**MAP, "text": ["nope", "items.5.text", "items.0.text"]}).text == "first"


def test_field_map_is_tried_before_the_built_in_adapters() -> None:
    body = {"senderId": "1", "text": "built-in", "custom": {"text": "mapped"}}
    message = only(body, field_map={"text": ["custom.text"]})
    assert (message.format, message.text, message.senderId) == ("fieldmap", "mapped", "1")


def test_fields_not_in_the_map_fall_back_to_the_flat_aliases() -> None:
    message = only({"user_id": "9", "msg": "hi", "messageId": "m"}, field_map={"text": ["msg"]})
    assert (message.format, message.senderId, message.text, message.messageId) == ("fieldmap", "9", "hi", "m")


def test_map_that_finds_nothing_leaves_the_body_to_the_built_ins() -> None:
    assert only({"senderId": "1", "text": "x"}, field_map={"text": ["custom.text"]}).format == "flat"


def test_map_without_sender_or_content_does_not_match() -> None:
    unrecognized({"who": "1"}, field_map={"senderId": ["who"]})


def test_mapped_attachments() -> None:
    body = {"who": "1", "files": [{"kind": "x", "url": "https://a"}, "https://b"]}
    message = only(body, field_map={"senderId": ["who"], "attachments": ["files"]})
    assert [(a.type, a.url) for a in message.attachments] == [("file", "https://a"), ("file", "https://b")]


def test_operator_may_map_a_top_level_id_as_the_message_id() -> None:
    message = only(
        {"id": "evt-1", "who": "1", "t": "x"},
        field_map={"senderId": ["who"], "text": ["t"], "messageId": ["id"]},
    )
    assert message.messageId == "evt-1"


def test_mapped_body_without_time_uses_the_receive_time() -> None:
    assert (
        only({"who": "1", "t": "x"}, field_map={"senderId": ["who"], "text": ["t"]}).timestamp
        == RECEIVED_AT_TEXT
    )


def test_field_map_applies_to_wrapped_items() -> None:
    result = norm(
        {"data": [{"who": "1", "t": "x"}, {"who": "2", "t": "y"}]},
        field_map={"senderId": ["who"], "text": ["t"]},
    )
    assert (result.format, [m.senderId for m in result.messages]) == ("fieldmap", ["1", "2"])


def test_mapped_echo_is_ignored() -> None:
    ignored({"who": "1", "t": "x", "is_echo": "true"}, field_map={"senderId": ["who"], "text": ["t"]})


@pytest.mark.parametrize(
    "field_map",
    [
        {},
        {"unknown": ["a"]},
        {"senderId": []},
        {"senderId": [None, 5, "", "  "]},
        {"senderId": 5},
        {"senderId": {"a": "b"}},
        "senderId",
        ["senderId"],
        5,
    ],
)
def test_malformed_field_maps_are_ignored(field_map: Any) -> None:
    assert compile_field_map(field_map) is None
    assert only({"senderId": "1", "text": "x"}, field_map=field_map).format == "flat"


def test_a_single_path_string_is_accepted_for_a_field() -> None:
    assert only(BODY, field_map={**MAP, "text": "items.1.text"}).text == "second"


def test_unknown_field_names_are_ignored_next_to_known_ones() -> None:
    compiled = compile_field_map({"senderId": ["a"], "colour": ["b"]})
    assert compiled is not None
    assert set(compiled) == {"senderId"}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"a": "x"}, "a.b"),
        ({"a": [1]}, "a.5"),
        ({"a": [1]}, "a.key"),
        ({"a": None}, "a.b"),
        ("string", "a"),
        ([{"b": 1}], "x.b"),
    ],
)
def test_resolve_returns_none_for_paths_that_do_not_exist(body: object, path: str) -> None:
    compiled = compile_field_map({"text": [path]})
    assert compiled is not None
    assert resolve(body, compiled["text"][0]) is None


def test_digit_segment_on_an_object_is_a_key() -> None:
    compiled = compile_field_map({"text": ["a.0"]})
    assert compiled is not None
    assert resolve({"a": {"0": "zero"}}, compiled["text"][0]) == "zero"


def test_map_can_read_a_top_level_list_body() -> None:
    message = only([{"who": "1"}, {"t": "x"}], field_map={"senderId": ["0.who"], "text": ["1.t"]})
    assert (message.senderId, message.text) == ("1", "x")
