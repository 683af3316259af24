"""The one write path against moto's table (built from template.yaml): stored once, errors mapped."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from inbox.errors import StoreUnavailable
from inbox.models import Attachment, NormalizedMessage
from inbox.storage.store import MessageStore
from inbox.storage.table import conversation_key

NOW = datetime(2024, 11, 13, 12, 0, tzinfo=UTC)


def message(message_id: str = "m-1", **changes: object) -> NormalizedMessage:
    fields: dict[str, object] = {
        "messageId": message_id,
        "senderId": "123",
        "username": "anna",
        "text": "hello",
        "attachments": (Attachment(type="image", url="https://cdn.example/p.jpg"),),
        "timestamp": "2024-11-13T12:00:00Z",
        "format": "flat",
        "receivedAt": "2024-11-13T12:00:01Z",
    }
    fields.update(changes)
    return NormalizedMessage(**fields)  # type: ignore[arg-type]


def test_first_write_is_stored_and_a_redelivery_is_a_duplicate(store: MessageStore) -> None:
    assert store.put_message(message()) == "stored"
    assert store.put_message(message(text="changed")) == "duplicate"


def test_item_is_laid_out_for_the_sender_and_day_indexes(store: MessageStore, table_name: str) -> None:
    store.put_message(message())
    item = boto3.client("dynamodb").get_item(
        TableName=table_name, Key={"pk": {"S": "MSG#m-1"}, "sk": {"S": "MSG"}}
    )["Item"]
    assert item["gsi1pk"] == {"S": "SENDER#123"}
    assert item["gsi1sk"] == {"S": "2024-11-13T12:00:00Z#m-1"}
    assert item["gsi2pk"] == {"S": "MSG"}
    assert item["text"] == {"S": "hello"}
    assert item["attachments"]["L"][0]["M"]["url"] == {"S": "https://cdn.example/p.jpg"}


def test_missing_text_and_username_are_not_written_as_empty_strings(
    store: MessageStore, table_name: str
) -> None:
    store.put_message(message(text=None, username=None))
    item = boto3.client("dynamodb").get_item(
        TableName=table_name, Key={"pk": {"S": "MSG#m-1"}, "sk": {"S": "MSG"}}
    )["Item"]
    assert "text" not in item
    assert "username" not in item


def test_concurrent_deliveries_of_one_message_store_it_once(store: MessageStore) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def deliver() -> None:
        barrier.wait()
        outcomes.append(store.put_message(message("raced")))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate"] * 7 + ["stored"]


@pytest.mark.parametrize(
    "code",
    [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "InternalServerError",
        "AccessDeniedException",
    ],
)
def test_aws_error_codes_become_store_unavailable(table_name: str, code: str) -> None:
    client = boto3.client("dynamodb")
    store = MessageStore(table_name, client)
    with Stubber(client) as stub:
        # A message is written as one transaction (message + its content fingerprint).
        stub.add_client_error("transact_write_items", service_error_code=code, http_status_code=400)
        with pytest.raises(StoreUnavailable) as caught:
            store.put_message(message())
    assert caught.value.code == code


def test_unreachable_dynamodb_becomes_store_unavailable(
    table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = boto3.client("dynamodb")

    def unreachable(*args: object, **kwargs: object) -> None:
        raise EndpointConnectionError(endpoint_url="https://dynamodb.local")

    monkeypatch.setattr(client, "put_item", unreachable)
    monkeypatch.setattr(client, "transact_write_items", unreachable)
    with pytest.raises(StoreUnavailable):
        MessageStore(table_name, client).put_message(message())


def test_kept_raw_bodies_expire_and_are_kept_once(store: MessageStore, table_name: str) -> None:
    first, again = (
        store.keep_raw(
            b'{"test": "data"}',
            reason="unrecognized",
            media_type="application/json",
            received_at=NOW,
            ttl_days=30,
        )
        for _ in range(2)
    )
    assert first == again
    items = boto3.client("dynamodb").scan(TableName=table_name)["Items"]
    assert len(items) == 1
    assert items[0]["body"] == {"S": '{"test": "data"}'}
    assert int(items[0]["ttl"]["N"]) == int(NOW.timestamp()) + 30 * 86400
    assert items[0]["gsi2pk"] == {"S": "RAW"}


def test_binary_raw_bodies_are_kept_as_bytes(store: MessageStore, table_name: str) -> None:
    store.keep_raw(b"\xff\xfe\x00binary", reason="not UTF-8", media_type="", received_at=NOW, ttl_days=1)
    item = boto3.client("dynamodb").scan(TableName=table_name)["Items"][0]
    assert item["body"] == {"B": b"\xff\xfe\x00binary"}


@pytest.mark.parametrize(
    ("stamp", "second", "millis"),
    [
        ("2039-02-28T11:07:18.983Z", datetime(2039, 2, 28, 11, 7, 18, tzinfo=UTC), 983),
        ("2026-11-25T04:00:00.001Z", datetime(2026, 11, 25, 4, 0, 0, tzinfo=UTC), 1),
        ("2024-11-13T12:00:00Z", datetime(2024, 11, 13, 12, 0, 0, tzinfo=UTC), 0),
    ],
)
def test_a_conversation_row_is_timed_to_the_exact_millisecond_and_in_no_index(
    store: MessageStore, table_name: str, stamp: str, second: datetime, millis: int
) -> None:
    """Float seconds (``datetime.timestamp() * 1000``) put some times 1 ms early. The row is read by
    key, never listed through an index (inbox.operator.conversations walks the messages)."""
    store.put_message(message(timestamp=stamp))
    row = boto3.client("dynamodb").get_item(TableName=table_name, Key=conversation_key(message().senderId))
    assert row["Item"]["lastMessageMs"]["N"] == str(int(second.timestamp()) * 1000 + millis)
    assert not {"gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"} & set(row["Item"])


def test_a_row_listed_by_the_old_layout_leaves_the_index_on_its_next_message(
    store: MessageStore, table_name: str
) -> None:
    # Given a conversation row as deployed before issue 14 item 2: on gsi2 partition CONV
    client = boto3.client("dynamodb")
    key = conversation_key(message().senderId)
    old = {"gsi2pk": {"S": "CONV"}, "gsi2sk": {"S": "2024-11-13T11:00:00.000Z#123"}}
    client.put_item(TableName=table_name, Item=key | old | {"messageCount": {"N": "3"}})
    # When its sender writes again
    store.put_message(message(timestamp="2024-11-13T12:00:00Z"))
    # Then the row is counted and out of the index (nothing reads partition CONV any more)
    row = client.get_item(TableName=table_name, Key=key)["Item"]
    assert row["messageCount"] == {"N": "4"}
    assert not {"gsi2pk", "gsi2sk"} & set(row)
    assert (
        client.query(
            TableName=table_name,
            IndexName="gsi2",
            KeyConditionExpression="gsi2pk = :p",
            ExpressionAttributeValues={":p": {"S": "CONV"}},
        )["Items"]
        == []
    )


def test_rows_dynamodb_leaves_unprocessed_are_asked_again(
    table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a BatchGetItem that DynamoDB answers in two parts (throttled keys come back unprocessed)
    from inbox.storage import dynamodb

    monkeypatch.setattr("inbox.storage.dynamodb.time.sleep", lambda _: None)
    client = boto3.client("dynamodb")
    table = dynamodb.Table(table_name, client)
    first, second = conversation_key("1"), conversation_key("2")
    with Stubber(client) as stub:
        stub.add_response(
            "batch_get_item",
            {"Responses": {table_name: [first]}, "UnprocessedKeys": {table_name: {"Keys": [second]}}},
            {"RequestItems": {table_name: {"Keys": [first, second]}}},
        )
        stub.add_response(
            "batch_get_item",
            {"Responses": {table_name: [second]}},
            {"RequestItems": {table_name: {"Keys": [second]}}},
        )
        # Then both rows come back, from two calls
        assert table.batch_get([first, second]) == [first, second]
        # And keys that stay unprocessed become StoreUnavailable (a 503), not a short answer
        for _ in range(dynamodb.BATCH_ATTEMPTS):
            stub.add_response(
                "batch_get_item", {"Responses": {}, "UnprocessedKeys": {table_name: {"Keys": [first]}}}
            )
        with pytest.raises(StoreUnavailable) as caught:
            table.batch_get([first])
    assert caught.value.code == "UnprocessedKeys"
