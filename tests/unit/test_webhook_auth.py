"""Webhook authenticity: every configured check fails closed."""

from __future__ import annotations

import pytest
from inbox.errors import RejectedDelivery
from inbox.webhook.auth import authenticate, meta_handshake, protection, signature_for

RAW = b'{"senderId": "1", "text": "hi"}'
SECRET = "s3cret-value"
APP_SECRET = "meta-app-secret"


def rejected(**kwargs: object) -> RejectedDelivery:
    with pytest.raises(RejectedDelivery) as caught:
        authenticate(RAW, **kwargs)  # type: ignore[arg-type]
    assert caught.value.status_code == 401
    return caught.value


def test_nothing_configured_is_open_only_when_the_stack_allows_it() -> None:
    open_hook = authenticate(
        RAW, {}, {}, webhook_secret=None, meta_app_secret=None, allow_unauthenticated=True
    )
    assert open_hook == "none"


@pytest.mark.parametrize("allow", [{}, {"allow_unauthenticated": False}], ids=["default", "false"])
def test_nothing_configured_is_closed_by_default(allow: dict[str, bool]) -> None:
    with pytest.raises(RejectedDelivery) as caught:
        authenticate(
            RAW, {"x-webhook-secret": "anything"}, {}, webhook_secret=None, meta_app_secret=None, **allow
        )
    assert (caught.value.status_code, caught.value.reason) == (
        503,
        "webhook authentication is not configured",
    )
    assert not caught.value.keep_raw


@pytest.mark.parametrize(
    ("secret", "app_secret", "allow", "state"),
    [
        (True, False, False, "checked"),
        (False, True, True, "checked"),
        (False, False, True, "open"),
        (False, False, False, "closed"),
    ],
)
def test_protection(secret: bool, app_secret: bool, allow: bool, state: str) -> None:
    assert protection(webhook_secret=secret, meta_app_secret=app_secret, allow_unauthenticated=allow) == state


def test_shared_secret_in_header_passes() -> None:
    headers = {"x-webhook-secret": SECRET}
    assert authenticate(RAW, headers, {}, webhook_secret=SECRET, meta_app_secret=None) == "webhook-secret"


def test_shared_secret_in_query_token_passes() -> None:
    assert (
        authenticate(RAW, {}, {"token": SECRET}, webhook_secret=SECRET, meta_app_secret=None)
        == "webhook-secret"
    )


def test_missing_secret_is_refused_and_says_how_to_send_it() -> None:
    rejection = rejected(headers={}, query={}, webhook_secret=SECRET, meta_app_secret=None)
    assert "X-Webhook-Secret" in rejection.reason
    assert SECRET not in rejection.reason


@pytest.mark.parametrize("presented", ["wrong", "", SECRET + "x", SECRET.upper(), "сек\ud800рет"])
def test_wrong_secret_is_refused(presented: str) -> None:
    rejection = rejected(
        headers={"x-webhook-secret": presented}, query={}, webhook_secret=SECRET, meta_app_secret=None
    )
    assert rejection.reason == "invalid webhook secret"


def test_wrong_header_secret_is_refused_even_with_right_query_token() -> None:
    rejected(
        headers={"x-webhook-secret": "wrong"},
        query={"token": SECRET},
        webhook_secret=SECRET,
        meta_app_secret=None,
    )


def test_valid_meta_signature_passes() -> None:
    headers = {"x-hub-signature-256": signature_for(RAW, APP_SECRET)}
    assert authenticate(RAW, headers, {}, webhook_secret=None, meta_app_secret=APP_SECRET) == "meta-signature"


def test_signature_hex_is_case_insensitive() -> None:
    headers = {"x-hub-signature-256": signature_for(RAW, APP_SECRET).upper().replace("SHA256=", "sha256=")}
    assert authenticate(RAW, headers, {}, webhook_secret=None, meta_app_secret=APP_SECRET) == "meta-signature"


@pytest.mark.parametrize(
    "header",
    [
        "sha256=" + "0" * 64,
        "sha1=abc",
        "sha256=",
        "garbage",
        signature_for(RAW + b" ", APP_SECRET),
        signature_for(RAW, "other-secret"),
    ],
)
def test_invalid_signature_is_refused(header: str) -> None:
    rejected(
        headers={"x-hub-signature-256": header}, query={}, webhook_secret=None, meta_app_secret=APP_SECRET
    )


def test_missing_signature_is_refused_when_app_secret_is_configured() -> None:
    rejection = rejected(headers={}, query={}, webhook_secret=None, meta_app_secret=APP_SECRET)
    assert "X-Hub-Signature-256" in rejection.reason


def test_with_both_configured_either_credential_is_enough() -> None:
    by_secret = authenticate(
        RAW, {"x-webhook-secret": SECRET}, {}, webhook_secret=SECRET, meta_app_secret=APP_SECRET
    )
    signature = {"x-hub-signature-256": signature_for(RAW, APP_SECRET)}
    by_signature = authenticate(RAW, signature, {}, webhook_secret=SECRET, meta_app_secret=APP_SECRET)
    assert (by_secret, by_signature) == ("webhook-secret", "meta-signature")


def test_with_both_configured_a_wrong_signature_is_refused_despite_the_right_secret() -> None:
    headers = {"x-webhook-secret": SECRET, "x-hub-signature-256": "sha256=" + "0" * 64}
    rejected(headers=headers, query={}, webhook_secret=SECRET, meta_app_secret=APP_SECRET)


def test_handshake_returns_the_raw_challenge() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"}
    assert meta_handshake(query, verify_token="vt") == "1158201444"


@pytest.mark.parametrize(
    ("query", "token"),
    [
        ({"hub.mode": "subscribe", "hub.verify_token": "bad", "hub.challenge": "1"}, "vt"),
        ({"hub.mode": "unsubscribe", "hub.verify_token": "vt", "hub.challenge": "1"}, "vt"),
        ({"hub.mode": "subscribe", "hub.verify_token": "vt"}, "vt"),
        ({}, "vt"),
        ({"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, None),
    ],
)
def test_handshake_is_refused_with_403(query: dict[str, str], token: str | None) -> None:
    with pytest.raises(RejectedDelivery) as caught:
        meta_handshake(query, verify_token=token)
    assert caught.value.status_code == 403
