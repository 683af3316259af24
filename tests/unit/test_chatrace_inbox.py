"""The inbox API client and row decoding, against the shared samples (httpx.MockTransport: no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from inbox.errors import BadInboxRow, InboxUnavailable, TokenRejected
from inbox.models import Attachment
from inbox.normalize.ids import is_derived
from inbox.outbound import AllowedHosts
from inbox.polling.inbox_client import InboxClient, conversation_of, decode_parts, message_of, to_normalized

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "inbox"


def sample(name: str) -> Any:
    """One of the inbox API's request/response samples (copied from ../shared/samples/inbox)."""
    return json.loads((SAMPLES / name).read_text())


Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, **kwargs: Any) -> InboxClient:
    return InboxClient(
        url="https://app.example/php/user",
        allowed=AllowedHosts(("app.example",)),
        account_id="1543616",
        token="secret-token",
        transport=httpx.MockTransport(handler),
        **kwargs,
    )


def answering(
    status: int, body: Any = None, *, raw: bytes | None = None, headers: dict[str, str] | None = None
) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if raw is not None:
            return httpx.Response(status, content=raw, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return handle


# ------------------------------------------------------------------------------- requests


def test_requests_match_the_samples_and_carry_the_mobile_app_headers() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "OK", "data": []})

    inbox = client(handle)
    inbox.conversations(offset=0, limit=30)
    inbox.messages("2850008055041461", offset=0, limit=100)
    listing, reading = (json.loads(r.content) for r in seen)
    expected = sample("01-list-conversations.request.json")
    assert {k: listing[k] for k in ("account_id", "op", "op1", "offset", "limit")} == {
        k: expected[k] for k in ("account_id", "op", "op1", "offset", "limit")
    }
    assert reading["id"] == "2850008055041461"
    assert (reading["op"], reading["op1"], reading["limit"]) == ("conversations", "get", 100)
    for request in seen:
        assert request.method == "POST"
        assert request.headers["X-ACCESS-TOKEN"] == "secret-token"
        assert request.headers["User-Agent"] == "mobile-app"


def test_a_non_numeric_account_id_is_sent_as_given() -> None:
    seen: list[dict[str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"status": "OK", "data": []})

    InboxClient(
        url="https://x/php/user",
        allowed=AllowedHosts(("x",)),
        account_id="acct-7",
        token="t",
        transport=httpx.MockTransport(handle),
    ).conversations(offset=0, limit=1)
    assert seen[0]["account_id"] == "acct-7"


# ------------------------------------------------------------------------------- answers


def test_the_sample_conversations_decode() -> None:
    rows = client(answering(200, sample("01-list-conversations.response.json"))).conversations(
        offset=0, limit=30
    )
    instagram, messenger = (conversation_of(row) for row in rows)
    assert instagram is not None
    assert messenger is not None
    assert (instagram.contact_id, instagram.is_instagram, instagram.timestamp_ms) == (
        "2850008055041461",
        True,
        1731499260000,
    )
    assert (messenger.is_instagram, instagram.username) == (False, None)


def test_the_sample_messages_decode_inbound_outbound_text_attachment_and_typing() -> None:
    rows = client(answering(200, sample("02-list-messages.response.json"))).messages("x", offset=0, limit=100)
    question, reply, photo = (message_of(row) for row in rows)
    assert (question.inbound, question.text, question.timestamp_ms) == (
        True,
        "Is the blue dress still available?",
        1731499260000,
    )
    assert question.message_id == "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAw"
    assert (reply.inbound, reply.text) == (False, "Hi Anna! Let me check for you.")  # typing part skipped
    assert (photo.text, photo.attachments) == (
        None,
        (Attachment(type="image", url="https://example.com/cdn/photo.jpg?sig=abc"),),
    )


def test_fields_may_come_as_numbers_instead_of_strings() -> None:
    conversation = conversation_of({"ms_id": 2850008055041461, "channel": 10, "timestamp": 1731499260000})
    assert conversation is not None
    assert (conversation.contact_id, conversation.is_instagram) == ("2850008055041461", True)
    message = message_of({"id": 12, "dir": 1, "timestamp": 1731499260, "message": [{"text": "hi"}]})
    assert (message.message_id, message.inbound, message.timestamp_ms, message.text) == (
        "12",
        True,
        1731499260000,
        "hi",
    )


@pytest.mark.parametrize("row", [None, "x", {}, {"ms_id": ""}, {"ms_id": "{{user_id}}"}])
def test_a_conversation_without_a_contact_id_is_skipped(row: object) -> None:
    assert conversation_of(row) is None


def test_username_comes_from_any_of_its_spellings() -> None:
    for key in ("username", "ig_username", "ig_user_name", "user_name"):
        conversation = conversation_of({"ms_id": "1", key: "@anna.k"})
        assert conversation is not None
        assert conversation.username == "anna.k"


@pytest.mark.parametrize(
    ("message", "text", "urls"),
    [
        ('[{"text":"hello"}]', "hello", []),
        ('{"text":"one part"}', "one part", []),
        ("plain text, not JSON", "plain text, not JSON", []),
        ('"a JSON string"', "a JSON string", []),
        ('[{"text":"a"},{"text":"b"}]', "a\nb", []),
        ('[{"type":"typing"},{"sender_action":"typing_on"}]', None, []),
        (
            '[{"attachments":[{"type":"video","payload":{"url":"https://v/1.mp4"}}]}]',
            None,
            ["https://v/1.mp4"],
        ),
        ('[{"attachment":{"type":"image","url":"https://i/2.jpg"}}]', None, ["https://i/2.jpg"]),
        ('[{"attachment":{"type":"image","payload":{}}}]', None, []),
        ('["bare string part", 5, null]', "bare string part", []),
        ("", None, []),
        (None, None, []),
        ([{"text": "already a list"}], "already a list", []),
    ],
)
def test_message_parts_decode(message: object, text: str | None, urls: list[str]) -> None:
    decoded_text, attachments = decode_parts(message)
    assert decoded_text == text
    assert [a.url for a in attachments] == urls


