"""End to end over HTTP, as a new user tries it: `make dev`, the seed's curl, the samples, bad bodies."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from inbox_dev import send_samples
from inbox_dev.devprocess import DevServer, start_dev_server, stop_dev_server
from inbox_dev.samples import load_samples

from tests.bodies import SEED

pytestmark = pytest.mark.e2e


def unique_seed() -> dict[str, object]:
    return {**SEED, "messageId": f"e2e-{uuid.uuid4()}"}


def test_seed_curl_is_stored_then_duplicate(dev_server: DevServer) -> None:
    seed = unique_seed()
    first = httpx.post(dev_server.webhook_url, json=seed)
    second = httpx.post(dev_server.webhook_url, json=seed)
    assert (first.status_code, first.json()["status"]) == (200, "stored")
    assert (second.status_code, second.json()["status"]) == (200, "duplicate")
    assert first.headers["content-type"].startswith("application/json")


def test_send_samples_passes_against_the_server(
    dev_server: DevServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert send_samples.main(["--url", dev_server.webhook_url]) == 0
    printed = capsys.readouterr().out
    assert f"{len(load_samples())} passed, 0 failed" in printed
    assert "01-seed-flat" in printed


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b"\x00\x01\x02\xff", {"Content-Type": "application/octet-stream"}, 415),
        (b"\xff\xfe", {"Content-Type": "application/json"}, 400),
        (b"null", {"Content-Type": "application/json"}, 202),
        (b"[]", {"Content-Type": "application/json"}, 202),
        (b"[" * 100_000 + b"]" * 100_000, {"Content-Type": "application/json"}, 400),
        (b'{"a":"' + b"x" * (5 * 1024 * 1024) + b'"}', {"Content-Type": "application/json"}, 413),
        (b"", {}, 400),
        (
            b"senderId=1&text=hi%20there&messageId=" + uuid.uuid4().hex.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
            200,
        ),
    ],
    ids=["binary", "invalid-utf8", "null", "empty-array", "100k-deep", "5MB", "empty", "form"],
)
def test_every_body_gets_a_clear_answer_and_never_a_500(
    dev_server: DevServer, content: bytes, headers: dict[str, str], status: int
) -> None:
    response = httpx.post(dev_server.webhook_url, content=content, headers=headers, timeout=30)
    assert response.status_code == status
    body = response.json()
    assert ("error" in body) if status >= 400 else ("status" in body)


def test_meta_handshake_is_refused_when_no_verify_token_is_set(dev_server: DevServer) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "42"}
    assert httpx.get(dev_server.webhook_url, params=query).status_code == 403


def test_unknown_route_is_404_json(dev_server: DevServer) -> None:
    response = httpx.get(f"{dev_server.base_url}/nope")
    assert response.status_code == 404
    assert json.loads(response.text)


def test_configured_secret_is_enforced_and_ctrl_c_stops_cleanly() -> None:
    server = start_dev_server({"INBOX_WEBHOOK_SECRET": "dev-secret-123", "INBOX_META_VERIFY_TOKEN": "vt"})
    try:
        seed = unique_seed()
        refused = httpx.post(server.webhook_url, json=seed)
        accepted = httpx.post(server.webhook_url, json=seed, headers={"X-Webhook-Secret": "dev-secret-123"})
        challenge = httpx.get(
            server.webhook_url,
            params={"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "99"},
        )
    finally:
        code, output = stop_dev_server(server)
    assert refused.status_code == 401
    assert accepted.status_code == 200
    assert (challenge.status_code, challenge.text) == (200, "99")
    assert code == 0
    assert "stopped" in output
    assert "INBOX_WEBHOOK_SECRET" in output  # the banner says it is set...
    assert "dev-secret-123" not in output  # ...and never what it is
    assert "curl" in output
