"""Conversations, replies through Chatrace, an event per new message (functions/config and events)."""

from __future__ import annotations

import importlib
import json
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import httpx
import pytest
from inbox import settings as inbox_settings
from inbox.aws import aws_client
from inbox.events import DETAIL_TYPE, SOURCE
from inbox.models import NormalizedMessage
from inbox.operator.conversations import ConversationReader
from inbox.storage.store import MessageStore
from inbox_dev import streams
from inbox_dev.fake_chatrace import FakeChatrace
from inbox_dev.lambdas import LambdaContext
from inbox_dev.local_aws import LocalStack

from tests.conftest import Invoke, LogCapture
from tests.integration.conftest import OPERATOR, Call

TOKEN = "chatrace-token-for-tests-0123456789"


@pytest.fixture
def secrets() -> dict[str, str]:
    return {**OPERATOR, "chatrace/token": TOKEN}


@pytest.fixture
def fake(stack: LocalStack) -> Iterator[FakeChatrace]:
    """The fake Chatrace, as the API URL setting (the operator API sends replies there)."""
    with FakeChatrace(token=TOKEN) as running:
        set_parameter(stack, "chatrace/api-url", running.base_url)
        yield running


def set_parameter(stack: LocalStack, name: str, value: str | None) -> None:
    ssm = boto3.client("ssm")
    if value is None:
        ssm.delete_parameter(Name=f"{stack.settings_prefix}/{name}")
    else:
        ssm.put_parameter(
            Name=f"{stack.settings_prefix}/{name}",
            Value=value,
            Type="SecureString" if name == "chatrace/token" else "String",
            Overwrite=True,
        )
    inbox_settings.clear_caches()


def stamp(moment: datetime) -> int:
    return int(moment.timestamp())


def deliver(invoke: Invoke, sender: str, text: str, at: datetime, message_id: str | None = None) -> str:
    body = {
        "senderId": sender,
        "messageId": message_id or f"m-{uuid.uuid4().hex[:10]}",
        "text": text,
        "username": f"user_{sender}",
        "timestamp": stamp(at),
    }
    result = invoke("POST", body=json.dumps(body).encode(), headers={"content-type": "application/json"})
    assert result["statusCode"] == 200, result
    return str(body["messageId"])


def conversations(call: Call, token: str, **query: str) -> dict[str, Any]:
    reply = call("GET", "/instagram/conversations", token=token, query=query or None)
    assert reply.status == 200, reply
    body: dict[str, Any] = reply.body
    return body


def test_conversations_one_row_per_sender_newest_first_with_counts_and_paging(
    invoke_webhook: Invoke, call: Call, token: str
) -> None:
    # Given two senders writing, one of them twice, and a redelivery
    now = datetime.now(UTC).replace(microsecond=0)
    first = deliver(invoke_webhook, "111", "hello", now - timedelta(minutes=5))
    deliver(invoke_webhook, "222", "hi there", now - timedelta(minutes=3))
    deliver(invoke_webhook, "111", "still there?", now - timedelta(minutes=1))
    deliver(invoke_webhook, "111", "hello", now - timedelta(minutes=5), message_id=first)  # duplicate

    # When the operator lists conversations
    listing = conversations(call, token)

    # Then each sender has one row, newest activity first, with exact counts and an open window
    rows = listing["conversations"]
    assert [(r["senderId"], r["messageCount"]) for r in rows] == [("111", 2), ("222", 1)]
    newest = rows[0]
    assert newest["username"] == "user_111"
    assert newest["lastMessage"]["text"] == "still there?"
    assert newest["lastMessage"]["direction"] == "inbound"
    assert newest["unanswered"] is True
    assert newest["replyWindow"]["open"] is True
    until = datetime.fromisoformat(newest["replyWindow"]["until"])
    assert until == now - timedelta(minutes=1) + timedelta(hours=24)

    # And a page of one continues with a cursor to the other and no further
    page = conversations(call, token, limit="1")
    assert [r["senderId"] for r in page["conversations"]] == ["111"]
    rest = conversations(call, token, limit="1", cursor=page["nextCursor"])
    assert [r["senderId"] for r in rest["conversations"]] == ["222"]
    assert rest["nextCursor"] is None
    assert call("GET", "/instagram/conversations", token=token, query={"cursor": "junk"}).status == 400
    assert call("GET", "/instagram/conversations").status == 401


