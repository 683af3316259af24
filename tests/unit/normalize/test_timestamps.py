from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from inbox.normalize.timestamps import MAX_MS, MIN_MS, datetime_to_ms, format_datetime, format_ms, to_epoch_ms

NOON = "2024-11-13T12:00:00Z"


def _formatted(raw: object) -> str | None:
    ms = to_epoch_ms(raw)
    return format_ms(ms) if ms is not None else None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1731499200, NOON),
        (1731499200000, NOON),
        ("1731499200", NOON),
        ("1731499200000", NOON),
        (" 1731499200000 ", NOON),
        (1731499200.0, NOON),
        (1731499200.5, "2024-11-13T12:00:00.500Z"),
        ("1731499200.5", "2024-11-13T12:00:00.500Z"),
        (1731499200.123, "2024-11-13T12:00:00.123Z"),
        ("1731499200.1239", "2024-11-13T12:00:00.123Z"),
        (1731499200123, "2024-11-13T12:00:00.123Z"),
        ("1731499200123.9", "2024-11-13T12:00:00.123Z"),
        (1731499200123.9, "2024-11-13T12:00:00.123Z"),
        ("1.7314992E9", NOON),
        (["1731499200"], NOON),
    ],
)
def test_epoch_numbers_are_seconds_below_1e11_and_milliseconds_above(raw: object, expected: str) -> None:
    assert _formatted(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-11-13T12:00:00Z", NOON),
        ("2024-11-13T12:00:00+00:00", NOON),
        ("2024-11-13T12:00:00+0000", NOON),
        ("2024-11-13T15:00:00+03:00", NOON),
        ("2024-11-13T06:30:00-0530", NOON),
        ("2024-11-13T12:00:00", NOON),
        ("2024-11-13 12:00:00", NOON),
        ("2024-11-13 12:00:00+00:00", NOON),
        ("2024-11-13t12:00:00z", NOON),
        ("2024-11-13T12:00:00.000Z", NOON),
        ("2024-11-13T12:00:00.5Z", "2024-11-13T12:00:00.500Z"),
        ("2024-11-13T12:00:00.123456Z", "2024-11-13T12:00:00.123Z"),
        ("2024-11-13T12:00:00.123999+00:00", "2024-11-13T12:00:00.123Z"),
        ("2024-11-13T12:00:00.123456789Z", "2024-11-13T12:00:00.123Z"),
        ("2024-11-13T12:00Z", NOON),
        ("2024-11-13", "2024-11-13T00:00:00Z"),
    ],
)
def test_iso_8601_with_any_offset_or_none_is_read_as_an_instant(raw: str, expected: str) -> None:
    assert _formatted(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "  ",
        "yesterday",
        "{{last_interaction}}",
        True,
        0,
        -1731499200,
        946684799,  # one second before 2000
        4102444800,  # 2100-01-01, excluded
        4102444800000,
        1731499200000000,  # microseconds: absurd as milliseconds
        "1731499200000000000",
        10**400,
        1e308,
        -1e308,
        float("nan"),
        float("inf"),
        "nan",
        "inf",
        "1999-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "9" * 5000,
        "2024-11-13T12:00:00Z" + " " * 100 + "x",
        {"seconds": 1731499200},
        [1731499200, 1],
        "١٧٣١٤٩٩٢٠٠",  # non-ASCII digits
    ],
)
def test_missing_unparseable_or_out_of_range_times_are_none(raw: object) -> None:
    assert to_epoch_ms(raw) is None


def test_range_bounds_are_2000_inclusive_and_2100_exclusive() -> None:
    assert to_epoch_ms(MIN_MS) == MIN_MS
    assert to_epoch_ms(MAX_MS - 1) == MAX_MS - 1
    assert to_epoch_ms(MAX_MS) is None


def test_format_shows_milliseconds_only_when_not_zero() -> None:
    assert format_ms(1731499200000) == NOON
    assert format_ms(1731499200001) == "2024-11-13T12:00:00.001Z"
    assert format_ms(1731499200120) == "2024-11-13T12:00:00.120Z"


def test_datetime_to_ms_truncates_microseconds_and_takes_naive_as_utc() -> None:
    assert datetime_to_ms(datetime(2024, 11, 13, 12, 0, 0, 123999)) == 1731499200123
    assert datetime_to_ms(datetime(2024, 11, 13, 12, 0, tzinfo=UTC)) == 1731499200000


def test_receive_time_is_formatted_in_utc_like_message_times() -> None:
    tz = timezone(timedelta(hours=3))
    assert format_datetime(datetime(2024, 11, 13, 15, 0, 0, 250_000, tzinfo=tz)) == "2024-11-13T12:00:00.250Z"
    assert format_datetime(datetime(2024, 11, 13, 12, 0)) == NOON
