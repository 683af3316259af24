"""functions/webhook/app.py called in-process with API Gateway HTTP API events, against moto."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from inbox import settings as inbox_settings
from inbox.webhook.auth import signature_for
from inbox_dev.samples import load_samples, mismatches

from tests.bodies import SEED, SEED_MESSAGE, meta_message
from tests.conftest import Invoke, LogCapture

JSON = {"content-type": "application/json"}
SAMPLES = {sample.name: sample for sample in load_samples()}


def answer(result: dict[str, Any]) -> tuple[int, Any]:
    body = result.get("body") or ""
    content_type = (result.get("headers") or {}).get("Content-Type", "")
    return result["statusCode"], json.loads(body) if content_type.startswith("application/json") else body


def post(
    invoke: Invoke, body: bytes | dict[str, Any] | list[Any], headers: dict[str, str] | None = None, **kw: Any
) -> tuple[int, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return answer(invoke("POST", body=raw, headers=JSON if headers is None else headers, **kw))


def items(table_name: str, prefix: str) -> list[dict[str, Any]]:
    scanned = boto3.client("dynamodb").scan(TableName=table_name)["Items"]
    return [item for item in scanned if item["pk"]["S"].startswith(prefix)]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_shared_sample_behaves_as_it_expects(invoke_webhook: Invoke, name: str) -> None:
    sample = SAMPLES[name]
    if sample.after:
        before = SAMPLES[sample.after]
        invoke_webhook(before.method, body=before.body, headers=before.headers)
    status, body = answer(
        invoke_webhook(sample.method, body=sample.body, headers=sample.headers, query=sample.query)
    )
    assert mismatches(sample, status, body) == []


def test_seed_body_is_stored_then_answered_duplicate_and_stored_once(
    invoke_webhook: Invoke, table_name: str
) -> None:
    first = post(invoke_webhook, SEED)
    second = post(invoke_webhook, SEED)
    assert first[0] == second[0] == 200
    assert first[1]["status"] == "stored"
    assert second[1]["status"] == "duplicate"
    assert second[1]["messages"][0]["status"] == "duplicate"
    assert len(items(table_name, "MSG#")) == 1


def test_answer_carries_the_normalized_message(invoke_webhook: Invoke) -> None:
    _, body = post(invoke_webhook, SEED)
    received = body["messages"][0]["receivedAt"]
    assert body["messages"][0] == {**SEED_MESSAGE, "receivedAt": received, "status": "stored"}


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/json; charset=utf-8"])
def test_json_sent_with_other_or_no_content_type_is_stored(
    invoke_webhook: Invoke, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    status, body = post(invoke_webhook, SEED, headers=headers)
    assert (status, body["status"]) == (200, "stored")


def test_base64_encoded_body_from_api_gateway_is_decoded(webhook_module: Any) -> None:
    from inbox_dev.events import http_api_event
    from inbox_dev.lambdas import LambdaContext

    event = http_api_event("POST", "/instagram/webhook", headers=JSON, body=json.dumps(SEED).encode())
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True
    status, body = answer(webhook_module.lambda_handler(event, LambdaContext("WebhookFunction", 512, 10)))
    assert (status, body["status"]) == (200, "stored")


def test_raw_line_break_in_customer_text_is_accepted(invoke_webhook: Invoke) -> None:
    raw = b'{"senderId": "42", "messageId": "nl-1", "text": "first line\nsecond line"}'
    status, body = post(invoke_webhook, raw)
    assert status == 200
    assert body["messages"][0]["text"] == "first line\nsecond line"


@pytest.mark.parametrize("body", [{"test": "data"}, None, [], "just a string", 42, [{"foo": 1}]])
def test_bodies_without_a_message_are_kept_and_answered_202(
    invoke_webhook: Invoke, table_name: str, body: Any
) -> None:
    status, answered = post(invoke_webhook, json.dumps(body).encode())
    assert (status, answered) == (202, {"status": "unrecognized"})
    kept = items(table_name, "RAW#")
    assert len(kept) == 1
    assert kept[0]["body"]["S"] == json.dumps(body)
    assert kept[0]["reason"]["S"] == "unrecognized"


def test_only_an_echo_is_answered_ignored_and_nothing_is_stored(
    invoke_webhook: Invoke, table_name: str
) -> None:
    echo = meta_message("1", {"mid": "e", "text": "ours", "is_echo": True}, 1731499200000)
    status, body = post(invoke_webhook, echo)
    assert (status, body) == (200, {"status": "ignored", "messages": []})
    assert items(table_name, "MSG#") == []


def test_invalid_json_is_400_and_the_raw_body_is_kept_with_the_reason(
    invoke_webhook: Invoke, table_name: str
) -> None:
    raw = b'{"senderId": "1", "text": "he said "hi""}'
    status, body = post(invoke_webhook, raw)
    assert status == 400
    assert body["error"].startswith("invalid JSON")
    kept = items(table_name, "RAW#")
    assert kept[0]["body"]["S"] == raw.decode()
    assert kept[0]["reason"]["S"] == body["error"]


@pytest.mark.parametrize(
    ("raw", "headers", "status"),
    [
        (b"\xff\xfe\xfd", JSON, 400),
        (b"[" * 100_000 + b"]" * 100_000, JSON, 400),
        (b"", JSON, 400),
        (b"\x89PNG\r\n\x1a\n\x00\x00", {"content-type": "image/png"}, 415),
        (b"<xml/>", {"content-type": "application/xml"}, 415),
        (b"x" * (256 * 1024 + 1), JSON, 413),
        (b"{" * (5 * 1024 * 1024), JSON, 413),
    ],
    ids=["invalid-utf8", "deep-nesting", "empty", "binary", "xml", "just-over-256KiB", "5MB"],
)
def test_unreadable_bodies_get_a_clear_json_error(
    invoke_webhook: Invoke, raw: bytes, headers: dict[str, str], status: int
) -> None:
    answered_status, body = post(invoke_webhook, raw, headers=headers)
    assert answered_status == status
    assert isinstance(body["error"], str)
    assert body["error"]


def test_body_of_exactly_256_kib_is_accepted(invoke_webhook: Invoke) -> None:
    padding = 256 * 1024 - len(json.dumps({"senderId": "1", "messageId": "big", "text": ""}).encode())
    raw = json.dumps({"senderId": "1", "messageId": "big", "text": "a" * padding}).encode()
    assert len(raw) == 256 * 1024
    status, body = post(invoke_webhook, raw)
    assert (status, body["status"]) == (200, "stored")


class TestWithWebhookSecret:
    @pytest.fixture
    def secrets(self) -> dict[str, str]:
        return {"webhook/webhook-secret": "hook-secret-value"}

    def test_missing_secret_is_401(self, invoke_webhook: Invoke, table_name: str) -> None:
        status, body = post(invoke_webhook, SEED)
        assert status == 401
        assert "X-Webhook-Secret" in body["error"]
        assert items(table_name, "") == []

    def test_wrong_secret_is_401(self, invoke_webhook: Invoke) -> None:
        status, _ = post(invoke_webhook, SEED, headers={**JSON, "X-Webhook-Secret": "nope"})
        assert status == 401

    def test_secret_in_header_or_query_token_is_accepted(self, invoke_webhook: Invoke) -> None:
        by_header = post(invoke_webhook, SEED, headers={**JSON, "X-Webhook-Secret": "hook-secret-value"})
        by_query = post(invoke_webhook, {**SEED, "messageId": "q"}, query={"token": "hook-secret-value"})
        assert (by_header[0], by_query[0]) == (200, 200)

    def test_no_secret_reaches_the_logs(self, invoke_webhook: Invoke, logs: LogCapture) -> None:
        post(
            invoke_webhook,
            SEED,
            headers={**JSON, "X-Webhook-Secret": "hook-secret-value", "Authorization": "Bearer tok-xyz"},
        )
        post(invoke_webhook, SEED, headers={**JSON, "X-Webhook-Secret": "wrong-guess"})
        logged = logs.text
        assert logs.named("message stored")
        assert logs.named("delivery rejected")
        for secret in ("hook-secret-value", "tok-xyz", "wrong-guess"):
            assert secret not in logged


class TestWithMetaAppSecret:
    @pytest.fixture
    def secrets(self) -> dict[str, str]:
        return {"webhook/meta-app-secret": "app-secret", "webhook/meta-verify-token": "verify-me"}

    def test_signed_delivery_is_accepted_over_the_raw_bytes(self, invoke_webhook: Invoke) -> None:
        raw = json.dumps(
            SAMPLES["05-meta-instagram-text"].body.decode()
            and json.loads(SAMPLES["05-meta-instagram-text"].body),
            indent=1,
        ).encode()
        status, body = post(
            invoke_webhook, raw, headers={**JSON, "X-Hub-Signature-256": signature_for(raw, "app-secret")}
        )
        assert (status, body["status"]) == (200, "stored")

    def test_unsigned_or_badly_signed_delivery_is_401(self, invoke_webhook: Invoke) -> None:
        raw = SAMPLES["05-meta-instagram-text"].body
        assert post(invoke_webhook, raw)[0] == 401
        assert (
            post(
                invoke_webhook,
                raw,
                headers={**JSON, "X-Hub-Signature-256": signature_for(raw + b" ", "app-secret")},
            )[0]
            == 401
        )

    def test_handshake_answers_the_raw_challenge_as_text(self, invoke_webhook: Invoke) -> None:
        result = invoke_webhook(
            "GET",
            query={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"},
        )
        assert result["statusCode"] == 200
        assert result["body"] == "1158201444"
        assert result["headers"]["Content-Type"].startswith("text/plain")

    def test_handshake_with_a_wrong_token_is_403(self, invoke_webhook: Invoke) -> None:
        result = invoke_webhook(
            "GET", query={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
        )
        assert result["statusCode"] == 403


def test_handshake_without_a_configured_verify_token_is_403(invoke_webhook: Invoke) -> None:
    result = invoke_webhook(
        "GET", query={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    )
    assert result["statusCode"] == 403


def test_dynamodb_failure_is_503_with_retry_after_and_nothing_acknowledged(
    webhook_module: Any, invoke_webhook: Invoke
) -> None:
    with Stubber(webhook_module.store._client) as stub:
        stub.add_client_error(
            "put_item", service_error_code="ProvisionedThroughputExceededException", http_status_code=400
        )
        result = invoke_webhook("POST", body=json.dumps(SEED).encode(), headers=JSON)
    assert result["statusCode"] == 503
    assert result["headers"]["Retry-After"]
    assert "error" in json.loads(result["body"])
    status, body = post(invoke_webhook, SEED)
    assert (status, body["status"]) == (200, "stored")


def test_ssm_failure_is_503_and_fails_closed(invoke_webhook: Invoke) -> None:
    inbox_settings.clear_caches()
    with Stubber(inbox_settings._provider().client) as stub:
        stub.add_client_error(
            "get_parameters_by_path", service_error_code="ThrottlingException", http_status_code=400
        )
        result = invoke_webhook("POST", body=json.dumps(SEED).encode(), headers=JSON)
    assert result["statusCode"] == 503
    assert result["headers"]["Retry-After"]


def test_unknown_route_is_a_json_404(invoke_webhook: Invoke) -> None:
    result = invoke_webhook("POST", "/instagram/nope", body=b"{}")
    assert result["statusCode"] == 404


def test_one_log_line_per_message_carries_the_deliverys_fields(
    invoke_webhook: Invoke, logs: LogCapture
) -> None:
    # Given a Meta batch of two messages and an echo
    post(invoke_webhook, json.loads(SAMPLES["06-meta-batch-with-echo"].body))
    # Then each message has one line, with the delivery's fields, and no line says it twice
    messages = logs.named("message stored")
    assert [line["messageId"] for line in messages] == ["mid.1", "mid.2"]
    assert logs.named("delivery received") == []
    for line in messages:
        assert (line["format"], line["mediaType"]) == ("meta", "application/json")
        assert line["size"] > 0
        assert line["auth"]
        assert line["correlation_id"]
        assert "function_arn" not in line
        assert "function_memory_size" not in line
    assert len(logs.records()) == 2


def test_a_delivery_with_no_message_logs_one_line_with_its_keys(
    invoke_webhook: Invoke, logs: LogCapture
) -> None:
    post(invoke_webhook, {"object": "instagram", "entry": []})
    (delivery,) = logs.named("delivery received")
    assert (delivery["outcome"], delivery["messages"]) == ("ignored", 0)
    assert delivery["topLevelKeys"] == ["object", "entry"]
    assert delivery["correlation_id"]


def test_long_texts_are_logged_as_an_80_character_preview(invoke_webhook: Invoke, logs: LogCapture) -> None:
    post(invoke_webhook, {**SEED, "text": "x" * 500})
    (line,) = logs.named("message stored")
    assert len(line["textPreview"]) == 80