def test_concurrent_deliveries_keep_an_exact_count_and_the_newest_message(
    store: MessageStore, table_name: str
) -> None:
    # Given 40 messages of one sender, delivered twice each, by 8 threads in random order
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    messages = [
        NormalizedMessage(
            messageId=f"c-{i}",
            senderId="777",
            text=f"message {i}",
            timestamp=(base + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            format="flat",
            receivedAt="2026-03-01T13:00:00Z",
        )
        for i in range(40)
    ]
    work = messages * 2
    random.Random(6).shuffle(work)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(chunk: list[NormalizedMessage]) -> None:
        for message in chunk:
            outcome = store.put_message(message)
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(work[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then every message was stored once and counted once, and the summary shows the newest
    assert outcomes.count("stored") == 40
    conversation = ConversationReader(table_name, boto3.client("dynamodb")).conversation("777")
    assert conversation is not None
    assert conversation.messageCount == 40
    assert conversation.lastMessageId == "c-39"
    assert conversation.lastText == "message 39"
    assert conversation.lastInboundMs == int((base + timedelta(seconds=39)).timestamp() * 1000)


def test_a_reply_reaches_chatrace_once_per_key_and_answers_the_conversation(
    invoke_webhook: Invoke, call: Call, token: str, fake: FakeChatrace
) -> None:
    # Given a customer who wrote a minute ago
    deliver(
        invoke_webhook,
        "2850008055041461",
        "Is the blue dress available?",
        datetime.now(UTC) - timedelta(minutes=1),
    )
    path = "/instagram/conversations/2850008055041461/reply"
    key = {"idempotency-key": "reply-1"}

    # When the operator replies, and the client retries the same request
    first = call("POST", path, token=token, body={"text": "Yes, it is! Size?"}, headers=key)
    again = call("POST", path, token=token, body={"text": "Yes, it is! Size?"}, headers=key)

    # Then Chatrace got it once, with the token, text and channel
    assert first.status == 201, first
    assert fake.sent == [
        {"contactId": "2850008055041461", "body": {"text": "Yes, it is! Size?", "channel": "instagram"}}
    ]
    assert again.status == 200, again
    assert again.body["replayed"] is True
    assert again.body["reply"]["messageId"] == first.body["reply"]["messageId"]
    reply = first.body["reply"]
    assert (reply["direction"], reply["status"], reply["source"], reply["error"]) == (
        "outbound",
        "sent",
        "operator",
        None,
    )

    # And it is in the conversation as outbound; the conversation is answered
    listed = call("GET", "/instagram/messages", token=token, query={"senderId": "2850008055041461"}).body
    assert [(m["direction"], m.get("status")) for m in listed["messages"]] == [
        ("outbound", "sent"),
        ("inbound", None),
    ]
    (row,) = conversations(call, token)["conversations"]
    assert (row["messageCount"], row["unanswered"]) == (2, False)
    assert row["lastMessage"]["direction"] == "outbound"

    # And a new customer message makes it unanswered again
    deliver(invoke_webhook, "2850008055041461", "M please", datetime.now(UTC) + timedelta(seconds=5))
    (row,) = conversations(call, token)["conversations"]
    assert (row["messageCount"], row["unanswered"]) == (3, True)


ChatraceHandler = Callable[[httpx.Request], httpx.Response]


def test_a_reply_moves_its_conversation_to_the_top(
    invoke_webhook: Invoke, call: Call, token: str, fake: FakeChatrace
) -> None:
    # Given two customers: the one the operator answers wrote first
    now = datetime.now(UTC).replace(microsecond=0)
    deliver(invoke_webhook, "3001", "first", now - timedelta(minutes=2))
    deliver(invoke_webhook, "3002", "second", now - timedelta(minutes=1))
    assert [r["senderId"] for r in conversations(call, token)["conversations"]] == ["3002", "3001"]
    # When the operator answers the earlier one
    path = "/instagram/conversations/3001/reply"
    sent = call("POST", path, token=token, body={"text": "Hello!"}, headers={"idempotency-key": "up-1"})
    assert sent.status == 201, sent
    # Then it is listed first, answered, its reply as the last message
    rows = conversations(call, token)["conversations"]
    assert [(r["senderId"], r["unanswered"], r["lastMessage"]["direction"]) for r in rows] == [
        ("3001", False, "outbound"),
        ("3002", True, "inbound"),
    ]
    # And pages of one list each once, in that order
    page = conversations(call, token, limit="1")
    rest = conversations(call, token, limit="1", cursor=page["nextCursor"])
    assert [r["senderId"] for r in page["conversations"] + rest["conversations"]] == ["3001", "3002"]
    assert rest["nextCursor"] is None


def test_reply_settings_changed_through_put_config_are_used_by_the_next_reply(
    invoke_webhook: Invoke, call: Call, token: str, stack: LocalStack
) -> None:
    # Given a customer, and a Chatrace API at another address than the one configured
    deliver(invoke_webhook, "3100", "Do you ship abroad?", datetime.now(UTC) - timedelta(minutes=1))
    with FakeChatrace(token=TOKEN) as other:
        # When the operator points replies at it, with another channel
        changed = call(
            "PUT", "/instagram/config", token=token, body={"apiUrl": other.base_url, "replyChannel": "ig"}
        )
        assert changed.status == 200, changed
        assert changed.body["updated"] == ["chatrace/api-url", "chatrace/reply-channel"]
        assert changed.body["replies"] == {"apiUrl": other.base_url, "channel": "ig"}

        # Then the next reply goes there, on that channel
        sent = call("POST", "/instagram/conversations/3100/reply", token=token, body={"text": "We do."})
        assert sent.status == 201, sent
        assert other.sent == [{"contactId": "3100", "body": {"text": "We do.", "channel": "ig"}}]


def test_chatrace_failures_are_mapped_stored_as_failed_and_retried_for_real(
    invoke_webhook: Invoke, call: Call, token: str, config_module: ModuleType
) -> None:
    deliver(invoke_webhook, "555", "hello?", datetime.now(UTC) - timedelta(minutes=2))
    path = "/instagram/conversations/555/reply"
    sent: list[dict[str, Any]] = []
    answers: list[ChatraceHandler] = [
        lambda _: httpx.Response(
            200,
            json={"error": {"message": "(#10) This message is sent outside of allowed window.", "code": 10}},
        ),
        lambda _: httpx.Response(400, json={"status": "error", "message": "Invalid contact"}),
        lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=request)),
        lambda _: httpx.Response(200, json={"success": True}),
    ]

    def chatrace(request: httpx.Request) -> httpx.Response:
        sent.append(
            {
                "url": str(request.url),
                "token": request.headers["x-access-token"],
                **json.loads(request.content),
            }
        )
        return answers[len(sent) - 1](request)

    config_module.api.chatrace_transport = httpx.MockTransport(chatrace)
    key = {"idempotency-key": "k-1"}

    error200 = call("POST", path, token=token, body={"text": "Hi"}, headers=key)
    assert error200.status == 502, error200
    assert "outside of allowed window" in error200.body["error"]
    assert (error200.body["reply"]["status"], error200.body["reply"]["error"]) == (
        "failed",
        "(#10) This message is sent outside of allowed window.",
    )
    refused = call("POST", path, token=token, body={"text": "Hi"}, headers=key)
    assert (refused.status, refused.body["reply"]["error"]) == (502, "Invalid contact")
    timed_out = call("POST", path, token=token, body={"text": "Hi"}, headers=key)
    assert timed_out.status == 504, timed_out
    assert timed_out.body["reply"]["status"] == "unknown"  # it may have gone out: never resent with k-1
    assert call("POST", path, token=token, body={"text": "Hi"}, headers=key).status == 409
    assert len(sent) == 3
    finally_sent = call("POST", path, token=token, body={"text": "Hi"}, headers={"idempotency-key": "k-2"})
    assert finally_sent.status == 201, finally_sent
    assert finally_sent.body["reply"]["status"] == "sent"

    # Each retry of the failed reply really went to Chatrace; the unknown one only with a new key
    assert len(sent) == 4
    assert {s["url"] for s in sent} == {"https://api.chatrace.com/contacts/555/send/text"}
    assert {(s["token"], s["text"], s["channel"]) for s in sent} == {(TOKEN, "Hi", "instagram")}
    (row,) = conversations(call, token)["conversations"]
    assert (row["messageCount"], row["unanswered"], row["lastMessage"]["status"]) == (3, False, "sent")

    # And what is refused before anything is sent
    assert call("POST", path, token=token, body={"text": "  "}).status == 400
    assert call("POST", path, token=token, body={"text": "x" * 1001}).status == 400
    assert call("POST", path, token=token, body={"txt": "Hi"}).status == 400
    assert call("POST", "/instagram/conversations/999/reply", token=token, body={"text": "Hi"}).status == 404
    assert call("POST", path, body={"text": "Hi"}).status == 401
    assert len(sent) == 4


def test_a_reply_outside_the_24_hour_window_or_without_a_token_is_refused_before_sending(
    invoke_webhook: Invoke, call: Call, token: str, fake: FakeChatrace, stack: LocalStack
) -> None:
    last = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=25)
    deliver(invoke_webhook, "333", "anyone?", last)
    path = "/instagram/conversations/333/reply"

    closed = call("POST", path, token=token, body={"text": "Sorry for the wait"})
    assert closed.status == 409, closed
    assert "24-hour" in closed.body["error"]
    assert datetime.fromisoformat(closed.body["replyWindow"]["until"]) == last + timedelta(hours=24)
    (row,) = conversations(call, token)["conversations"]
    assert row["replyWindow"]["open"] is False

    set_parameter(stack, "chatrace/token", None)
    missing = call("POST", path, token=token, body={"text": "Sorry for the wait"})
    assert missing.status == 503, missing
    assert "chatrace/token" in missing.body["error"]
    assert fake.sent == []


