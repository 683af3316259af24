"""The admin's password hash: scrypt from the standard library, self-describing, compared in constant time.

A hash is stored as ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (salt and hash base64url without padding),
so the cost can be raised later without invalidating hashes already stored: verification always
uses the parameters written in the hash. The default n = 2**16, r = 8, p = 1 needs 64 MiB and about
0.2 s of one laptop core (a login is rare; a guess should be expensive). No dependency beyond
hashlib: argon2id would need a compiled wheel for arm64 in the layer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from inbox.errors import MalformedHash

SCHEME = "scrypt"
DEFAULT_N = 2**16
DEFAULT_R = 8
DEFAULT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32

# Bounds on what a stored hash may ask for: a hand-edited parameter must not make one login burn
# gigabytes or minutes, and must not silently accept a trivially cheap hash either.
_MIN_N, _MAX_N = 2**10, 2**20
_MAX_R, _MAX_P = 32, 16
# Passwords longer than this are refused before hashing (scrypt's cost does not depend on it, but
# nothing is gained by accepting megabytes).
MAX_PASSWORD_CHARS = 1024


@dataclass(frozen=True, slots=True)
class ScryptHash:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    def encode(self) -> str:
        return "$".join((SCHEME, str(self.n), str(self.r), str(self.p), _b64(self.salt), _b64(self.digest)))

    @classmethod
    def parse(cls, text: str) -> ScryptHash:
        parts = text.strip().split("$")
        if len(parts) != 6 or parts[0] != SCHEME:
            raise MalformedHash("expected scrypt$<n>$<r>$<p>$<salt>$<hash>")
        try:
            n, r, p = (int(part) for part in parts[1:4])
            salt, digest = _unb64(parts[4]), _unb64(parts[5])
        except (ValueError, binascii.Error) as exc:
            raise MalformedHash("scrypt parameters or base64 fields are not readable") from exc
        if not (_MIN_N <= n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P):
            raise MalformedHash(f"scrypt parameters out of bounds (n a power of 2 in {_MIN_N}..{_MAX_N})")
        if len(salt) < SALT_BYTES or not 16 <= len(digest) <= 64:
            raise MalformedHash("salt or hash too short")
        return cls(n, r, p, salt, digest)


def hash_password(password: str, *, n: int = DEFAULT_N, r: int = DEFAULT_R, p: int = DEFAULT_P) -> str:
    """A new hash of ``password`` with a fresh random salt (two hashes of one password differ)."""
    if not password:
        raise ValueError("the password must not be empty")
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(password, salt, n, r, p, HASH_BYTES)
    return ScryptHash(n, r, p, salt, digest).encode()


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; always does the full scrypt work before answering.

    Raises MalformedHash when ``stored`` is not a hash this module wrote (a setup problem, which the
    caller reports as such rather than as a wrong password).
    """
    parsed = ScryptHash.parse(stored)
    acceptable = len(password) <= MAX_PASSWORD_CHARS
    candidate = password if acceptable else ""
    computed = _scrypt(candidate, parsed.salt, parsed.n, parsed.r, parsed.p, len(parsed.digest))
    return hmac.compare_digest(computed, parsed.digest) and acceptable


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # maxmem: OpenSSL refuses anything over 32 MiB by default; scrypt needs 128 * r * (n + p) bytes.
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=128 * r * (n + p) + 1024 * 1024,
        dklen=length,
    )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if not text or not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
