"""Is this delivery from our sender? Every configured check fails closed.

Two ways to prove it, usable together: the shared webhook secret (header ``X-Webhook-Secret``
or ``?token=``, for Chatrace's External Request) and Meta's ``X-Hub-Signature-256`` over the raw
body (for operators who connect their own Meta app). A credential that is presented and wrong is
refused even when another one is right; with checks configured, a delivery that proves nothing is
refused. Header names arrive lower-cased from API Gateway HTTP APIs.

With neither secret set the webhook is *closed*: 503 :data:`NOT_CONFIGURED` (no ``Retry-After``:
it is a setup state, not an outage — nothing is kept, the sender's own retries get through once a
secret is set), unless the stack says ``AllowUnauthenticatedWebhook=true`` (*open*; `make dev`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Literal

from inbox.errors import RejectedDelivery

AuthMethod = Literal["webhook-secret", "meta-signature", "none"]
Protection = Literal["checked", "open", "closed"]
"""checked: a secret is set and every delivery must prove it; open: none set, anyone may deliver
(AllowUnauthenticatedWebhook=true); closed: none set, every delivery is answered 503."""

NOT_CONFIGURED = "webhook authentication is not configured"

SECRET_HEADER = "x-webhook-secret"  # noqa: S105 - a header name
SECRET_QUERY = "token"  # noqa: S105 - a query parameter name
SIGNATURE_HEADER = "x-hub-signature-256"


def authenticate(
    raw: bytes,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    *,
    webhook_secret: str | None,
    meta_app_secret: str | None,
    allow_unauthenticated: bool = False,
) -> AuthMethod:
    """Which configured check this delivery passed; raises RejectedDelivery(401) otherwise, and
    RejectedDelivery(503) on a closed webhook."""
    state = protection(
        webhook_secret=webhook_secret is not None,
        meta_app_secret=meta_app_secret is not None,
        allow_unauthenticated=allow_unauthenticated,
    )
    if state == "closed":
        raise RejectedDelivery(503, NOT_CONFIGURED)
    if state == "open":
        return "none"
    passed: AuthMethod | None = None
    if webhook_secret is not None:
        presented = headers.get(SECRET_HEADER, query.get(SECRET_QUERY))
        if presented is not None:
            if not _same(presented, webhook_secret):
                raise RejectedDelivery(401, "invalid webhook secret")
            passed = "webhook-secret"
    if meta_app_secret is not None:
        signature = headers.get(SIGNATURE_HEADER)
        if signature is not None:
            if not _valid_signature(raw, signature, meta_app_secret):
                raise RejectedDelivery(401, "invalid X-Hub-Signature-256")
            passed = passed or "meta-signature"
    if passed is None:
        raise RejectedDelivery(401, _missing_credentials_reason(webhook_secret, meta_app_secret))
    return passed


def protection(*, webhook_secret: bool, meta_app_secret: bool, allow_unauthenticated: bool) -> Protection:
    """How the webhook treats deliveries, from which secrets are set: the one rule the webhook
    enforces and the config view and the dev banner show."""
    if webhook_secret or meta_app_secret:
        return "checked"
    return "open" if allow_unauthenticated else "closed"


def meta_handshake(query: Mapping[str, str], *, verify_token: str | None) -> str:
    """Meta's subscription check: the raw ``hub.challenge`` when the verify token matches."""
    if (
        verify_token is None
        or query.get("hub.mode") != "subscribe"
        or not _same(query.get("hub.verify_token", ""), verify_token)
        or "hub.challenge" not in query
    ):
        raise RejectedDelivery(403, "verification failed")
    return query["hub.challenge"]


def signature_for(raw: bytes, app_secret: str) -> str:
    """The header value Meta sends for ``raw``; used by tests and the sample sender."""
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


def _valid_signature(raw: bytes, header_value: str, app_secret: str) -> bool:
    scheme, _, digest = header_value.strip().partition("=")
    if scheme.lower() != "sha256" or not digest:
        return False
    return _same(signature_for(raw, app_secret), "sha256=" + digest.lower())


def _same(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode("utf-8", "surrogatepass"), expected.encode())


def _missing_credentials_reason(webhook_secret: str | None, meta_app_secret: str | None) -> str:
    accepted = []
    if webhook_secret is not None:
        accepted.append(f"header {SECRET_HEADER.title()} (or ?{SECRET_QUERY}=)")
    if meta_app_secret is not None:
        accepted.append("header X-Hub-Signature-256")
    return "missing credentials: send " + " or ".join(accepted)