@pytest.fixture
def events_module(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """functions/events/app.py with the environment the template gives it."""
    from inbox import events

    monkeypatch.setenv("EVENT_BUS_NAME", stack.event_bus_names["InboxEventBus"])
    events.events_environment.cache_clear()
    aws_client.cache_clear()
    return importlib.reload(importlib.import_module("functions.events.app"))


@pytest.fixture
def published(stack: LocalStack) -> Callable[[], list[dict[str, Any]]]:
    """A subscriber as a CRM would add one: a rule on the bus (source + detail-type) → a queue."""
    bus = stack.event_bus_names["InboxEventBus"]
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events = boto3.client("events")
    pattern = {"source": [SOURCE], "detail-type": [DETAIL_TYPE]}
    events.put_rule(Name="crm", EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="crm", EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])

    def received() -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return bodies
            bodies += [json.loads(m["Body"]) for m in batch]

    return received


def test_each_new_inbound_message_is_published_once_and_nothing_else(
    invoke_webhook: Invoke,
    call: Call,
    token: str,
    fake: FakeChatrace,
    events_module: ModuleType,
    published: Callable[[], list[dict[str, Any]]],
) -> None:
    # Given the table's stream (emulated) feeding the events function
    records: list[dict[str, Any]] = []
    streams.install_insert_hook()
    streams.add_sink(records.append)
    try:
        now = datetime.now(UTC) - timedelta(minutes=1)
        first = deliver(invoke_webhook, "901", "one", now)
        deliver(invoke_webhook, "901", "one", now, message_id=first)  # a redelivery
        deliver(invoke_webhook, "902", "two", now + timedelta(seconds=1))
        reply = call("POST", "/instagram/conversations/901/reply", token=token, body={"text": "ours"})
        assert reply.status == 201, reply
    finally:
        streams.remove_sink(records.append)

    # When the stream's records reach the function
    result = events_module.lambda_handler({"Records": records}, LambdaContext("EventsFunction", 512, 10))

    # Then exactly the two new inbound messages were published, with the documented shape
    assert result == {"batchItemFailures": []}
    events = published()
    assert sorted(e["detail"]["text"] for e in events) == ["one", "two"]
    assert {(e["source"], e["detail-type"]) for e in events} == {(SOURCE, DETAIL_TYPE)}
    by_text = {e["detail"]["text"]: e["detail"] for e in events}
    assert by_text["one"]["messageId"] == first
    assert by_text["one"]["direction"] == "inbound"
    assert set(by_text["one"]) >= {"messageId", "senderId", "username", "timestamp", "attachments", "source"}


