"""Issue 10 item 3: a reply is sent at most once.

Threats (a careless client as much as an attacker): a reply whose Chatrace call timed out *after*
Chatrace delivered it is retried with the same ``Idempotency-Key`` and reaches the customer twice;
a reply Chatrace accepted but whose record could not be written answers 503, and the client's
retry sends it again. The operator API runs in-process (functions/config) on moto provisioned from
template.yaml, against the fake Chatrace over real HTTP; its faults (``slow``: longer than the
client timeout, ``hangup``: the connection closed after the text was sent) and a DynamoDB that
refuses the final write stand for the real failures.
"""

from __future__ import annotations

import importlib
import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from inbox import settings as inbox_settings
from inbox.models import STALE_SENDING
from inbox.operator import replies
from inbox.storage.table import conversation_key, message_key
from inbox_dev.events import http_api_event
from inbox_dev.fake_chatrace import FakeChatrace
from inbox_dev.lambdas import LambdaContext
from inbox_dev.local_aws import LocalStack

from tests.conftest import Invoke
from tests.integration.conftest import JSON, OPERATOR, Call, Reply

TOKEN = "chatrace-token-for-replies-0123456789"
CONTACT = "2850008055041461"
PATH = f"/instagram/conversations/{CONTACT}/reply"


@pytest.fixture
def secrets() -> dict[str, str]:
    return {**OPERATOR, "chatrace/token": TOKEN}


def set_api_url(stack: LocalStack, url: str) -> None:
    boto3.client("ssm").put_parameter(
        Name=f"{stack.settings_prefix}/chatrace/api-url", Value=url, Type="String", Overwrite=True
    )
    inbox_settings.clear_caches()


@pytest.fixture
def fake(stack: LocalStack, invoke_webhook: Invoke) -> Iterator[FakeChatrace]:
    """The fake Chatrace as the reply API, slower than the client's timeout when told to be; and a
    customer who wrote a minute ago."""
    with FakeChatrace(token=TOKEN, slow_seconds=3.0) as running:  # the client waits 2.67 s at most
        set_api_url(stack, running.base_url)
        body = {
            "senderId": CONTACT,
            "messageId": f"m-{uuid.uuid4().hex[:8]}",
            "text": "Is it in stock?",
            "timestamp": int((datetime.now(UTC) - timedelta(minutes=1)).timestamp()),
        }
        result = invoke_webhook("POST", body=json.dumps(body).encode(), headers=dict(JSON))
        assert result["statusCode"] == 200, result
        yield running


def reply(call: Call, token: str, key: str | None, text: str = "Yes, size M left") -> Reply:
    return call(
        "POST", PATH, token=token, body={"text": text}, headers={"idempotency-key": key} if key else {}
    )


def sends_after(fake: FakeChatrace, seconds: float) -> int:
    """How many texts Chatrace sent, once a late answer had the time to land."""
    time.sleep(seconds)
    return len(fake.sent)


def sends_once_landed(fake: FakeChatrace, expected: int, within: float = 15.0) -> int:
    """How many texts Chatrace sent, as soon as ``expected`` landed (or ``within`` s passed)."""
    deadline = time.monotonic() + within
    while len(fake.sent) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(fake.sent)


def stored_reply(table_name: str, message_id: str) -> dict[str, Any]:
    item: dict[str, Any] = boto3.client("dynamodb").get_item(
        TableName=table_name, Key=message_key(message_id), ConsistentRead=True
    )["Item"]
    return item


def last_conversation(call: Call, token: str) -> dict[str, Any]:
    (row,) = call("GET", "/instagram/conversations", token=token).body["conversations"]
    last: dict[str, Any] = row["lastMessage"]
    return last


def assert_first(call: Call, token: str, key: str, status: int, outcome: str) -> Reply:
    """The first reply with ``key``: answered ``status``, the reply's own status ``outcome``."""
    first = reply(call, token, key)
    assert first.status == status, first
    assert first.body["reply"]["status"] == outcome
    return first


def assert_replayed(
    call: Call,
    token: str,
    fake: FakeChatrace,
    key: str,
    status: int = 409,
    outcome: str = "unknown",
    sent: int = 1,
) -> Reply:
    """A retry with ``key`` answers the stored reply again (``replayed``, its ``outcome``) and Chatrace
    has still sent ``sent`` texts: the retry sent nothing."""
    again = reply(call, token, key)
    assert again.status == status, again
    assert again.body["replayed"] is True
    assert again.body["reply"]["status"] == outcome
    assert len(fake.sent) == sent
    return again


