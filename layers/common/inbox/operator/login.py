"""`POST /auth/login`: the admin's email and password for a bearer token.

Constant work whatever is wrong: the password is always checked against the stored scrypt hash,
even when the email is already known to be wrong, and both comparisons are constant-time, so
neither the answer (one 401 for both) nor its timing says which of the two was wrong. The email
compares case-insensitively. Nothing of the credentials is logged, and the token's ``sub`` is a
fixed ``admin`` rather than the email (which is kept as a secret too).

Before any password work the attempt goes through :mod:`inbox.operator.login_throttle` (429 + Retry-After
after too many failures from this address or for this account); a malformed body (400) or a
missing secret (503) never reaches it, so neither counts as a failure.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from inbox.errors import MalformedHash, Unauthorized, UnusableSecret
from inbox.http import Answer
from inbox.observability import MetricName, logger, metrics
from inbox.operator import tokens
from inbox.operator.login_throttle import LoginThrottle
from inbox.operator.passwords import MAX_PASSWORD_CHARS, verify_password
from inbox.settings import ADMIN_EMAIL, ADMIN_PASSWORD_HASH, Settings, session_generation, token_lifetime
from inbox.validation import validated


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)


def login(
    body: dict[str, object],
    settings: Settings,
    *,
    issuer: str,
    now: datetime,
    throttle: LoginThrottle,
    source_ip: str | None,
) -> Answer:
    credentials = validated(LoginRequest, body)
    admin_email = settings.required(ADMIN_EMAIL)
    stored_hash = settings.required(ADMIN_PASSWORD_HASH)
    secret = tokens.signing_secret(settings)
    attempt = throttle.admit(source_ip=source_ip, email=credentials.email, now=now)
    email_matches = hmac.compare_digest(_comparable(credentials.email), _comparable(admin_email))
    try:
        password_matches = verify_password(credentials.password, stored_hash)
    except MalformedHash as exc:
        raise UnusableSecret(ADMIN_PASSWORD_HASH, str(exc)) from exc
    if not (email_matches and password_matches):
        metrics.add_metric(name=MetricName.LOGIN_FAILURES, unit="Count", value=1)
        raise Unauthorized("invalid email or password", detail="login refused")
    throttle.succeeded(attempt, now)
    lifetime = token_lifetime(settings)
    token = tokens.issue_token(
        secret=secret,
        issuer=issuer,
        lifetime_seconds=lifetime,
        generation=session_generation(settings),
        now=now,
    )
    logger.info("operator logged in", extra={"expiresIn": lifetime})
    return Answer(200, {"accessToken": token, "tokenType": "Bearer", "expiresIn": lifetime})


def _comparable(email: str) -> bytes:
    return email.strip().casefold().encode("utf-8", "surrogatepass")
