"""docs/security.md §1, §4 and §9 over HTTP against `make dev`, as an attacker and the operator see them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from inbox.normalize.timestamps import datetime_to_ms
from inbox_dev.devprocess import DevServer
from inbox_dev.secrets import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD

from tests.security.test_duplicate_keys import ATTACK, readme_template, render

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def auth(dev_server: DevServer) -> dict[str, str]:
    if dev_server.process is None:
        pytest.skip("reads kept bodies with make dev's own operator credentials")
    credentials = {"email": DEV_ADMIN_EMAIL, "password": DEV_ADMIN_PASSWORD}
    reply = httpx.post(f"{dev_server.base_url}/auth/login", json=credentials, timeout=30)
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['accessToken']}"}


def test_the_forged_chatrace_body_is_refused_and_the_operator_sees_it(
    dev_server: DevServer, auth: dict[str, str]
) -> None:
    # Given the README's body as Chatrace renders it, with the customer's forging text (unique per run)
    victim = str(uuid.uuid4().int)[:12]
    body = render(readme_template(), ATTACK.replace("2222222222", victim))

    reply = httpx.post(
        dev_server.webhook_url, content=body, headers={"Content-Type": "application/json"}, timeout=30
    )

    assert reply.status_code == 400, reply.text
    assert reply.json() == {"error": 'duplicate key "contact_id": each key may appear only once'}
    listed = httpx.get(
        f"{dev_server.base_url}/instagram/messages", params={"senderId": victim}, headers=auth, timeout=30
    )
    assert listed.json()["messages"] == []
    kept = httpx.get(f"{dev_server.base_url}/instagram/unrecognized", headers=auth, timeout=30).json()
    mine = [b for b in kept["bodies"] if victim in (b.get("body") or "")]
    assert [b["reason"] for b in mine] == [reply.json()["error"]]


def test_an_emoji_id_never_blocks_the_rest_of_the_batch(dev_server: DevServer) -> None:
    run = uuid.uuid4().hex
    batch = [
        {"senderId": "3001", "messageId": f"{run}-1", "text": "first"},
        {"senderId": "3001", "messageId": "😀" * 512, "text": "refused"},
        {"senderId": "3001", "messageId": f"{run}-2", "text": "third"},
    ]
    first = httpx.post(dev_server.webhook_url, json=batch, timeout=30)
    again = httpx.post(dev_server.webhook_url, json=batch, timeout=30)
    assert first.status_code == 200, first.text
    assert [m["status"] for m in first.json()["messages"]] == ["stored", "rejected", "stored"]
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")


def test_reply_ids_and_future_times_are_not_taken_from_the_body(dev_server: DevServer) -> None:
    reserved = httpx.post(
        dev_server.webhook_url, json={"senderId": "3002", "messageId": "reply:abc", "text": "hi"}, timeout=30
    )
    assert reserved.status_code == 400, reserved.text

    claimed = datetime_to_ms(datetime.now(UTC) + timedelta(days=30))
    body = {"senderId": "3002", "messageId": f"future-{uuid.uuid4()}", "text": "hi", "timestamp": claimed}
    future = httpx.post(dev_server.webhook_url, json=body, timeout=30)
    message = future.json()["messages"][0]
    assert message["timestamp"] == message["receivedAt"]
    assert "claimedTimestamp" in message