def assert_listed_as_unknown(call: Call, token: str) -> None:
    """The conversation and the message list show the reply as unknown, for the operator to check."""
    assert last_conversation(call, token)["status"] == "unknown"
    listed = call("GET", "/instagram/messages", token=token, query={"senderId": CONTACT}).body["messages"]
    assert [m.get("status") for m in listed] == ["unknown", None]


# ----------------------------------------------------------------------- unknown outcomes


def test_a_chatrace_slower_than_the_client_timeout_is_unknown_and_never_resent_with_its_key(
    call: Call, token: str, fake: FakeChatrace
) -> None:
    # Given a Chatrace that sends the text but answers after the client gave up
    # When the operator replies
    # Then the answer says the outcome is unknown, and Chatrace did deliver it meanwhile
    fake.fail("slow")
    first = assert_first(call, token, "k-slow", 504, "unknown")
    assert "may have reached the customer" in first.body["error"]
    assert sends_once_landed(fake, 1) == 1

    # When the client retries with the same key
    # Then the stored reply comes back, nothing is sent
    again = assert_replayed(call, token, fake, "k-slow")
    assert again.body["reply"]["messageId"] == first.body["reply"]["messageId"]

    # And the conversation and the message list show it as unknown, for the operator to check
    assert_listed_as_unknown(call, token)

    # And only a new key sends again
    assert reply(call, token, "k-slow-2").status == 201
    assert len(fake.sent) == 2


def test_a_connection_lost_after_the_request_was_written_is_unknown(
    call: Call, token: str, fake: FakeChatrace
) -> None:
    fake.fail("hangup")
    assert_first(call, token, "k-hangup", 502, "unknown")
    assert len(fake.sent) == 1
    assert_replayed(call, token, fake, "k-hangup")


def test_a_chatrace_5xx_is_unknown_and_a_refusal_or_no_connection_is_failed_and_sent_again(
    call: Call, token: str, fake: FakeChatrace, stack: LocalStack
) -> None:
    # A 5xx: Chatrace failed somewhere, perhaps after sending
    fake.fail("500")
    assert reply(call, token, "k-500").body["reply"]["status"] == "unknown"
    assert_replayed(call, token, fake, "k-500", sent=0)

    # A refusal (Chatrace answered and did not send): failed, and its retry really sends
    fake.fail("error200")
    assert_first(call, token, "k-refused", 502, "failed")
    assert reply(call, token, "k-refused").status == 201
    assert len(fake.sent) == 1

    # No connection at all (nothing listens there): failed, and its retry really sends
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    set_api_url(stack, f"http://127.0.0.1:{closed_port}")
    assert_first(call, token, "k-down", 502, "failed")
    set_api_url(stack, fake.base_url)
    assert reply(call, token, "k-down").status == 201
    assert len(fake.sent) == 2


def call_with_time_left(config_module: ModuleType, token: str, seconds: int, key: str) -> Reply:
    event = http_api_event(
        "POST",
        PATH,
        headers={**JSON, "authorization": f"Bearer {token}", "idempotency-key": key},
        body=json.dumps({"text": "Yes, size M left"}).encode(),
    )
    return Reply(config_module.lambda_handler(event, LambdaContext("ConfigFunction", 512, seconds)))


def test_the_client_timeout_ends_before_the_invocation_so_the_outcome_is_recorded(
    config_module: ModuleType, token: str, fake: FakeChatrace, table_name: str
) -> None:
    # Given an invocation with 4 s left and a Chatrace that answers after 3 s
    fake.fail("slow")
    started = time.monotonic()

    # When the operator replies
    answer = call_with_time_left(config_module, token, 4, "k-deadline")

    # Then the call gave up in time to record the outcome as unknown (Lambda would have killed it)
    assert time.monotonic() - started < 4 - replies.RECORD_SECONDS + 1
    assert (answer.status, answer.body["reply"]["status"]) == (504, "unknown")
    assert stored_reply(table_name, answer.body["reply"]["messageId"])["status"] == {"S": "unknown"}


def test_with_too_little_time_left_nothing_is_sent_or_stored(
    config_module: ModuleType, token: str, fake: FakeChatrace, call: Call
) -> None:
    answer = call_with_time_left(config_module, token, 2, "k-late")
    assert answer.status == 503, answer
    assert "too little time" in answer.body["detail"]
    assert sends_after(fake, 0.2) == 0
    listed = call("GET", "/instagram/messages", token=token, query={"senderId": CONTACT}).body["messages"]
    assert [m["direction"] for m in listed] == ["inbound"]


