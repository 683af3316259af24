"""Faults on the webhook path: nothing acknowledged that was not stored, nothing lost or doubled on retry."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from inbox.webhook import ingest

from tests.conftest import Invoke

JSON = {"content-type": "application/json"}
SEED = {"senderId": "123456789", "messageId": "fault-1", "text": "hello", "timestamp": 1731499200}
CHATRACE = {"contact_id": "555", "text": "no id here", "sent_at": "1731499260000", "source": "chatrace"}


def stored_messages(table_name: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=table_name)["Items"]
    return [item for item in items if item["pk"]["S"].startswith("MSG#")]


@pytest.mark.parametrize("body", [SEED, CHATRACE], ids=["real-id", "derived-id"])
def test_a_crash_after_storing_but_before_answering_is_healed_by_the_redelivery(
    invoke_webhook: Invoke, table_name: str, monkeypatch: pytest.MonkeyPatch, body: dict[str, Any]
) -> None:
    # Given the function dies after the write, before it answers (the sender sees no 200 and retries)
    real_answer = ingest._overall_status

    def crash(statuses: Any) -> str:
        raise RuntimeError("the container died here")

    monkeypatch.setattr(ingest, "_overall_status", crash)
    first = invoke_webhook("POST", body=json.dumps(body).encode(), headers=JSON)
    assert first["statusCode"] == 500
    assert len(stored_messages(table_name)) == 1

    # When the sender redelivers the same body
    monkeypatch.setattr(ingest, "_overall_status", real_answer)
    retry = invoke_webhook("POST", body=json.dumps(body).encode(), headers=JSON)

    # Then it is acknowledged as a duplicate and stored exactly once
    assert (retry["statusCode"], json.loads(retry["body"])["status"]) == (200, "duplicate")
    assert len(stored_messages(table_name)) == 1


@pytest.mark.parametrize(
    "code",
    [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "InternalServerError",
        "RequestLimitExceeded",
    ],
)
def test_dynamodb_throttling_or_outage_is_503_and_the_retry_stores_once(
    webhook_module: Any, invoke_webhook: Invoke, table_name: str, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = webhook_module.store._client
    operations: list[str] = []

    def refuse(operation: str, params: Any) -> None:
        operations.append(operation)
        raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)

    monkeypatch.setattr(client, "_make_api_call", refuse)
    answer = invoke_webhook("POST", body=json.dumps(SEED).encode(), headers=JSON)
    monkeypatch.undo()
    assert operations, "the write path never reached DynamoDB"
    assert answer["statusCode"] == 503
    assert answer["headers"]["Retry-After"]
    assert stored_messages(table_name) == []
    retry = invoke_webhook("POST", body=json.dumps(SEED).encode(), headers=JSON)
    assert json.loads(retry["body"])["status"] == "stored"
    assert len(stored_messages(table_name)) == 1


def test_a_batch_interrupted_midway_is_completed_by_the_retry(
    webhook_module: Any, invoke_webhook: Invoke, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = [{**SEED, "messageId": f"batch-{n}", "text": f"message {n}"} for n in range(3)]
    store = webhook_module.store
    real_write = store.put_message
    calls = {"n": 0}

    def fail_on_second(message: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            from inbox.errors import StoreUnavailable

            raise StoreUnavailable(
                "DynamoDB refused the write (ThrottlingException)", code="ThrottlingException"
            )
        return real_write(message)

    monkeypatch.setattr(store, "put_message", fail_on_second)
    first = invoke_webhook("POST", body=json.dumps(batch).encode(), headers=JSON)
    assert first["statusCode"] == 503
    monkeypatch.setattr(store, "put_message", real_write)
    retry = invoke_webhook("POST", body=json.dumps(batch).encode(), headers=JSON)
    statuses = [m["status"] for m in json.loads(retry["body"])["messages"]]
    assert statuses == ["duplicate", "stored", "stored"]
    assert len(stored_messages(table_name)) == 3