def test_a_record_eventbridge_refuses_is_reported_for_retry_alone(
    events_module: ModuleType, logs: LogCapture
) -> None:
    class Refusing:
        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
            text = json.loads(Entries[0]["Detail"])["text"]
            failed = 1 if text == "bad" else 0
            return {
                "FailedEntryCount": failed,
                "Entries": [{"ErrorCode": "InternalFailure"} if failed else {}],
            }

    events_module.publisher._client = Refusing()
    records = [
        streams.insert_record("t", message_item(f"r-{i}", text))
        for i, text in enumerate(["good", "bad", "good"])
    ]
    result = events_module.lambda_handler({"Records": records}, LambdaContext("EventsFunction", 512, 10))
    assert result == {"batchItemFailures": [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]}
    (line,) = logs.named("message event not published")  # which one and why, for the errors query
    assert (line["level"], line["messageId"], line["errorType"]) == ("WARNING", "r-1", "EventNotPublished")
    assert "InternalFailure" in line["reason"]


def message_item(message_id: str, text: str) -> dict[str, Any]:
    return {
        "pk": {"S": f"MSG#{message_id}"},
        "sk": {"S": "MSG"},
        "messageId": {"S": message_id},
        "senderId": {"S": "1"},
        "text": {"S": text},
        "timestamp": {"S": "2026-01-01T00:00:00Z"},
        "source": {"S": "webhook"},
        "format": {"S": "flat"},
        "receivedAt": {"S": "2026-01-01T00:00:00Z"},
        "direction": {"S": "inbound"},
        "attachments": {"L": []},
    }
