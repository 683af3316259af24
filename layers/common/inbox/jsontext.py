"""The one JSON parser for untrusted text: the webhook's bodies, JSON encoded twice inside them, and
the operator API's requests.

It refuses a key repeated in any object, at any depth. Python's ``json`` silently keeps the last
of two equal keys, so a customer whose text is pasted unescaped into a hand-written template
(``…refund", "contact_id": "2222222222", "z": "``) would otherwise choose the stored sender
(docs/security.md §1). A template Chatrace renders writes each key once, so honest bodies never
repeat one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from inbox.errors import DuplicateKey


def loads(text: str) -> object:
    """``json.loads`` that raises DuplicateKey for a repeated key; raw control characters in strings
    are accepted (a template that renders a customer's line break still carries the message)."""
    return json.loads(text, strict=False, object_pairs_hook=unique_keys)


def unique_keys(pairs: Sequence[tuple[str, object]]) -> dict[str, object]:
    """One object's pairs as a dict; DuplicateKey when a key comes twice (forms use this too)."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return found
