"""Shared helpers for the normalizer's tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inbox.models import NormalizedMessage, NormalizeResult
from inbox.normalize.dispatch import normalize

from tests import bodies

RECEIVED_AT = datetime(2025, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
RECEIVED_AT_TEXT = "2025-01-02T03:04:05.678Z"
LATER = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)

SAMPLES_DIR = Path(__file__).resolve().parents[3] / "samples" / "webhook"


def norm(body: object, **kwargs: Any) -> NormalizeResult:
    return normalize(body, received_at=kwargs.pop("received_at", RECEIVED_AT), **kwargs)


def only(body: object, **kwargs: Any) -> NormalizedMessage:
    """The single message a body must yield."""
    result = norm(body, **kwargs)
    assert result.recognized, f"not recognized: {body!r}"
    assert len(result.messages) == 1, result.messages
    return result.messages[0]


def ignored(body: object, **kwargs: Any) -> NormalizeResult:
    """A body that is recognized but carries nothing new."""
    result = norm(body, **kwargs)
    assert result.recognized, f"not recognized: {body!r}"
    assert result.messages == ()
    return result


def unrecognized(body: object, **kwargs: Any) -> NormalizeResult:
    result = norm(body, **kwargs)
    assert result.format is None, result
    assert result.messages == ()
    return result


def sample_files() -> list[Path]:
    return sorted(SAMPLES_DIR.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def meta_item(
    message: object, *, sender: object = "1122", timestamp: object = 1731499380000
) -> dict[str, Any]:
    """A ``messaging`` item carrying ``message`` (tests.bodies.meta_item with this file's defaults)."""
    return bodies.meta_item(sender, timestamp, message=message)
