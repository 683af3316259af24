"""Bearer tokens: only HS256 with our key, every claim required, every failure one Unauthorized."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from inbox.errors import Unauthorized
from inbox.operator import tokens

SECRET = "s" * 48
ISSUER = tokens.issuer_for("/chatrace-inbox")
GENERATION = "g1"
MAX_LIFETIME = 3600
LIMITS: dict[str, Any] = {"generation": GENERATION, "max_lifetime_seconds": MAX_LIFETIME}


def now() -> datetime:
    return datetime.now(UTC)


def claims(**changes: Any) -> dict[str, Any]:
    issued = int(now().timestamp())
    base: dict[str, Any] = {
        "sub": "admin",
        "iat": issued,
        "exp": issued + 3600,
        "iss": ISSUER,
        "aud": tokens.AUDIENCE,
        "gen": GENERATION,
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def sign(payload: dict[str, Any], key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def verify(token: str) -> tokens.Claims:
    return tokens.verify_token(token, secret=SECRET, issuer=ISSUER, **LIMITS)


def refused(token: str) -> Unauthorized:
    with pytest.raises(Unauthorized) as caught:
        verify(token)
    return caught.value


def refused_as_header(token: str) -> Unauthorized:
    """Sent as a request's Authorization header, parsed (bearer_token) then verified: refused."""
    with pytest.raises(Unauthorized) as caught:
        verify(tokens.bearer_token({"authorization": f"Bearer {token}"}))
    return caught.value


def test_an_issued_token_verifies_with_its_claims() -> None:
    token = tokens.issue_token(
        secret=SECRET, issuer=ISSUER, lifetime_seconds=600, generation=GENERATION, now=now()
    )
    found = verify(token)
    assert found.subject == "admin"
    assert found.expires_at - found.issued_at == 600
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}


def test_alg_none_is_refused() -> None:
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims())}."
    assert refused(unsigned + "x").reason == "invalid token"
    refused_as_header(unsigned)


def test_hs512_with_the_right_key_is_refused() -> None:
    long_secret = "s" * 64
    token = sign(claims(), key=long_secret, algorithm="HS512")
    with pytest.raises(Unauthorized) as caught:
        tokens.verify_token(token, secret=long_secret, issuer=ISSUER, **LIMITS)
    assert caught.value.error_code == "invalid_token"


def test_rs256_token_is_refused_even_when_the_public_key_is_used_as_hmac_secret() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = sign(claims(), key=private, algorithm="RS256")  # type: ignore[arg-type]
    refused(token)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged_header = b64({"alg": "HS256", "typ": "JWT"})
    with pytest.raises(Unauthorized):
        tokens.verify_token(
            f"{forged_header}.{token.split('.')[1]}.{token.split('.')[2]}",
            secret=public_pem.decode(),
            issuer=ISSUER,
            **LIMITS,
        )


def test_wrong_key_is_refused() -> None:
    assert refused(sign(claims(), key="k" * 48)).detail == "InvalidSignatureError"


def test_expired_token_says_so() -> None:
    past = int((now() - timedelta(hours=2)).timestamp())
    error = refused(sign(claims(iat=past, exp=past + 3600)))
    assert error.reason == "token expired"


def test_a_token_expired_within_the_leeway_still_passes() -> None:
    current = int(now().timestamp())
    verify(sign(claims(iat=current - 3600, exp=current - 5)))


def test_token_issued_in_the_future_is_refused() -> None:
    later = int((now() + timedelta(minutes=10)).timestamp())
    refused(sign(claims(iat=later, exp=later + 3600)))


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "someone-else"},
        {"aud": [tokens.AUDIENCE, "other"]},
        {"iss": tokens.issuer_for("/another-stack")},
        {"sub": "not-the-admin"},
        {"sub": 42},
    ],
    ids=["wrong-aud", "aud-list", "wrong-iss", "wrong-sub", "numeric-sub"],
)
def test_wrong_audience_issuer_or_subject_is_refused(changes: dict[str, Any]) -> None:
    refused(sign(claims(**changes)))


@pytest.mark.parametrize("missing", ["sub", "iat", "exp", "iss", "aud"])
def test_every_claim_is_required(missing: str) -> None:
    payload = claims()
    del payload[missing]
    refused(sign(payload))


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "a.b.c",
        "....",
        f"{b64({'alg': 'HS256'})}.{b64(claims())}",
        f"{b64({'alg': 'HS256'})}.not-json.c2ln",
        "eyJ" + "A" * 5000 + ".e30.c2ln",
    ],
    ids=["garbage", "three-dots-of-nothing", "dots", "two-parts", "payload-not-json", "huge"],
)
def test_garbage_is_refused_without_an_exception_escaping(token: str) -> None:
    refused_as_header(token)


def test_missing_authorization_header_is_refused_without_an_error_code() -> None:
    with pytest.raises(Unauthorized) as caught:
        tokens.bearer_token({})
    assert caught.value.reason == "missing bearer token"
    assert tokens.challenge(caught.value) == 'Bearer realm="chatrace-inbox"'


@pytest.mark.parametrize(
    "value", ["Basic YWRtaW46cGFzcw==", "Bearer", "Bearer ", "Token abc.def.ghi", "bearer-abc.def.ghi", "  "]
)
def test_malformed_authorization_header_is_refused(value: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        tokens.bearer_token({"authorization": value})
    assert tokens.challenge(caught.value).startswith('Bearer realm="chatrace-inbox"')


def test_bearer_scheme_is_case_insensitive() -> None:
    token = tokens.issue_token(
        secret=SECRET, issuer=ISSUER, lifetime_seconds=60, generation=GENERATION, now=now()
    )
    assert tokens.bearer_token({"authorization": f"bearer {token}"}) == token


def test_a_refusal_never_carries_the_token() -> None:
    token = sign(claims(), key="k" * 48)
    error = refused(token)
    for part in token.split("."):
        assert part not in f"{error.reason} {error.detail}"


def test_secrets_shorter_than_32_bytes_are_not_usable() -> None:
    assert not tokens.secret_is_usable("x" * 31)
    assert tokens.secret_is_usable("x" * 32)
