from __future__ import annotations

import json
from typing import Any

import pytest
from inbox.normalize.context import MAX_ITEMS
from inbox.normalize.wrappers import MAX_DEPTH

from tests.bodies import meta_body

from .helpers import ignored, meta_item, norm, unrecognized


def _flat(n: int) -> dict[str, Any]:
    return {"senderId": str(n), "messageId": f"m{n}", "text": f"t{n}"}


def test_top_level_list_normalizes_each_item_in_order() -> None:
    result = norm([_flat(1), _flat(2)])
    assert result.format == "flat"
    assert [m.messageId for m in result.messages] == ["m1", "m2"]
    assert result.unrecognizedParts == ()


def test_meta_notifications_sent_as_a_list_are_meta() -> None:
    result = norm([meta_body(meta_item({"mid": "a", "text": "x"}))])
    assert (result.format, [m.messageId for m in result.messages]) == ("meta", ["a"])


@pytest.mark.parametrize("key", ["messages", "data", "payload", "body"])
def test_wrapper_keys_holding_a_list(key: str) -> None:
    result = norm({key: [_flat(1), _flat(2)], "account_id": "1"})
    assert [m.messageId for m in result.messages] == ["m1", "m2"]


@pytest.mark.parametrize("key", ["messages", "data", "payload", "body"])
def test_wrapper_keys_holding_one_object(key: str) -> None:
    result = norm({key: _flat(1)})
    assert (result.format, [m.messageId for m in result.messages]) == ("flat", ["m1"])


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(_flat(1)),  # the whole body JSON-encoded twice
        {"body": json.dumps(_flat(1)), "headers": {"content-type": "application/json"}},  # a relayed event
        {"data": " " + json.dumps([_flat(1)])},
        {"payload": json.dumps({"data": json.dumps(_flat(1))})},  # twice, twice
    ],
    ids=["whole-body", "relayed-event", "list-in-data", "nested-twice"],
)
def test_json_encoded_as_a_string_is_decoded_and_normalized(body: object) -> None:
    result = norm(body)
    assert (result.format, [m.messageId for m in result.messages]) == ("flat", ["m1"])


@pytest.mark.parametrize(
    "body",
    ["just text", {"data": "plain words"}, {"payload": "{broken json"}, {"body": "[" * 5000 + "]" * 5000}],
    ids=["text", "plain-value", "broken", "too-deep"],
)
def test_strings_that_hold_no_json_document_stay_unrecognized(body: object) -> None:
    unrecognized(body)


def test_mixed_wrapper_reports_the_first_recognized_format_and_keeps_the_rest() -> None:
    junk = {"test": "data"}
    chatrace = {"user_id": "7", "last_input": "hi"}
    result = norm({"data": [junk, chatrace, _flat(1), 5]})
    assert result.format == "chatrace"
    assert [m.format for m in result.messages] == ["chatrace", "flat"]
    assert result.unrecognizedParts == (junk, 5)


def test_empty_list_is_unrecognized_with_nothing_to_keep() -> None:
    result = unrecognized([])
    assert result.unrecognizedParts == ()


def test_all_items_unrecognized_gives_every_item_back() -> None:
    items = [{"a": 1}, "x", None]
    result = unrecognized(items)
    assert result.unrecognizedParts == tuple(items)


def test_wrapped_items_that_are_only_echoes_are_ignored() -> None:
    result = ignored([meta_body(meta_item({"mid": "e", "text": "x", "is_echo": True}))])
    assert result.format == "meta"


def test_partly_recognized_inner_wrapper_hands_back_its_own_leftovers() -> None:
    result = norm([{"messages": [_flat(1), {"junk": 1}]}, {"junk": 2}])
    assert [m.messageId for m in result.messages] == ["m1"]
    assert result.unrecognizedParts == ({"junk": 1}, {"junk": 2})


def test_wrappers_nested_within_the_depth_limit_are_read() -> None:
    body: object = _flat(1)
    for _ in range(MAX_DEPTH):
        body = [body]
    assert [m.messageId for m in norm(body).messages] == ["m1"]


def test_wrappers_nested_beyond_the_depth_limit_are_kept_whole() -> None:
    inner: object = _flat(1)
    for _ in range(MAX_DEPTH + 1):
        inner = [inner]
    result = norm([inner, _flat(2)])
    assert [m.messageId for m in result.messages] == ["m2"]
    assert result.unrecognizedParts == (inner,)


def test_items_beyond_the_budget_are_kept_as_one_part() -> None:
    items = [_flat(n) for n in range(MAX_ITEMS + 5)]
    result = norm(items)
    assert len(result.messages) == MAX_ITEMS
    assert result.unrecognizedParts == (items[MAX_ITEMS:],)


def test_the_budget_is_shared_across_levels() -> None:
    body = [[_flat(n) for n in range(600)], [_flat(n) for n in range(600)]]
    result = norm(body)
    assert len(result.messages) == MAX_ITEMS - 2  # the two inner lists count as items too
    assert len(result.unrecognizedParts) == 1


def test_hostile_wide_and_deep_lists_finish_quickly() -> None:
    row: list[object] = [{"x": 1}] * 1000
    body = [[[row] * 1000] * 1000] * 1000
    result = norm(body)
    assert result.format is None
