"""The operator API over HTTP as a new user tries it against `make dev`: login → config, messages, bad tokens.

Against a deployed stack (INBOX_E2E_BASE_URL), the admin's credentials come from
INBOX_E2E_ADMIN_EMAIL / INBOX_E2E_ADMIN_PASSWORD; without them these tests are skipped.
"""

from __future__ import annotations

import os
import subprocess
import uuid

import httpx
import pytest
from inbox_dev.devprocess import DevServer, start_dev_server, stop_dev_server
from inbox_dev.secrets import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD, banner_lines, dev_operator

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def credentials(dev_server: DevServer) -> dict[str, str]:
    if dev_server.process is not None:
        return {"email": DEV_ADMIN_EMAIL, "password": DEV_ADMIN_PASSWORD}
    email, password = os.environ.get("INBOX_E2E_ADMIN_EMAIL"), os.environ.get("INBOX_E2E_ADMIN_PASSWORD")
    if not (email and password):
        pytest.skip("set INBOX_E2E_ADMIN_EMAIL and INBOX_E2E_ADMIN_PASSWORD to test a deployed operator API")
    return {"email": email, "password": password}


@pytest.fixture(scope="module")
def auth(dev_server: DevServer, credentials: dict[str, str]) -> dict[str, str]:
    reply = httpx.post(f"{dev_server.base_url}/auth/login", json=credentials, timeout=30)
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['accessToken']}"}


def post_message(server: DevServer, sender: str, text: str, timestamp: int) -> dict[str, object]:
    body = {"senderId": sender, "messageId": f"e2e-{uuid.uuid4()}", "text": text, "timestamp": timestamp}
    reply = httpx.post(server.webhook_url, json=body, timeout=30)
    assert (reply.status_code, reply.json()["status"]) == (200, "stored"), reply.text
    message: dict[str, object] = reply.json()["messages"][0]
    return message


def test_login_then_config(dev_server: DevServer, auth: dict[str, str]) -> None:
    reply = httpx.get(f"{dev_server.base_url}/instagram/config", headers=auth, timeout=30)
    assert reply.status_code == 200
    config = reply.json()
    assert config["webhook"]["url"] == dev_server.webhook_url
    assert config["secrets"]["jwtSecret"]["set"] is True
    assert config["auth"]["tokenLifetimeSeconds"] == 3600


def test_a_posted_message_shows_up_filtered_and_paged(dev_server: DevServer, auth: dict[str, str]) -> None:
    sender = f"e2e-sender-{uuid.uuid4().hex[:8]}"
    posted = [post_message(dev_server, sender, f"message {i}", 1_790_000_000 + i) for i in range(3)]
    url = f"{dev_server.base_url}/instagram/messages"

    everything = httpx.get(url, headers=auth, params={"limit": "100"}, timeout=30).json()
    assert {m["messageId"] for m in posted} <= {m["messageId"] for m in everything["messages"]}

    first = httpx.get(url, headers=auth, params={"senderId": sender, "limit": "2"}, timeout=30).json()
    second = httpx.get(
        url,
        headers=auth,
        params={"senderId": sender, "limit": "2", "cursor": first["nextCursor"]},
        timeout=30,
    ).json()
    listed = [m["messageId"] for m in first["messages"] + second["messages"]]
    assert listed == [m["messageId"] for m in reversed(posted)]
    assert second["nextCursor"] is None
    expected = {k: v for k, v in posted[-1].items() if k != "status"}
    assert first["messages"][0] == expected


def test_since_filters_over_http(dev_server: DevServer, auth: dict[str, str]) -> None:
    sender = f"e2e-since-{uuid.uuid4().hex[:8]}"
    post_message(dev_server, sender, "before", 1_790_000_000)
    after = post_message(dev_server, sender, "after", 1_790_000_100)
    reply = httpx.get(
        f"{dev_server.base_url}/instagram/messages",
        headers=auth,
        params={"senderId": sender, "since": "2026-09-21T16:14:00+02:00"},
        timeout=30,
    )
    assert [m["messageId"] for m in reply.json()["messages"]] == [after["messageId"]]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic YWRtaW46YWRtaW4=",
        "Bearer not-a-token",
        "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiJ9.",
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl",
    ],
    ids=["missing", "basic", "garbage", "alg-none", "bad-signature"],
)
def test_bad_tokens_are_401_over_http(dev_server: DevServer, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for path in ("/instagram/config", "/instagram/messages", "/instagram/unrecognized"):
        reply = httpx.get(f"{dev_server.base_url}{path}", headers=headers, timeout=30)
        assert reply.status_code == 401
        assert reply.headers["www-authenticate"].startswith("Bearer")
        assert "error" in reply.json()


def test_wrong_credentials_are_401_and_a_broken_body_400(dev_server: DevServer) -> None:
    login = f"{dev_server.base_url}/auth/login"
    assert (
        httpx.post(login, json={"email": "x@example.com", "password": "nope"}, timeout=30).status_code == 401
    )
    assert httpx.post(login, content=b"{broken", timeout=30).status_code == 400


def test_the_banners_login_then_config_commands_work_as_printed() -> None:
    """A new user copies the banner's curl lines; INBOX_ADMIN_PASSWORD and the JWT secret never show."""
    password = f"e2e-{uuid.uuid4().hex}"
    jwt_secret = uuid.uuid4().hex * 2
    env = {"INBOX_ADMIN_PASSWORD": password, "INBOX_JWT_SECRET": jwt_secret}
    server = start_dev_server(env)
    try:
        lines = banner_lines(dev_operator(env), server.base_url)
        commands = "\n".join(line for line in lines if line.startswith(("  TOKEN=", "       -d ", "  curl ")))
        shell = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", commands],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert shell.returncode == 0, shell.stderr
        assert '"webhook":{"url":"' in shell.stdout
        assert '"messages":[' in shell.stdout
    finally:
        _, printed = stop_dev_server(server)
    assert "Log in, then read the settings and the stored messages:" in printed
    assert "$INBOX_ADMIN_PASSWORD" in printed
    assert password not in printed
    assert jwt_secret not in printed
