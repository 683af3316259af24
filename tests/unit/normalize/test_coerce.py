from __future__ import annotations

import pytest
from inbox.normalize.coerce import (
    as_bool,
    as_id,
    as_lower,
    as_text,
    as_url,
    as_username,
    clean,
    scalar,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123", "123"),
        ("  123\n", "123"),
        (123, "123"),
        (12345678901234567890, "12345678901234567890"),
        (17841400000000000123456789, "17841400000000000123456789"),
        (1731499200.0, "1731499200"),
        (-5, "-5"),
        (12.5, "12.5"),
        (["42"], "42"),
        ("m_abc 123", "m_abc 123"),
    ],
)
def test_as_id_turns_strings_and_numbers_into_exact_strings(raw: object, expected: str) -> None:
    assert as_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        True,
        False,
        float("nan"),
        float("inf"),
        {"id": "1"},
        [],
        ["1", "2"],
        "{{user_id}}",
        " {{ contact_id }} ",
        10**2000,
    ],
)
def test_as_id_treats_missing_bool_placeholder_and_junk_as_no_id(raw: object) -> None:
    assert as_id(raw) is None


def test_as_id_leaves_the_length_to_the_store() -> None:
    """An over-long id is refused by the store with a reason (store.MAX_ID_BYTES), not dropped here."""
    assert as_id("😀" * 600) == "😀" * 600


def test_as_text_keeps_inner_whitespace_and_newlines_and_trims_the_outer() -> None:
    assert as_text("  line one\n\n  line  two \t") == "line one\n\n  line  two"


@pytest.mark.parametrize(("raw", "expected"), [(42, "42"), (4.5, "4.5"), (42.0, "42"), (["hi"], "hi")])
def test_as_text_accepts_numbers_from_unquoted_placeholders(raw: object, expected: str) -> None:
    assert as_text(raw) == expected


@pytest.mark.parametrize(
    "raw", [None, "", " \n ", True, {"text": "hi"}, ["a", "b"], float("nan"), "{{last_input}}"]
)
def test_as_text_treats_empty_bool_objects_and_placeholders_as_no_text(raw: object) -> None:
    assert as_text(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("anna.k", "anna.k"),
        ("@anna.k", "anna.k"),
        (" @anna.k ", "anna.k"),
        ("@", None),
        ("", None),
        ("  ", None),
        (12345, "12345"),
        (None, None),
        ("{{ig_user_name}}", None),
    ],
)
def test_as_username_strips_one_leading_at_and_is_never_empty(raw: object, expected: str | None) -> None:
    assert as_username(raw) == expected


@pytest.mark.parametrize("raw", [True, "true", "TRUE", " True ", "1", 1, 1.0, "yes", ["true"]])
def test_as_bool_reads_true_in_its_many_spellings(raw: object) -> None:
    assert as_bool(raw) is True


@pytest.mark.parametrize("raw", [False, "false", "FALSE", "0", 0, "", None, "no", {}, float("nan"), "maybe"])
def test_as_bool_reads_everything_else_as_false(raw: object) -> None:
    assert as_bool(raw) is False


def test_as_url_keeps_a_signed_url_exactly_and_refuses_non_strings() -> None:
    url = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=Ab%2Bc"
    assert as_url(f" {url} ") == url
    assert as_url(12345) is None
    assert as_url("") is None


def test_clean_replaces_lone_surrogates_so_the_text_encodes_as_utf8() -> None:
    cleaned = clean("a\ud800b\udfffc")
    assert cleaned == "a\ufffdb\ufffdc"
    cleaned.encode("utf-8")


def test_clean_leaves_valid_non_ascii_text_alone() -> None:
    text = "Сколько стоит? 😀"
    assert clean(text) is text


def test_scalar_unwraps_only_one_item_lists() -> None:
    assert scalar(["a"]) == "a"
    assert scalar(["a", "b"]) == ["a", "b"]
    assert scalar("a") == "a"


def test_as_lower_normalizes_codes() -> None:
    assert as_lower(" IMAGE ") == "image"
    assert as_lower(None) is None
