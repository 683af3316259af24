"""§4 of docs/security.md: one bad id cannot block a delivery.

An id of 512 emoji is 2 KB of UTF-8: DynamoDB refuses the key, and the webhook used to answer 503
for ever (the sender retries what can never succeed) while the good messages of the same batch
were never stored. Ids are now limited in UTF-8 bytes (store.MAX_ID_BYTES), a message the store
refuses is answered for itself, and a delivery carries at most ingest.MAX_MESSAGES messages.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from inbox.storage.table import MAX_ID_BYTES
from inbox.webhook.ingest import MAX_MESSAGES

from tests.conftest import Invoke

JSON = {"content-type": "application/json"}
EMOJI_ID = "😀" * 512  # 512 characters, 2048 bytes of UTF-8


def scan(table_name: str, prefix: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=table_name)["Items"]
    return [item for item in items if item["pk"]["S"].startswith(prefix)]


def stored_ids(table_name: str) -> set[str]:
    return {item["messageId"]["S"] for item in scan(table_name, "MSG#")}


def kept_reasons(table_name: str) -> list[str]:
    return [item["reason"]["S"] for item in scan(table_name, "RAW#")]


def post(invoke_webhook: Invoke, body: object) -> tuple[int, dict[str, Any]]:
    result = invoke_webhook("POST", body=json.dumps(body).encode(), headers=JSON)
    return result["statusCode"], json.loads(result["body"])


def test_an_emoji_id_in_a_batch_never_stops_the_good_messages(
    invoke_webhook: Invoke, table_name: str
) -> None:
    # Given a batch whose middle message has an id of 512 emoji
    batch = [
        {"senderId": "1001", "messageId": "good-1", "text": "first"},
        {"senderId": "1001", "messageId": EMOJI_ID, "text": "forged"},
        {"senderId": "1001", "messageId": "good-2", "text": "third"},
    ]

    # When it is delivered (and delivered again, as a sender retries)
    status, body = post(invoke_webhook, batch)
    again, second = post(invoke_webhook, batch)

    # Then the good messages are stored, the bad one is answered for itself, and nothing is a 503
    assert status == 200, body
    assert body["status"] == "stored"
    reason = "messageId: 2048 bytes of UTF-8; the limit is 512"
    assert [(m["status"], m.get("error")) for m in body["messages"]] == [
        ("stored", None),
        ("rejected", reason),
        ("stored", None),
    ]
    assert stored_ids(table_name) == {"good-1", "good-2"}
    assert (again, second["status"]) == (200, "duplicate")
    # And the body is kept (once: its id is its content's hash) so the operator sees what was refused
    assert kept_reasons(table_name) == [f"1 of 3 messages refused: {reason}"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"senderId": "1002", "messageId": EMOJI_ID, "text": "hi"}, "messageId"),
        ({"senderId": "😀" * 512, "messageId": "m-1", "text": "hi"}, "senderId"),
        ({"contact_id": "é" * 300, "text": "hi", "source": "chatrace"}, "senderId"),
    ],
    ids=["message-id", "sender-id", "chatrace-contact-id"],
)
def test_a_delivery_of_only_an_over_long_id_is_a_400_kept_never_a_503(
    invoke_webhook: Invoke, table_name: str, body: dict[str, Any], field: str
) -> None:
    status, answer = post(invoke_webhook, body)
    assert status == 400, answer
    assert answer["error"].startswith(f"{field}: ")
    assert answer["error"].endswith(f"bytes of UTF-8; the limit is {MAX_ID_BYTES}")
    assert stored_ids(table_name) == set()
    assert kept_reasons(table_name) == [answer["error"]]


def test_the_limit_is_counted_in_bytes_not_characters(invoke_webhook: Invoke, table_name: str) -> None:
    at_limit = "😀" * (MAX_ID_BYTES // 4)  # 128 characters, exactly 512 bytes
    ascii_at_limit = "m" * MAX_ID_BYTES
    over = "😀" * (MAX_ID_BYTES // 4) + "x"  # 129 characters, 513 bytes
    batch = [
        {"senderId": "1003", "messageId": at_limit, "text": "a"},
        {"senderId": "1003", "messageId": ascii_at_limit, "text": "b"},
        {"senderId": "1003", "messageId": over, "text": "c"},
    ]
    status, body = post(invoke_webhook, batch)
    assert status == 200, body
    assert [m["status"] for m in body["messages"]] == ["stored", "stored", "rejected"]
    assert stored_ids(table_name) == {at_limit, ascii_at_limit}


@pytest.mark.parametrize(
    "error",
    [
        {
            "Error": {
                "Code": "ValidationException",
                "Message": "Item size has exceeded the maximum allowed size",
            }
        },
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": "ValidationError"}, {"Code": "None"}, {"Code": "None"}],
        },
    ],
    ids=["validation-exception", "validation-error-inside-a-transaction"],
)
def test_any_validation_error_from_dynamodb_is_a_4xx_with_the_body_kept(
    webhook_module: Any,
    invoke_webhook: Invoke,
    table_name: str,
    monkeypatch: pytest.MonkeyPatch,
    error: dict[str, Any],
) -> None:
    # Given DynamoDB refuses one message's item for a limit the store does not check itself
    client = webhook_module.store._client
    real_call = client._make_api_call

    def refuse_one(operation: str, params: dict[str, Any]) -> Any:
        items = params.get("TransactItems", [])
        if operation == "TransactWriteItems" and "refused" in json.dumps(items):
            raise ClientError(error, operation)  # type: ignore[arg-type]
        return real_call(operation, params)

    monkeypatch.setattr(client, "_make_api_call", refuse_one)

    # When it comes alone, and then in a batch with a good message
    alone, answer = post(invoke_webhook, {"senderId": "1004", "messageId": "m-refused", "text": "refused"})
    mixed, batch = post(
        invoke_webhook,
        [
            {"senderId": "1004", "messageId": "m-refused", "text": "refused"},
            {"senderId": "1004", "messageId": "m-good", "text": "good"},
        ],
    )

    # Then it is a 400 (a retry cannot help), and in the batch the good message is stored
    assert alone == 400, answer
    assert answer["error"].startswith("DynamoDB refused the message (Validation")
    assert mixed == 200
    assert [m["status"] for m in batch["messages"]] == ["rejected", "stored"]
    monkeypatch.undo()
    assert stored_ids(table_name) == {"m-good"}
    assert len(kept_reasons(table_name)) == 2


def test_a_delivery_carries_at_most_100_messages(invoke_webhook: Invoke, table_name: str) -> None:
    def batch(count: int, prefix: str) -> list[dict[str, str]]:
        return [{"senderId": "1005", "messageId": f"{prefix}-{n}", "text": f"n{n}"} for n in range(count)]

    # A delivery of 101 messages is refused whole (413) and kept; nothing of it is stored
    status, answer = post(invoke_webhook, batch(MAX_MESSAGES + 1, "over"))
    assert (status, answer) == (413, {"error": "delivery carries 101 messages; the limit is 100"})
    assert stored_ids(table_name) == set()
    assert kept_reasons(table_name) == [answer["error"]]

    # One of 100 is stored whole
    status, answer = post(invoke_webhook, batch(MAX_MESSAGES, "full"))
    assert status == 200
    assert len(stored_ids(table_name)) == MAX_MESSAGES
