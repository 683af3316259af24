"""Every shared webhook sample with a JSON body yields exactly the messages it expects."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from .helpers import LATER, load, norm, sample_files

JSON_SAMPLES = [path for path in sample_files() if "body" in load(path)["request"]]


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_samples_are_found() -> None:
    assert len(JSON_SAMPLES) >= 8


@pytest.mark.parametrize("path", JSON_SAMPLES, ids=lambda p: p.stem)
def test_sample_body_yields_the_expected_messages(path: Path) -> None:
    sample = load(path)
    expect = sample["expect"]
    result = norm(sample["request"]["body"])

    if expect.get("bodyStatus") == "unrecognized":
        assert result.format is None
        assert result.messages == ()
        return
    expected = expect["messages"]
    assert result.recognized
    assert len(result.messages) == len(expected)
    for message, wanted in zip(result.messages, expected, strict=True):
        for field, value in wanted.items():
            if field == "status":
                continue  # the store's verdict, not the normalizer's
            if field == "messageIdPrefix":
                assert message.messageId.startswith(value)
            elif field == "timestamp":
                assert _instant(message.timestamp) == _instant(value)
            elif field == "attachments":
                assert [a.to_json() for a in message.attachments] == value
            else:
                assert getattr(message, field) == value, field


@pytest.mark.parametrize("path", JSON_SAMPLES, ids=lambda p: p.stem)
def test_sample_redelivered_later_gets_the_same_message_ids(path: Path) -> None:
    body = load(path)["request"]["body"]
    first = norm(body)
    again = norm(body, received_at=LATER)
    assert [m.messageId for m in first.messages] == [m.messageId for m in again.messages]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("01-seed-flat", "flat"),
        ("02-chatrace-recommended", "chatrace"),
        ("03-chatrace-system-fields", "chatrace"),
        ("04-nested-sender-message", "nested"),
        ("05-meta-instagram-text", "meta"),
        ("06-meta-batch-with-echo", "meta"),
        ("07-meta-image-only", "meta"),
        ("09-connectivity-probe", None),
        ("12-papercups-customer", "shape"),
        ("13-respondio-message-received", "shape"),
        ("14-landbot-message-hook", "shape"),
        ("15-landbot-bot-message-ignored", "shape"),
        ("16-person-under-recipient-refused", None),
    ],
)
def test_sample_is_recognized_by_the_expected_adapter(name: str, fmt: str | None) -> None:
    path = next(p for p in JSON_SAMPLES if p.stem == name)
    result = norm(load(path)["request"]["body"])
    assert result.format == fmt
    assert all(m.format == fmt for m in result.messages)
