"""Turn loosely typed values into the strings and flags a message needs.

Chatrace bodies are typed by hand, so the same field arrives as a JSON string, a number (an unquoted
placeholder), ``""`` (an empty system field), ``"TRUE"``, or a one-item list (a form body parsed with
``parse_qs``). Every helper here accepts any object and answers ``None`` instead of raising.
"""

from __future__ import annotations

import math

_MAX_INT_BITS = 1700  # ~512 decimal digits; str() of far larger ints raises (int_max_str_digits)
_TRUE_WORDS = frozenset({"true", "1", "yes", "y", "on", "t"})


def scalar(value: object) -> object:
    """Unwrap a one-item list, which is how form fields come out of ``urllib.parse.parse_qs``."""
    if type(value) is list and len(value) == 1:
        return value[0]
    return value


def clean(text: str) -> str:
    """Replace lone surrogates with U+FFFD so every output string can be encoded as UTF-8 (JSON, DynamoDB)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return text


def is_placeholder(text: str) -> bool:
    """A whole ``{{field}}`` left unrendered (a typo in the operator's template): the value is missing."""
    return text.startswith("{{") and text.endswith("}}")


def _number_str(value: int | float) -> str | None:
    if isinstance(value, int):
        return str(value) if value.bit_length() <= _MAX_INT_BITS else None
    if not math.isfinite(value):
        return None
    if value.is_integer():
        return str(int(value))
    return repr(value)


def as_id(value: object) -> str | None:
    """An id as a string: ints keep every digit, ``12.0`` → ``"12"``; bools, ``""`` and junk → None.

    Its length is the store's to judge (``store.MAX_ID_BYTES``, in UTF-8 bytes): an over-long id
    refuses its message there, with a reason, instead of silently becoming "no id" here. Read as
    text is read: an id is a string to us whatever JSON type the template gave it.
    """
    return as_text(value)


def as_text(value: object) -> str | None:
    """Message text: outer whitespace trimmed, inner kept; numbers (unquoted placeholders) become text."""
    if type(value) is list and len(value) == 1:
        value = value[0]
    if isinstance(value, str):
        text = value.strip()
        if not text or (text[0] == "{" and is_placeholder(text)):
            return None
        return text if text.isascii() else clean(text)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _number_str(value)
    return None


def as_username(value: object) -> str | None:
    """An Instagram handle without the ``@`` a template may put in front of it; never ``""``."""
    text = as_text(value)
    if text is None:
        return None
    if text.startswith("@"):
        text = text[1:].strip()
    return text or None


def as_url(value: object) -> str | None:
    """A non-empty string, read as text is (kept as given: signed CDN links must not be altered);
    unlike text, never a number."""
    if type(value) is list and len(value) == 1:
        value = value[0]
    return as_text(value) if isinstance(value, str) else None


def as_bool(value: object) -> bool:
    """Flags arrive as ``true``, ``"TRUE"``, ``"1"`` or ``1``; anything unrecognizable is False."""
    if type(value) is list and len(value) == 1:
        value = value[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in _TRUE_WORDS
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    return False


def any_flag(body: dict[object, object], flags: frozenset[str]) -> bool:
    """Whether any of these flags is set; a set lookup first, since they are almost always absent."""
    return not flags.isdisjoint(body) and any(as_bool(body.get(flag)) for flag in flags)


def as_lower(value: object) -> str | None:
    """A short code (``"IMAGE"``, ``"Chatrace"``) for comparison."""
    text = as_id(value)
    return text.lower() if text is not None else None
