"""The admin password hash: salted scrypt, self-describing, verified in constant time."""

from __future__ import annotations

import pytest
from inbox.errors import MalformedHash
from inbox.operator.passwords import DEFAULT_N, MAX_PASSWORD_CHARS, ScryptHash, hash_password, verify_password

FAST = {"n": 2**10}
SALT = "A" * 22
DIGEST = "A" * 43


def test_the_right_password_verifies_and_a_wrong_one_does_not() -> None:
    stored = hash_password("correct horse battery", **FAST)
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert not verify_password("", stored)


def test_the_hash_names_its_parameters_and_never_holds_the_password() -> None:
    stored = hash_password("correct horse battery", **FAST)
    scheme, n, r, p, _salt, _digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "1024", "8", "1")
    assert "correct horse battery" not in stored
    assert len(ScryptHash.parse(stored).salt) == 16


def test_two_hashes_of_one_password_differ_by_their_salt() -> None:
    assert hash_password("same password", **FAST) != hash_password("same password", **FAST)


def test_the_default_cost_is_64_mib_of_scrypt() -> None:
    stored = hash_password("slow on purpose")
    assert ScryptHash.parse(stored).n == DEFAULT_N == 2**16
    assert verify_password("slow on purpose", stored)


def test_unicode_passwords_work() -> None:
    stored = hash_password("пароль-🔑", **FAST)
    assert verify_password("пароль-🔑", stored)


def test_an_overlong_password_is_refused_without_error() -> None:
    stored = hash_password("x" * MAX_PASSWORD_CHARS, **FAST)
    assert verify_password("x" * MAX_PASSWORD_CHARS, stored)
    assert not verify_password("x" * (MAX_PASSWORD_CHARS + 1), stored)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain-text-password",
        "bcrypt$2b$12$abc",
        "scrypt$1024$8$1$c2FsdA$aGFzaA",  # salt too short
        f"scrypt$1000$8$1${SALT}${DIGEST}",  # n not a power of 2
        f"scrypt$2097152$8$1${SALT}${DIGEST}",  # n too large
        "scrypt$1024$8$1$not*base64*at*all$AAAA",
        f"scrypt$x$8$1${SALT}${DIGEST}",
    ],
    ids=[
        "empty",
        "plain",
        "other-scheme",
        "short-salt",
        "n-not-power-of-2",
        "n-too-large",
        "bad-b64",
        "n-nan",
    ],
)
def test_a_malformed_stored_hash_is_a_setup_error_not_a_wrong_password(stored: str) -> None:
    with pytest.raises(MalformedHash):
        verify_password("anything", stored)


def test_an_empty_password_cannot_be_hashed() -> None:
    with pytest.raises(ValueError, match="empty"):
        hash_password("")
