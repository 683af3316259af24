from __future__ import annotations

import re

from inbox.normalize.ids import DERIVED_PREFIX, derived_message_id, is_derived

SHA = re.compile(r"^sha256:[0-9a-f]{64}$")


def test_derived_id_is_a_sha256_key() -> None:
    assert SHA.match(derived_message_id("1", "2024-11-13T12:00:00Z", "hi", []))
    assert DERIVED_PREFIX == "sha256:"


def test_derived_id_is_deterministic() -> None:
    assert derived_message_id("1", "", "hi", ["u"]) == derived_message_id("1", "", "hi", ["u"])


def test_derived_id_parts_cannot_run_into_each_other() -> None:
    assert derived_message_id("1", "", "a|b", []) != derived_message_id("1|", "", "a", ["b"])
    assert derived_message_id("12", "", "3", []) != derived_message_id("1", "", "23", [])
    assert derived_message_id("1", "", "", ["ab"]) != derived_message_id("1", "", "ab", [])
    assert derived_message_id("1", "", "x", ["a", "b"]) != derived_message_id("1", "", "x", ["ab"])


def test_derived_id_depends_on_sender_time_text_and_urls() -> None:
    base = derived_message_id("1", "2024-11-13T12:00:00Z", "hi", ["u"])
    assert base != derived_message_id("2", "2024-11-13T12:00:00Z", "hi", ["u"])
    assert base != derived_message_id("1", "2024-11-13T12:00:01Z", "hi", ["u"])
    assert base != derived_message_id("1", "2024-11-13T12:00:00Z", "hi!", ["u"])
    assert base != derived_message_id("1", "2024-11-13T12:00:00Z", "hi", ["v"])


def test_derived_id_accepts_lone_surrogates() -> None:
    assert SHA.match(derived_message_id("1", "", "\ud800", []))


def test_is_derived_tells_derived_ids_from_given_ones() -> None:
    assert is_derived(derived_message_id("1", "", "hi", []))
    assert not is_derived("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx")
