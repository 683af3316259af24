"""`make dev` with the fake Chatrace as its API (INBOX_CHATRACE_API_URL): conversations, a reply, events.

Two senders write through the webhook; the conversations list shows both with the right counts;
a reply reaches the fake and appears in the conversation as outbound; a retried reply with the
same Idempotency-Key is sent once; each new inbound message is printed as exactly one [event] line.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from inbox_dev.devprocess import DevServer, start_dev_server, stop_dev_server
from inbox_dev.fake_chatrace import FakeChatrace
from inbox_dev.secrets import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(fake: FakeChatrace) -> Iterator[DevServer]:
    server = start_dev_server({"INBOX_CHATRACE_TOKEN": fake.token, "INBOX_CHATRACE_API_URL": fake.base_url})
    yield server
    stop_dev_server(server)


def event_lines(server: DevServer) -> list[dict[str, Any]]:
    found = []
    for line in server.output.splitlines():
        if line.startswith("[event] "):
            found.append(json.loads(line.split(": ", 1)[1]))
    return found


def test_two_senders_a_reply_sent_once_and_one_event_per_new_message(
    server: DevServer, fake: FakeChatrace
) -> None:
    login = httpx.post(
        f"{server.base_url}/auth/login",
        json={"email": DEV_ADMIN_EMAIL, "password": DEV_ADMIN_PASSWORD},
        timeout=30,
    )
    auth = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    run = uuid.uuid4().hex[:8]
    anna, boris = f"anna-{run}", f"boris-{run}"
    now = int(time.time())
    sent_ids: list[str] = []
    for sender, text, offset in [(anna, "hi", -60), (boris, "hello", -50), (anna, "anyone?", -40)]:
        body = {
            "senderId": sender,
            "messageId": f"{sender}-{offset}",
            "text": text,
            "timestamp": now + offset,
        }
        reply = httpx.post(server.webhook_url, json=body, timeout=30)
        assert reply.json()["status"] == "stored", reply.text
        sent_ids.append(str(body["messageId"]))
        again = httpx.post(server.webhook_url, json=body, timeout=30)  # a redelivery
        assert again.json()["status"] == "duplicate", again.text

    listing = httpx.get(f"{server.base_url}/instagram/conversations", headers=auth, timeout=30).json()
    rows = {row["senderId"]: row for row in listing["conversations"]}
    assert (rows[anna]["messageCount"], rows[boris]["messageCount"]) == (2, 1)
    assert rows[anna]["lastMessage"]["text"] == "anyone?"
    assert rows[anna]["unanswered"] is True
    assert rows[anna]["replyWindow"]["open"] is True

    url = f"{server.base_url}/instagram/conversations/{anna}/reply"
    key = {**auth, "Idempotency-Key": f"e2e-{run}"}
    first = httpx.post(url, json={"text": "Yes, it is! Size?"}, headers=key, timeout=30)
    retried = httpx.post(url, json={"text": "Yes, it is! Size?"}, headers=key, timeout=30)
    assert first.status_code == 201, first.text
    assert (retried.status_code, retried.json()["replayed"]) == (200, True)
    to_anna = [s for s in fake.sent if s["contactId"] == anna]
    assert to_anna == [{"contactId": anna, "body": {"text": "Yes, it is! Size?", "channel": "instagram"}}]

    messages = httpx.get(
        f"{server.base_url}/instagram/messages", headers=auth, params={"senderId": anna}, timeout=30
    ).json()["messages"]
    assert (messages[0]["direction"], messages[0]["text"]) == ("outbound", "Yes, it is! Size?")
    assert messages[0]["status"] == "sent"
    listing = httpx.get(f"{server.base_url}/instagram/conversations", headers=auth, timeout=30).json()
    anna_row = next(row for row in listing["conversations"] if row["senderId"] == anna)
    assert (anna_row["messageCount"], anna_row["unanswered"]) == (3, False)

    deadline = time.monotonic() + 30  # at once, normally; a loaded machine may take a while
    while time.monotonic() < deadline:
        mine = [e for e in event_lines(server) if e["senderId"] in (anna, boris)]
        if len(mine) >= 3:
            break
        time.sleep(0.2)
    time.sleep(0.5)  # a late duplicate event would show up by now
    mine = [e for e in event_lines(server) if e["senderId"] in (anna, boris)]
    shown = [line for line in server.output.splitlines() if line.startswith("[event")]
    assert sorted(e["messageId"] for e in mine) == sorted(sent_ids), shown
    assert {e["direction"] for e in mine} == {"inbound"}
