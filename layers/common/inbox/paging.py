"""Opaque page cursors for the operator API's listings.

A cursor is base64url (no padding) of a small JSON object: the listing it belongs to, the sender
filter it was made under and the sort key (``<time>#<id>``) of the last item handed out. It holds
nothing secret, and any position in the index is harmless, so it is not signed; it is *validated*
on the way back in — a cursor that is not base64, not that JSON shape, of another listing or
another sender, or with a sort key that could not have come from the table is a 400, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from inbox.errors import InvalidRequest

_VERSION = 1
_MAX_CURSOR_CHARS = 4096
_SORT_KEY = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z#.{1,2048}", re.DOTALL)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def encode_cursor(listing: str, sort_key: str, *, sender_id: str | None = None) -> str:
    position = {"v": _VERSION, "l": listing, "s": sender_id, "k": sort_key}
    raw = json.dumps(position, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, *, listing: str, sender_id: str | None = None) -> str:
    """The sort key a page must continue after; raises InvalidRequest for anything but our own cursor."""
    if len(cursor) > _MAX_CURSOR_CHARS or not _BASE64URL.fullmatch(cursor):
        raise _invalid("not a cursor of this API")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError) as exc:
        raise _invalid("not a cursor of this API") from exc
    if not isinstance(position, dict) or set(position) != {"v", "l", "s", "k"} or position["v"] != _VERSION:
        raise _invalid("not a cursor of this API")
    if position["l"] != listing or position["s"] != sender_id:
        raise _invalid("the cursor belongs to another query: keep senderId as it was")
    sort_key = position["k"]
    if not isinstance(sort_key, str) or not _SORT_KEY.fullmatch(sort_key):
        raise _invalid("not a cursor of this API")
    return sort_key


def _invalid(reason: str) -> InvalidRequest:
    return InvalidRequest(f"invalid cursor: {reason}", field="cursor")