def test_a_reply_cut_off_mid_send_reads_as_unknown_and_is_never_resent(
    call: Call, token: str, fake: FakeChatrace, table_name: str
) -> None:
    # Given a reply left 'sending' by an invocation that died (here: written as it would have been)
    first = reply(call, token, "k-crash")
    assert first.status == 201
    message_id = first.body["reply"]["messageId"]
    stale = (datetime.now(UTC) - STALE_SENDING - timedelta(seconds=5)).isoformat()
    boto3.client("dynamodb").update_item(
        TableName=table_name,
        Key=message_key(message_id),
        UpdateExpression="SET #s = :sending, receivedAt = :at",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":sending": {"S": "sending"}, ":at": {"S": stale}},
    )
    boto3.client("dynamodb").update_item(  # the conversation, as the claim left it
        TableName=table_name,
        Key=conversation_key(CONTACT),
        UpdateExpression="SET lastStatus = :sending, lastMessageAt = :at",
        ExpressionAttributeValues={":sending": {"S": "sending"}, ":at": {"S": stale}},
    )

    # Then the conversation and the message list show it as unknown, for the operator to check
    assert_listed_as_unknown(call, token)

    # And a retry with the same key answers it as unknown, and nothing is sent again
    assert_replayed(call, token, fake, "k-crash")
    assert stored_reply(table_name, message_id)["status"] == {"S": "sending"}  # never taken over


# ----------------------------------------------------------------------- the final write fails


Switch = Callable[[bool], None]


@pytest.fixture
def failing_final_write(config_module: ModuleType) -> Iterator[Switch]:
    """DynamoDB refusing the UpdateItem that records a reply's outcome, while switched on."""
    failing = {"on": False}

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if failing["on"] and ":status" in params.get("ExpressionAttributeValues", {}):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "UpdateItem")

    events = config_module.api.store._client.meta.events
    events.register("before-parameter-build.dynamodb.UpdateItem", refuse)

    def switch(on: bool) -> None:
        failing["on"] = on

    yield switch
    events.unregister("before-parameter-build.dynamodb.UpdateItem", refuse)


def test_chatrace_accepted_but_the_record_failed_answers_sent_and_completes_it_later(
    call: Call,
    token: str,
    fake: FakeChatrace,
    table_name: str,
    failing_final_write: Switch,
    config_module: ModuleType,
) -> None:
    # Given DynamoDB failing on the write that records the outcome
    # When the operator replies
    # Then the answer says sent (Chatrace accepted it), and the record still says sending
    failing_final_write(True)
    first = assert_first(call, token, "k-record", 201, "sent")
    message_id = first.body["reply"]["messageId"]
    assert stored_reply(table_name, message_id)["status"] == {"S": "sending"}
    assert len(config_module.api.pending_replies) == 1

    # When the client retries while DynamoDB still fails: no second send
    assert reply(call, token, "k-record").status == 409
    assert len(fake.sent) == 1

    # When DynamoDB is back, the next request completes the record
    failing_final_write(False)
    assert last_conversation(call, token)["status"] == "sent"
    assert stored_reply(table_name, message_id)["status"] == {"S": "sent"}
    assert len(config_module.api.pending_replies) == 0

    # And a retry with the key is answered from the record, still without sending
    assert_replayed(call, token, fake, "k-record", status=200, outcome="sent")


def test_a_record_lost_with_its_container_reads_as_unknown_never_a_second_send(
    call: Call,
    token: str,
    fake: FakeChatrace,
    table_name: str,
    failing_final_write: Switch,
    config_module: ModuleType,
) -> None:
    failing_final_write(True)
    first = assert_first(call, token, "k-lost", 201, "sent")
    failing_final_write(False)
    message_id = first.body["reply"]["messageId"]

    # The container dies with its pending outcome; a minute later the client retries elsewhere
    importlib.reload(config_module)
    stale = (datetime.now(UTC) - STALE_SENDING - timedelta(seconds=5)).isoformat()
    boto3.client("dynamodb").update_item(
        TableName=table_name,
        Key=message_key(message_id),
        UpdateExpression="SET receivedAt = :at",
        ExpressionAttributeValues={":at": {"S": stale}},
    )
    assert_replayed(call, token, fake, "k-lost")
