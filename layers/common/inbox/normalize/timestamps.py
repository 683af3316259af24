"""Message times: seconds, milliseconds or ISO-8601 in, ``YYYY-MM-DDTHH:MM:SS[.fff]Z`` out.

Instants are carried as integer milliseconds since the epoch so that nothing goes through a float
where it would lose digits. A time outside 2000-2100 is treated as missing: it is a wrong unit or a
wrong field, and the receive time is a better guess than 1970 or the year 55000.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from inbox.normalize.coerce import is_placeholder, scalar

MIN_MS = 946_684_800_000
"""2000-01-01T00:00:00Z."""
MAX_MS = 4_102_444_800_000
"""2100-01-01T00:00:00Z (exclusive)."""
MAX_FUTURE_MS = 5 * 60 * 1000
"""How far past the receive time a message's own time may be (clock skew between senders and AWS).
A later time is not kept as the message's: it would sort the message above everything sent after
it and hold the reply window open. The receive time is used; the claim is kept as
``claimedTimestamp``."""
MS_THRESHOLD = 100_000_000_000
"""Numbers at or above 1e11 are milliseconds (1e11 seconds is the year 5138)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_ISO_LENGTH = 64
_MAX_DIGITS = 16  # more digits cannot be an in-range time in s or ms


def _in_range(ms: int) -> int | None:
    return ms if MIN_MS <= ms < MAX_MS else None


def _from_int(number: int) -> int | None:
    if number >= MS_THRESHOLD:
        return _in_range(number)
    return _in_range(number * 1000)


def _from_float(number: float) -> int | None:
    if not math.isfinite(number):
        return None
    if number >= MS_THRESHOLD:
        return _in_range(int(number)) if number < MAX_MS else None
    if not MIN_MS / 1000 <= number < MAX_MS / 1000:
        return None
    # Round to microseconds first so that 1731499200.123 does not truncate to .122.
    return _in_range(round(number * 1_000_000) // 1000)


def datetime_to_ms(moment: datetime) -> int:
    """Exact integer milliseconds (truncated); a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def _from_iso(text: str) -> int | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.upper())  # "2024-11-13t12:00:00z"
        except ValueError:
            return None
    if not 1999 <= moment.year <= 2100:
        return None
    return _in_range(datetime_to_ms(moment))


def _from_str(raw: str) -> int | None:
    text = raw.strip()
    if not text or not text.isascii() or is_placeholder(text):
        return None
    if text.isdigit():
        return _from_int(int(text)) if len(text) <= _MAX_DIGITS else None
    whole, dot, fraction = text.partition(".")
    if dot and whole.isdigit() and fraction.isdigit():
        if len(whole) > _MAX_DIGITS:
            return None
        number = int(whole)
        if number >= MS_THRESHOLD:
            return _in_range(number)
        return _in_range(number * 1000 + int((fraction + "00")[:3]))
    if len(text) > _MAX_ISO_LENGTH:
        return None
    parsed = _from_iso(text)
    if parsed is not None:
        return parsed
    try:
        return _from_float(float(text))  # "1.7314992E9"
    except ValueError:
        return None


def to_epoch_ms(value: object) -> int | None:
    """Milliseconds since the epoch for any time-like value; None when missing, unparseable or absurd."""
    value = scalar(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _from_int(value)
    if isinstance(value, float):
        return _from_float(value)
    if isinstance(value, str):
        return _from_str(value)
    return None


def format_ms(ms: int) -> str:
    """``2024-11-13T12:00:00Z``, or ``2024-11-13T12:00:00.123Z`` when the milliseconds are not zero."""
    seconds, millis = divmod(ms, 1000)
    t = time.gmtime(seconds)
    if t.tm_year >= 1000:
        base = time.strftime("%Y-%m-%dT%H:%M:%S", t)  # twice as fast as an f-string of six fields
    else:  # strftime does not pad years before 1000 (only a strange receive time gets here)
        base = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{base}.{millis:03d}Z" if millis else base + "Z"


def format_datetime(moment: datetime) -> str:
    """The receive time, in the same format as message times."""
    return format_ms(datetime_to_ms(moment))
