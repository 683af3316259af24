"""The public entry point: its arguments, its guard, and the adapter order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import inbox.normalize.dispatch as normalize_module
import pytest
from inbox.models import NormalizedMessage
from inbox.normalize.context import Context
from inbox.normalize.dispatch import ADAPTERS, normalize

from .helpers import RECEIVED_AT, RECEIVED_AT_TEXT, norm, only, unrecognized


def test_adapters_run_from_the_most_specific_shape_to_the_catch_all() -> None:
    assert [name for name, _ in ADAPTERS] == ["fieldmap", "meta", "nested", "manychat", "chatrace", "flat"]


def test_source_is_stamped_on_every_message() -> None:
    assert only({"senderId": "1", "text": "x"}, source="poller").source == "poller"
    assert only({"senderId": "1", "text": "x"}).source == "webhook"


def test_unknown_source_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="source"):
        normalize({}, received_at=RECEIVED_AT, source="cron")  # type: ignore[arg-type]


def test_received_at_is_formatted_in_utc_with_milliseconds_when_not_zero() -> None:
    message = only({"senderId": "1", "text": "x"})
    assert message.receivedAt == RECEIVED_AT_TEXT
    assert message.timestamp == RECEIVED_AT_TEXT


def test_received_at_with_an_offset_or_naive_is_converted_to_utc() -> None:
    plus3 = datetime(2025, 1, 2, 6, 4, 5, tzinfo=timezone(timedelta(hours=3)))
    assert only({"senderId": "1", "text": "x"}, received_at=plus3).receivedAt == "2025-01-02T03:04:05Z"
    naive = datetime(2025, 1, 2, 3, 4, 5)
    assert only({"senderId": "1", "text": "x"}, received_at=naive).receivedAt == "2025-01-02T03:04:05Z"


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        "senderId=1",
        0,
        1.5,
        float("nan"),
        True,
        {},
        {"test": "data"},
        {"senderId": "1"},
        b"bytes",
        object(),
    ],
)
def test_bodies_nothing_recognizes_are_unrecognized_with_no_parts(body: object) -> None:
    assert unrecognized(body).unrecognizedParts == ()


def test_an_adapter_bug_becomes_an_unrecognized_body_not_an_exception(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(body: object, ctx: Context) -> list[NormalizedMessage] | None:
        raise RuntimeError("bug")

    monkeypatch.setattr(normalize_module, "ADAPTERS", (("broken", broken),))
    result = norm({"senderId": "1", "text": "x"})
    assert (result.format, result.messages, result.unrecognizedParts) == (None, (), ())


def test_result_serializes_to_json() -> None:
    result = norm([{"senderId": "1", "text": "a\ud800b"}, {"junk": True}])
    dumped = json.dumps([message.to_json() for message in result.messages], ensure_ascii=False)
    assert "a\ufffdb" in dumped
    dumped.encode("utf-8")


def test_received_at_defaults_are_not_shared_between_calls() -> None:
    first = only({"senderId": "1", "text": "x"}, received_at=datetime(2025, 1, 1, tzinfo=UTC))
    second = only({"senderId": "1", "text": "x"}, received_at=datetime(2025, 1, 2, tzinfo=UTC))
    assert (first.receivedAt, second.receivedAt) == ("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z")
    assert first.messageId == second.messageId