@pytest.mark.parametrize("message", ['[{"text": "cut off', "{not json}", '"unterminated', "[" * 100_000, 42])
def test_unreadable_message_content_is_a_bad_row(message: object) -> None:
    with pytest.raises(BadInboxRow):
        decode_parts(message)


def test_a_row_that_is_not_an_object_is_a_bad_row() -> None:
    with pytest.raises(BadInboxRow):
        message_of(["not", "an", "object"])


def test_a_polled_message_is_normalized_like_any_other() -> None:
    conversation = conversation_of(
        {"ms_id": "2850008055041461", "channel": "10", "timestamp": "1731499260000"}
    )
    message = message_of(
        {"id": "mid-1", "dir": "1", "timestamp": "1731499260000", "message": '[{"text":"hi"}]'}
    )
    assert conversation is not None
    normalized = to_normalized(
        conversation, message, username="anna", received_at=datetime(2024, 11, 13, 12, 1, 5, tzinfo=UTC)
    )
    assert normalized is not None
    assert normalized.to_json() == {
        "messageId": "mid-1",
        "senderId": "2850008055041461",
        "username": "anna",
        "text": "hi",
        "attachments": [],
        "timestamp": "2024-11-13T12:01:00Z",
        "source": "poller",
        "format": "inbox",
        "receivedAt": "2024-11-13T12:01:05Z",
        "direction": "inbound",
    }


def test_a_polled_message_without_an_id_gets_a_derived_one_and_an_empty_one_none() -> None:
    conversation = conversation_of({"ms_id": "1", "channel": "10"})
    assert conversation is not None
    now = datetime(2024, 11, 13, tzinfo=UTC)
    no_id = to_normalized(
        conversation, message_of({"dir": "1", "message": "hi"}), username=None, received_at=now
    )
    assert no_id is not None
    assert is_derived(no_id.messageId)
    empty = to_normalized(
        conversation, message_of({"dir": "1", "message": "[]"}), username=None, received_at=now
    )
    assert empty is None


# ------------------------------------------------------------------------------- faults


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_reject_the_token(status: int) -> None:
    with pytest.raises(TokenRejected) as caught:
        client(answering(status, {"status": "error", "message": "Invalid access token"})).conversations(
            offset=0, limit=1
        )
    assert caught.value.status == status
    assert "Invalid access token" in caught.value.reason
    assert "secret-token" not in caught.value.reason


def test_the_samples_error_on_200_about_the_token_rejects_it() -> None:
    with pytest.raises(TokenRejected):
        client(answering(200, sample("03-error-on-200.response.json"))).conversations(offset=0, limit=1)


@pytest.mark.parametrize(
    "body",
    [
        {"status": "error", "message": "Temporary failure"},
        {"error": {"code": 500, "message": "database busy"}},
        {"success": False},
        {"status": "FAILED"},
    ],
)
def test_other_error_answers_on_200_are_retried_later(body: dict[str, Any]) -> None:
    with pytest.raises(InboxUnavailable) as caught:
        client(answering(200, body)).conversations(offset=0, limit=1)
    assert "error answer on HTTP 200" in caught.value.reason


def test_429_is_retried_after_the_servers_delay() -> None:
    with pytest.raises(InboxUnavailable) as caught:
        client(answering(429, {}, headers={"Retry-After": "7"})).conversations(offset=0, limit=1)
    assert caught.value.retry_after == 7
    with pytest.raises(InboxUnavailable) as huge:
        client(answering(429, {}, headers={"Retry-After": "86400"})).conversations(offset=0, limit=1)
    assert huge.value.retry_after == 60


@pytest.mark.parametrize("status", [500, 502, 503, 404, 400])
def test_other_http_errors_are_retried_later(status: int) -> None:
    with pytest.raises(InboxUnavailable, match=f"HTTP {status}"):
        client(answering(status, {"status": "error"})).conversations(offset=0, limit=1)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"status":"OK","data":[', "not JSON"),
        (b"<html>502 Bad Gateway</html>", "not JSON"),
        (b"[1, 2]", "not an object"),
        (b'{"status":"OK","data":{"ms_id":"1"}}', "not a list"),
    ],
)
def test_malformed_answers_are_retried_later(raw: bytes, reason: str) -> None:
    with pytest.raises(InboxUnavailable, match=reason):
        client(answering(200, raw=raw)).conversations(offset=0, limit=1)


def test_an_answer_without_data_is_an_empty_page() -> None:
    assert client(answering(200, {"status": "OK"})).conversations(offset=0, limit=1) == []


def test_timeouts_and_unreachable_servers_are_retried_later() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(InboxUnavailable, match="timed out"):
        client(timeout).conversations(offset=0, limit=1)
    with pytest.raises(InboxUnavailable, match="could not be reached"):
        client(refused).conversations(offset=0, limit=1)


def test_the_client_has_explicit_timeouts() -> None:
    inbox = client(answering(200, {"data": []}))
    timeout = inbox._http.timeout
    assert (timeout.connect, timeout.read) == (3.0, 8.0)
    inbox.close()
