"""The operator API's bearer tokens: issued at login, verified by every protected route — here only.

HS256 JWTs signed with the SecureString ``auth/jwt-secret``. Verification accepts exactly one
algorithm (so ``alg: none``, HS512 or an RS256 key-confusion token never reach a signature check
with our key), requires ``sub``, ``iat``, ``exp``, ``iss`` and ``aud``, checks ``iss`` against this
stack (``chatrace-inbox:<settings prefix>``: a token of another stack is refused even if a secret
were shared), ``aud`` against the operator API and ``sub`` against the one operator, with 30 s of
leeway for clock skew (``iat`` in the future is refused too). Two checks make a token mortal even
when its signature is good: ``gen`` must equal the current session generation (``make secrets``
changes it with the password, so a new password ends every session), and ``exp - iat`` may not
exceed the configured token lifetime (a token signed to live ten years, or longer than the
lifetime the operator configured since, is refused). Every failure
is one :class:`~inbox.errors.Unauthorized`: the caller learns *that* the token is unusable (and
whether it merely expired), the log learns why — never the token itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

import jwt

from inbox.errors import BEARER_REALM, Unauthorized, UnusableSecret
from inbox.settings import JWT_SECRET, Settings

ALGORITHM = "HS256"
AUDIENCE = "chatrace-inbox-operator"
LEEWAY_SECONDS = 30
MIN_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash
SUBJECT = "admin"
REALM = BEARER_REALM
GENERATION_CLAIM = "gen"
_REQUIRED_CLAIMS = ["sub", "iat", "exp", "iss", "aud", GENERATION_CLAIM]
_MAX_TOKEN_CHARS = 4096
# Registered JWS algorithm names (RFC 7518, 8037): the only alg values a log line may repeat.
_KNOWN_ALGORITHMS = frozenset(
    f"{family}{bits}" for family in ("HS", "RS", "ES", "PS") for bits in (256, 384, 512)
) | {"none", "ES256K", "EdDSA"}
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def issuer_for(settings_prefix: str) -> str:
    """``iss`` of this stack's tokens: its settings prefix (``/chatrace-inbox``)."""
    return f"chatrace-inbox:{settings_prefix}"


def secret_is_usable(secret: str) -> bool:
    return len(secret.encode("utf-8", "surrogatepass")) >= MIN_SECRET_BYTES


def signing_secret(settings: Settings) -> str:
    """The JWT secret; a missing or too short one is a setup problem (503), never "no check"."""
    secret = settings.required(JWT_SECRET)
    if not secret_is_usable(secret):
        raise UnusableSecret(JWT_SECRET, f"shorter than {MIN_SECRET_BYTES} bytes")
    return secret


class Claims(NamedTuple):
    """A valid token's claims (a named tuple: cheaper than a dataclass to build at the cold start)."""

    subject: str
    issued_at: int
    expires_at: int


def issue_token(*, secret: str, issuer: str, lifetime_seconds: int, generation: str, now: datetime) -> str:
    issued_at = int(now.timestamp())
    claims = {
        "sub": SUBJECT,
        "iat": issued_at,
        "exp": issued_at + lifetime_seconds,
        "iss": issuer,
        "aud": AUDIENCE,
        GENERATION_CLAIM: generation,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"typ": "JWT"})


def bearer_token(headers: Mapping[str, str]) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (names lower-cased, as API Gateway's)."""
    value = headers.get("authorization")
    if value is None or not value.strip():
        raise Unauthorized("missing bearer token", detail="no Authorization header")
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        # Never the scheme itself: a token sent without "Bearer " *is* the scheme here.
        raise Unauthorized(
            "malformed Authorization header: expected 'Bearer <token>'",
            detail="not a Bearer scheme" if scheme.lower() != "bearer" else "empty token",
            error_code="invalid_request",
        )
    if len(token) > _MAX_TOKEN_CHARS or not _TOKEN.fullmatch(token):
        raise Unauthorized("invalid token", detail="not a compact JWS", error_code="invalid_token")
    return token


def verify_token(
    token: str, *, secret: str, issuer: str, generation: str, max_lifetime_seconds: int
) -> Claims:
    """The claims of a valid token of this session ``generation`` that lives at most
    ``max_lifetime_seconds``; raises Unauthorized for anything else."""
    try:
        header = jwt.get_unverified_header(token)
        alg = header.get("alg")
        if alg != ALGORITHM:
            # The log names a registered algorithm only: nothing a caller wrote into the token.
            named = alg if isinstance(alg, str) and alg in _KNOWN_ALGORITHMS else "another"
            raise Unauthorized("invalid token", detail=f"alg {named} refused", error_code="invalid_token")
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": _REQUIRED_CLAIMS, "verify_signature": True, "strict_aud": True},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired", detail="expired", error_code="invalid_token") from exc
    except jwt.PyJWTError as exc:  # InvalidTokenError and the rest (e.g. InvalidKeyError): never a 500
        raise Unauthorized("invalid token", detail=type(exc).__name__, error_code="invalid_token") from exc
    subject, issued_at, expires_at = claims.get("sub"), claims.get("iat"), claims.get("exp")
    if subject != SUBJECT or not (isinstance(issued_at, int) and isinstance(expires_at, int)):
        raise Unauthorized("invalid token", detail="unexpected sub, iat or exp", error_code="invalid_token")
    if expires_at - issued_at > max_lifetime_seconds:
        raise Unauthorized(
            "invalid token", detail="lifetime over the configured maximum", error_code="invalid_token"
        )
    if claims.get(GENERATION_CLAIM) != generation:
        raise Unauthorized(
            "invalid token", detail="session generation changed (new password)", error_code="invalid_token"
        )
    return Claims(SUBJECT, issued_at, expires_at)


def challenge(error: Unauthorized) -> str:
    """The ``WWW-Authenticate`` value for a refusal (RFC 6750 §3)."""
    return error.challenge()
