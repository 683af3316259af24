"""Turns the bytes of one webhook delivery into a parsed body, or a clear reason why not.

Chatrace renders its External Request body from a hand-written template, so what arrives is
JSON (sometimes sent as text/plain, as a form or with no content type, sometimes with raw line
breaks in strings), form data, or something broken. Every refusal names the problem for the sender.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import NamedTuple
from urllib.parse import parse_qsl

from inbox import jsontext
from inbox.errors import DuplicateKey, RejectedDelivery

MAX_NESTING = 64

_JSON_TYPES = frozenset({"application/json", "text/json", "text/plain", "text/javascript", ""})
_FORM_TYPE = "application/x-www-form-urlencoded"
_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class Delivery(NamedTuple):
    """One delivery as received: the raw bytes (what signatures cover) and the parsed body."""

    raw: bytes
    media_type: str
    body: object


def media_type_of(content_type: str | None) -> str:
    """``Application/JSON; charset=utf-8`` → ``application/json``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def raw_bytes(body: str | None, *, is_base64: bool) -> bytes:
    """The body's bytes exactly as the sender sent them (API Gateway base64-encodes binary bodies)."""
    if body is None:
        return b""
    if not is_base64:
        return body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RejectedDelivery(400, "body is marked base64 but is not valid base64") from exc


def parse_delivery(raw: bytes, content_type: str | None) -> Delivery:
    """Parse by content type; raise RejectedDelivery (400 or 415, raw kept) when it cannot be read."""
    media_type = media_type_of(content_type)
    is_form = media_type == _FORM_TYPE
    if not (is_form or media_type in _JSON_TYPES or media_type.endswith("+json")):
        raise RejectedDelivery(
            415,
            f"unsupported content type {media_type!r}: send application/json "
            "or application/x-www-form-urlencoded",
            keep_raw=True,
        )
    text = _utf8(raw)
    if not text.strip():
        raise RejectedDelivery(400, "empty body: expected a JSON object", keep_raw=False)
    # A JSON document labelled as a form (curl -d's default, some senders' only choice) is JSON:
    # read as a form it would be one field named after the whole body.
    if not _looks_like_json(text) and (is_form or (media_type == "" and _looks_like_form(text))):
        return Delivery(raw, media_type, _parse_form(text))
    return Delivery(raw, media_type, _parse_json(text))


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RejectedDelivery(
            400, f"body is not valid UTF-8 (byte {exc.start} is invalid)", keep_raw=True
        ) from exc


def _looks_like_json(text: str) -> bool:
    return text.lstrip().startswith(("{", "["))


def _looks_like_form(text: str) -> bool:
    stripped = text.lstrip()
    return not stripped.startswith(("{", "[", '"')) and "=" in stripped


def _parse_form(text: str) -> dict[str, object]:
    """Form fields as strings; a repeated field is refused like a repeated JSON key (400, kept)."""
    try:
        return jsontext.unique_keys(parse_qsl(text, keep_blank_values=True))
    except DuplicateKey as exc:
        raise RejectedDelivery(400, exc.reason, keep_raw=True) from exc


def _parse_json(text: str) -> object:
    if _nesting_depth(text) > MAX_NESTING:
        raise RejectedDelivery(400, f"JSON nested deeper than {MAX_NESTING} levels", keep_raw=True)
    try:
        return jsontext.loads(text)
    except DuplicateKey as exc:
        raise RejectedDelivery(400, exc.reason, keep_raw=True) from exc
    except json.JSONDecodeError as exc:
        raise RejectedDelivery(
            400, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", keep_raw=True
        ) from exc
    except (ValueError, RecursionError) as exc:  # e.g. an integer with thousands of digits
        raise RejectedDelivery(400, f"invalid JSON: {exc}", keep_raw=True) from exc


def _nesting_depth(text: str) -> int:
    """Deepest bracket nesting outside string literals; cheap for ordinary bodies."""
    if text.count("{") + text.count("[") <= MAX_NESTING:
        return 0
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING_LITERAL.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest
