"""Content fingerprints: what counts as the same content, which hours a sighting looks at, who pairs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from inbox.models import NormalizedMessage
from inbox.storage.fingerprints import (
    TOLERANCE_MS,
    Entry,
    Fingerprint,
    bucket_of,
    content_key,
    normalized_text,
    partner,
    sighting,
    url_identity,
)


def ms(hour: int, minute: int, second: int = 0) -> int:
    return int(datetime(2024, 11, 13, hour, minute, second, tzinfo=UTC).timestamp() * 1000)


def test_same_sender_and_content_give_the_same_key_whatever_the_whitespace_or_url_signature() -> None:
    a = content_key("123", "two  words\n", ["https://CDN.example/p.jpg?sig=1", "https://cdn.example/p.jpg"])
    b = content_key("123", " two words", ["https://cdn.example/p.jpg?sig=2"])
    assert a == b
    assert a.startswith("FP#")


@pytest.mark.parametrize(
    ("sender", "text", "urls"),
    [
        ("456", "hello", []),
        ("123", "hello!", []),
        ("123", "Hello", []),
        ("123", "hello", ["https://cdn.example/other.jpg"]),
    ],
)
def test_another_sender_text_or_attachment_gives_another_key(sender: str, text: str, urls: list[str]) -> None:
    assert content_key(sender, text, urls) != content_key("123", "hello", [])


def test_parts_cannot_imitate_each_other() -> None:
    assert content_key("12", "3hello", []) != content_key("123", "hello", [])


def test_text_is_unicode_normalized() -> None:
    assert normalized_text("cafe\u0301") == normalized_text("café")


@pytest.mark.parametrize(
    ("url", "identity"),
    [
        ("https://CDN.example/a/b.jpg?sig=x#frag", "https://cdn.example/a/b.jpg"),
        ("not a url", "not a url"),
        ("http://[::1", "http://[::1"),  # unparseable: kept as given
    ],
)
def test_url_identity_drops_query_and_fragment(url: str, identity: str) -> None:
    assert url_identity(url) == identity


def test_buckets_are_hours_and_the_window_adds_a_neighbour_only_near_the_turn() -> None:
    assert bucket_of(ms(12, 30)) == "2024-11-13T12"
    assert Fingerprint("FP#x", ms(12, 30), derived=True, message_id="m").window == ("2024-11-13T12",)
    assert Fingerprint("FP#x", ms(12, 0, 30), derived=True, message_id="m").window == (
        "2024-11-13T11",
        "2024-11-13T12",
    )
    assert Fingerprint("FP#x", ms(12, 59, 0), derived=True, message_id="m").window == (
        "2024-11-13T12",
        "2024-11-13T13",
    )


def test_a_fingerprint_knows_whether_the_id_was_derived() -> None:
    def message(message_id: str) -> NormalizedMessage:
        return NormalizedMessage(
            messageId=message_id,
            senderId="123",
            text="hi",
            timestamp="2024-11-13T12:30:00.250Z",
            format="flat",
            receivedAt="2024-11-13T12:30:01Z",
        )

    derived = Fingerprint.of(message("sha256:abc"))
    real = Fingerprint.of(message("mid-1"))
    assert derived is not None
    assert real is not None
    assert (derived.derived, real.derived) == (True, False)
    assert derived.timestamp_ms == ms(12, 30) + 250
    assert derived.key == real.key


def test_only_the_other_kind_unpaired_and_within_the_tolerance_is_a_partner() -> None:
    me = Fingerprint("FP#x", ms(12, 30), derived=False, message_id="mid-9")
    entries = [
        Entry("mid-1", ms(12, 30), derived=False),  # same kind: two real ids are two messages
        Entry("sha256:a", ms(12, 30), derived=True, matched_by="mid-2"),  # already paired
        Entry("sha256:b", ms(12, 30) + TOLERANCE_MS + 1, derived=True),  # too far
        Entry("sha256:c", ms(12, 30) - 60_000, derived=True),
        Entry("sha256:d", ms(12, 30) + 20_000, derived=True),  # nearest
    ]
    found = partner(entries, me)
    assert found is not None
    assert found.message_id == "sha256:d"
    assert partner(entries, me, exclude=frozenset({"sha256:d"})) == entries[3]
    assert partner(entries[:3], me) is None


def test_an_id_is_accounted_for_by_its_own_entry_or_the_one_it_paired_with() -> None:
    entries = [Entry("sha256:a", 1, derived=True, matched_by="mid-1"), Entry("mid-2", 2, derived=False)]
    assert sighting(entries, "mid-1") == entries[0]
    assert sighting(entries, "sha256:a") == entries[0]
    assert sighting(entries, "mid-2") == entries[1]
    assert sighting(entries, "mid-3") is None
