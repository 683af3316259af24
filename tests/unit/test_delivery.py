"""Reading the bytes of a delivery: content types, encodings and the clear refusals."""

from __future__ import annotations

import base64
import json

import pytest
from inbox.errors import RejectedDelivery
from inbox.webhook.delivery import MAX_NESTING, media_type_of, parse_delivery, raw_bytes

SEED = {"senderId": "123", "messageId": "m-1", "text": "hi"}


def refusal(raw: bytes, content_type: str | None) -> RejectedDelivery:
    with pytest.raises(RejectedDelivery) as caught:
        parse_delivery(raw, content_type)
    return caught.value


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "text/plain",
        "text/plain;charset=UTF-8",
        None,
        "",
        "application/vnd.chatrace+json",
    ],
)
def test_json_is_read_whatever_json_like_content_type_it_comes_with(content_type: str | None) -> None:
    assert parse_delivery(json.dumps(SEED).encode(), content_type).body == SEED


def test_raw_line_breaks_inside_strings_are_accepted() -> None:
    raw = b'{"senderId": "1", "text": "line one\nline two\ttabbed"}'
    assert parse_delivery(raw, "application/json").body == {
        "senderId": "1",
        "text": "line one\nline two\ttabbed",
    }


def test_utf8_byte_order_mark_is_ignored() -> None:
    assert parse_delivery(b"\xef\xbb\xbf" + json.dumps(SEED).encode(), "application/json").body == SEED


def test_form_fields_become_a_flat_body() -> None:
    raw = b"senderId=24680&text=hello%20from%20a%20form&empty="
    body = parse_delivery(raw, "application/x-www-form-urlencoded").body
    assert body == {"senderId": "24680", "text": "hello from a form", "empty": ""}


def test_form_without_content_type_is_recognized_as_form() -> None:
    assert parse_delivery(b"senderId=1&text=hi", None).body == {"senderId": "1", "text": "hi"}


@pytest.mark.parametrize("raw", [json.dumps(SEED).encode(), b"  [" + json.dumps(SEED).encode() + b"]"])
def test_json_sent_with_a_form_content_type_is_read_as_json(raw: bytes) -> None:
    """curl -d's default label; read as a form it would be one field named after the whole body."""
    body = parse_delivery(raw, "application/x-www-form-urlencoded").body
    assert body == json.loads(raw)


def test_broken_json_sent_as_a_form_is_refused_as_broken_json() -> None:
    rejection = refusal(b'{"senderId": "1", "text": "he said "hi""}', "application/x-www-form-urlencoded")
    assert (rejection.status_code, rejection.keep_raw) == (400, True)
    assert "invalid JSON" in rejection.reason


def test_broken_json_is_refused_with_position_and_kept() -> None:
    rejection = refusal(b'{"senderId": "1", "text": "he said "hi""}', "application/json")
    assert rejection.status_code == 400
    assert "invalid JSON" in rejection.reason
    assert "column" in rejection.reason
    assert rejection.keep_raw


@pytest.mark.parametrize("raw", [b"", b"   \n", b"\xef\xbb\xbf"])
def test_empty_body_is_refused(raw: bytes) -> None:
    rejection = refusal(raw, "application/json")
    assert rejection.status_code == 400
    assert "empty" in rejection.reason


def test_invalid_utf8_is_refused_and_kept() -> None:
    rejection = refusal(b'{"text": "\xff\xfe"}', "application/json")
    assert rejection.status_code == 400
    assert "UTF-8" in rejection.reason
    assert rejection.keep_raw


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 100_000])
def test_absurd_nesting_is_refused_without_recursing(depth: int) -> None:
    rejection = refusal(b"[" * depth + b"]" * depth, "application/json")
    assert rejection.status_code == 400
    assert "nested" in rejection.reason


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = "[" * 500
    assert parse_delivery(json.dumps({"senderId": "1", "text": text}).encode(), None).body == {
        "senderId": "1",
        "text": text,
    }


def test_nesting_at_the_limit_is_read() -> None:
    raw = b"[" * MAX_NESTING + b"]" * MAX_NESTING
    assert parse_delivery(raw, "application/json").body is not None


def test_integer_too_long_to_convert_is_a_clear_400() -> None:
    rejection = refusal(b'{"senderId": ' + b"9" * 5000 + b"}", "application/json")
    assert rejection.status_code == 400


@pytest.mark.parametrize(
    "content_type",
    ["application/xml", "multipart/form-data; boundary=x", "image/png", "application/octet-stream"],
)
def test_unsupported_content_types_are_415_and_kept(content_type: str) -> None:
    rejection = refusal(b"<xml/>", content_type)
    assert rejection.status_code == 415
    assert rejection.keep_raw


def test_base64_bodies_are_decoded_to_the_bytes_sent() -> None:
    raw = "Привет".encode()
    assert raw_bytes(base64.b64encode(raw).decode(), is_base64=True) == raw


def test_invalid_base64_is_a_400() -> None:
    with pytest.raises(RejectedDelivery) as caught:
        raw_bytes("not base64!!", is_base64=True)
    assert caught.value.status_code == 400


def test_missing_body_is_empty_bytes() -> None:
    assert raw_bytes(None, is_base64=False) == b""


def test_media_type_drops_parameters_and_case() -> None:
    assert media_type_of(" Application/JSON ; charset=utf-8") == "application/json"
    assert media_type_of(None) == ""
