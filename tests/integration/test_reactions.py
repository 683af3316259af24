"""Reactions (Meta's ``reaction`` items) kept on the message they react to, through the webhook handler
on moto: never a message, never counted, a redelivery changes nothing, a removal is kept."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from inbox.storage.readers import MessageReader
from inbox.storage.store import MessageStore
from inbox.storage.table import conversation_key, message_key

from tests.conftest import Invoke
from tests.integration.conftest import OPERATOR, Call

JSON = {"content-type": "application/json"}
CUSTOMER = "17841455550001"


@pytest.fixture
def secrets() -> dict[str, str]:
    return dict(OPERATOR)


def envelope(*items: dict[str, Any]) -> bytes:
    entry = {"id": "17841400000000000", "time": 1767225600000, "messaging": list(items)}
    return json.dumps({"object": "instagram", "entry": [entry]}).encode()


def message(mid: str, ms: int, text: str) -> dict[str, Any]:
    return {
        "sender": {"id": CUSTOMER},
        "recipient": {"id": "1"},
        "timestamp": ms,
        "message": {"mid": mid, "text": text},
    }


def reaction(mid: str, ms: int, action: str = "react", emoji: str = "❤️") -> dict[str, Any]:
    body: dict[str, Any] = {"mid": mid, "action": action}
    if action == "react":
        body |= {"reaction": "love", "emoji": emoji}
    return {"sender": {"id": CUSTOMER}, "recipient": {"id": "1"}, "timestamp": ms, "reaction": body}


def deliver(invoke: Invoke, *items: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = invoke("POST", body=envelope(*items), headers=JSON)
    return result["statusCode"], json.loads(result["body"])


def raw_item(table_name: str, key: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = boto3.client("dynamodb").get_item(TableName=table_name, Key=key)["Item"]
    return found


def test_a_reaction_is_kept_on_its_message_and_a_redelivery_changes_nothing(
    invoke_webhook: Invoke, table_name: str
) -> None:
    # Given a stored message
    assert (
        deliver(invoke_webhook, message("mid-1", 1767225600000, "Is it in stock?"))[1]["status"] == "stored"
    )
    before = raw_item(table_name, conversation_key(CUSTOMER))
    # When the customer reacts to it
    status, body = deliver(invoke_webhook, reaction("mid-1", 1767225660000))
    # Then it is no new message, but the reaction is kept on the message
    assert (status, body["status"], body["messages"]) == (200, "ignored", [])
    assert [(r["messageId"], r["emoji"], r["status"]) for r in body["reactions"]] == [("mid-1", "❤️", "kept")]
    stored = MessageReader(table_name).messages(sender_id=CUSTOMER, since=None, limit=10, before=None).items
    assert len(stored) == 1
    assert [(r.senderId, r.emoji, r.reaction) for r in stored[0].reactions] == [(CUSTOMER, "❤️", "love")]
    assert stored[0].to_json()["reactions"][0]["emoji"] == "❤️"
    # and counted nowhere: the conversation row is as it was
    assert raw_item(table_name, conversation_key(CUSTOMER)) == before
    # When the same reaction is delivered again
    item = raw_item(table_name, message_key("mid-1"))
    again = deliver(invoke_webhook, reaction("mid-1", 1767225660000))[1]
    # Then nothing changes
    assert again["reactions"][0]["status"] == "unchanged"
    assert raw_item(table_name, message_key("mid-1")) == item


def test_a_removal_is_kept_and_an_older_reaction_arriving_late_cannot_undo_it(
    invoke_webhook: Invoke, table_name: str
) -> None:
    deliver(invoke_webhook, message("mid-2", 1767225600000, "Thanks"))
    deliver(invoke_webhook, reaction("mid-2", 1767225660000, emoji="👍"))
    # When the customer takes the reaction back, and Meta then redelivers the old reaction
    removed = deliver(invoke_webhook, reaction("mid-2", 1767225720000, action="unreact"))[1]
    late = deliver(invoke_webhook, reaction("mid-2", 1767225660000, emoji="👍"))[1]
    # Then the message has no reaction
    assert removed["reactions"][0]["status"] == "kept"
    assert late["reactions"][0]["status"] == "unchanged"
    stored = MessageReader(table_name).messages(sender_id=CUSTOMER, since=None, limit=10, before=None).items
    assert stored[0].reactions == ()
    assert "reactions" not in stored[0].to_json()


def test_a_reaction_to_a_message_not_yet_stored_is_kept_and_replayed_later(
    invoke_webhook: Invoke, call: Call, token: str, store: MessageStore, table_name: str
) -> None:
    # Given a reaction that arrives before its message
    first = deliver(invoke_webhook, reaction("mid-3", 1767225660000, emoji="😂"))[1]
    assert first["reactions"][0]["status"] == "unknown message"
    kept = call("GET", "/instagram/unrecognized", token=token).body["bodies"]
    assert [b["reason"] for b in kept] == [
        "reaction to a message not stored (yet): replay it once the message is in"
    ]
    # When the message arrives and the kept body is replayed
    deliver(invoke_webhook, message("mid-3", 1767225600000, "Haha"))
    replayed = call("POST", f"/instagram/unrecognized/{kept[0]['id']}/replay", token=token)
    # Then the reaction is on the message
    assert replayed.status == 200, replayed
    assert replayed.body["reactions"][0]["status"] == "kept"
    listed = call("GET", "/instagram/messages", query={"senderId": CUSTOMER}, token=token).body["messages"]
    assert [r["emoji"] for r in listed[0]["reactions"]] == ["😂"]
