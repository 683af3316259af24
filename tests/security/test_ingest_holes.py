"""§9 of docs/security.md, the webhook's part: the reply window, reserved reply ids, future times.

- A customer's message whose conversation update failed after the commit used to leave no reply
  window (a first message) or a stale one, and replies got a wrong 409: the window is now raised in
  the message's own transaction.
- An inbound message could take an id of the ``reply:`` space, where the operator's replies live.
- A time far in the future was kept as the message's time: the message sorted above everything
  after it and held the 24-hour reply window open for as long as it claimed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from inbox.errors import StoreUnavailable
from inbox.normalize.timestamps import MAX_FUTURE_MS, datetime_to_ms, format_ms
from inbox.operator.conversations import ConversationReader

from tests.bodies import meta_message
from tests.conftest import Invoke

JSON = {"content-type": "application/json"}


def post(invoke_webhook: Invoke, body: object) -> tuple[int, dict[str, Any]]:
    result = invoke_webhook("POST", body=json.dumps(body).encode(), headers=JSON)
    return result["statusCode"], json.loads(result["body"])


def conversation(table_name: str, sender: str) -> Any:
    return ConversationReader(table_name, boto3.client("dynamodb")).conversation(sender)


@pytest.fixture
def summary_fails(webhook_module: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every conditional update after the commit (the conversation's summary) fails."""

    def unavailable(*args: Any, **kwargs: Any) -> bool:
        raise StoreUnavailable("DynamoDB refused the write (ThrottlingException)", code="ThrottlingException")

    monkeypatch.setattr(webhook_module.store._table, "update", unavailable)


def ms_ago(now: datetime, **delta: float) -> int:
    return datetime_to_ms(now - timedelta(**delta))


@pytest.mark.usefixtures("summary_fails")
def test_a_first_message_has_its_reply_window_even_when_the_summary_update_fails(
    invoke_webhook: Invoke, table_name: str
) -> None:
    # Given the update after the commit fails for a customer's very first message
    now = datetime.now(UTC)
    status, _ = post(
        invoke_webhook, {"senderId": "2001", "messageId": "first", "text": "hi", "timestamp": ms_ago(now)}
    )
    assert status == 200

    # Then the conversation still has its reply window (and its count)
    found = conversation(table_name, "2001")
    assert found is not None
    assert found.lastInboundMs == ms_ago(now)
    assert found.window_open(now)
    assert found.messageCount == 1


@pytest.mark.usefixtures("summary_fails")
def test_a_new_message_reopens_a_closed_window_even_when_the_summary_update_fails(
    invoke_webhook: Invoke, table_name: str
) -> None:
    now = datetime.now(UTC)
    old, new = ms_ago(now, hours=30), ms_ago(now, minutes=1)
    post(invoke_webhook, {"senderId": "2002", "messageId": "old", "text": "yesterday", "timestamp": old})
    assert not conversation(table_name, "2002").window_open(now)

    post(invoke_webhook, {"senderId": "2002", "messageId": "new", "text": "today", "timestamp": new})

    assert conversation(table_name, "2002").lastInboundMs == new
    assert conversation(table_name, "2002").window_open(now)


def test_an_older_message_arriving_late_keeps_the_window_at_the_newest_and_is_counted(
    invoke_webhook: Invoke, table_name: str
) -> None:
    now = datetime.now(UTC)
    newer, older = ms_ago(now, hours=1), ms_ago(now, hours=3)
    post(invoke_webhook, {"senderId": "2003", "messageId": "newer", "text": "b", "timestamp": newer})
    status, body = post(
        invoke_webhook, {"senderId": "2003", "messageId": "older", "text": "a", "timestamp": older}
    )

    assert (status, body["status"]) == (200, "stored")
    found = conversation(table_name, "2003")
    assert (found.lastInboundMs, found.messageCount) == (newer, 2)


@pytest.mark.parametrize(
    "body",
    [
        {"senderId": "2004", "messageId": "reply:0123456789abcdef0123456789abcdef01234567", "text": "hi"},
        meta_message("2004", {"mid": "reply:abc", "text": "hi"}, 1731499200000),
    ],
    ids=["flat", "meta-mid"],
)
def test_an_inbound_message_cannot_take_a_reply_id(
    invoke_webhook: Invoke, table_name: str, body: dict[str, Any]
) -> None:
    status, answer = post(invoke_webhook, body)
    assert (status, answer) == (
        400,
        {"error": 'messageId: ids starting with "reply:" are reserved for replies'},
    )
    items = boto3.client("dynamodb").scan(TableName=table_name)["Items"]
    assert [item for item in items if item["pk"]["S"].startswith(("MSG#", "CONV#"))] == []


def test_a_time_far_in_the_future_is_kept_only_as_the_claim(invoke_webhook: Invoke, table_name: str) -> None:
    # Given a body that claims to be written a year from now
    now = datetime.now(UTC)
    claimed = datetime_to_ms(now + timedelta(days=365))
    body = {"contact_id": "2005", "text": "from the future", "sent_at": str(claimed), "source": "chatrace"}

    status, answer = post(invoke_webhook, body)

    # Then the message takes its receive time; the claim is kept in its own field
    assert status == 200, answer
    message = answer["messages"][0]
    assert message["timestamp"] == message["receivedAt"]
    assert message["claimedTimestamp"] == format_ms(claimed)
    item = boto3.client("dynamodb").get_item(
        TableName=table_name, Key={"pk": {"S": f"MSG#{message['messageId']}"}, "sk": {"S": "MSG"}}
    )["Item"]
    assert (item["timestamp"]["S"], item["claimedTimestamp"]["S"]) == (
        message["receivedAt"],
        format_ms(claimed),
    )
    # And the reply window runs from the receive time, not for a year
    window_until = datetime.fromisoformat(conversation(table_name, "2005").reply_window(now)["until"])
    assert window_until < now + timedelta(hours=25)
    # And a redelivery of the same body is still the same message
    again, second = post(invoke_webhook, body)
    assert (again, second["status"]) == (200, "duplicate")


def test_a_time_a_little_ahead_is_clock_skew_and_kept(invoke_webhook: Invoke) -> None:
    ahead = datetime_to_ms(datetime.now(UTC)) + MAX_FUTURE_MS // 2
    status, answer = post(
        invoke_webhook, {"senderId": "2006", "messageId": "skew", "text": "hi", "timestamp": ahead}
    )
    assert status == 200
    assert answer["messages"][0]["timestamp"] == format_ms(ahead)
    assert "claimedTimestamp" not in answer["messages"][0]
