"""Page cursors: opaque on the way out, validated on the way in (a tampered cursor is a 400)."""

from __future__ import annotations

import base64
import json

import pytest
from inbox.errors import InvalidRequest
from inbox.paging import decode_cursor, encode_cursor

SORT_KEY = "2024-11-13T12:00:00.250Z#mid.abc#with-hash"


def raw_cursor(position: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def test_a_cursor_round_trips_to_its_sort_key() -> None:
    cursor = encode_cursor("messages", SORT_KEY)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_cursor(cursor, listing="messages") == SORT_KEY


def test_a_sender_cursor_only_continues_that_senders_listing() -> None:
    cursor = encode_cursor("sender", SORT_KEY, sender_id="42")
    assert decode_cursor(cursor, listing="sender", sender_id="42") == SORT_KEY
    with pytest.raises(InvalidRequest, match="another query"):
        decode_cursor(cursor, listing="sender", sender_id="43")
    with pytest.raises(InvalidRequest, match="another query"):
        decode_cursor(cursor, listing="messages")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "%%%%",
        "AAAA",
        raw_cursor([1, 2]),
        raw_cursor({"v": 1, "l": "messages", "s": None}),
        raw_cursor({"v": 2, "l": "messages", "s": None, "k": SORT_KEY}),
        raw_cursor({"v": 1, "l": "messages", "s": None, "k": 5}),
        raw_cursor({"v": 1, "l": "messages", "s": None, "k": "DROP TABLE"}),
        raw_cursor({"v": 1, "l": "messages", "s": None, "k": "2024-11-13T12:00:00Z"}),
        raw_cursor({"v": 1, "l": "messages", "s": None, "k": SORT_KEY, "extra": 1}),
        encode_cursor("messages", SORT_KEY)[:-3],
        encode_cursor("messages", SORT_KEY) + "x" * 5000,
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    ],
    ids=[
        "spaces",
        "percent",
        "zero-bytes",
        "json-list",
        "missing-key",
        "other-version",
        "numeric-key",
        "not-a-sort-key",
        "no-id",
        "extra-field",
        "truncated",
        "huge",
        "not-utf8",
    ],
)
def test_a_tampered_cursor_is_an_invalid_request_naming_the_cursor(cursor: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        decode_cursor(cursor, listing="messages")
    assert caught.value.field == "cursor"
    assert caught.value.reason.startswith("invalid cursor")
