"""functions/config/app.py (the operator API) called in-process with API Gateway events, against moto."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import jwt
import pytest
from botocore.stub import Stubber
from inbox import settings as inbox_settings
from inbox.models import NormalizedMessage
from inbox.settings import INITIAL_SESSION_GENERATION
from inbox.storage.store import MessageStore
from inbox_dev.local_aws import LocalStack

from tests.bodies import SEED
from tests.conftest import Invoke, LogCapture
from tests.integration.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    JSON,
    JWT_SECRET,
    OPERATOR,
    PASSWORD_HASH,
    PROTECTED,
    Call,
    Reply,
    forged,
)


@pytest.fixture
def secrets() -> dict[str, str]:
    return dict(OPERATOR)


def message(
    message_id: str, timestamp: str, sender: str = "42", text: str | None = None
) -> NormalizedMessage:
    return NormalizedMessage(
        messageId=message_id,
        senderId=sender,
        text=text or f"text of {message_id}",
        timestamp=timestamp,
        format="flat",
        receivedAt="2026-01-01T00:00:00Z",
    )


def put_parameter(stack: LocalStack, name: str, value: str, kind: str = "String") -> None:
    boto3.client("ssm").put_parameter(
        Name=f"{stack.settings_prefix}/{name}",
        Value=value,
        Type=kind,  # type: ignore[arg-type]
        Overwrite=True,
    )
    inbox_settings.clear_caches()


# ------------------------------------------------------------------------------------------ login


def test_login_returns_a_bearer_token_that_opens_the_config(call: Call) -> None:
    reply = call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert reply.status == 200
    assert reply.body["tokenType"] == "Bearer"
    assert reply.body["expiresIn"] == 3600
    assert reply.headers["Cache-Control"] == "no-store"
    config = call("GET", "/instagram/config", token=reply.body["accessToken"])
    assert config.status == 200
    assert (
        config.body["webhook"]["url"]
        == "https://abc123.execute-api.eu-west-1.amazonaws.com/instagram/webhook"
    )


def test_the_token_carries_the_required_claims_and_no_email(call: Call, token: str) -> None:
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"sub", "iat", "exp", "iss", "aud", "gen"}
    assert claims["gen"] == INITIAL_SESSION_GENERATION
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["aud"] == "chatrace-inbox-operator"
    assert ADMIN_EMAIL.lower() not in json.dumps(claims).lower()


def test_the_email_compares_case_insensitively(call: Call) -> None:
    reply = call("POST", "/auth/login", body={"email": " boss@example.COM ", "password": ADMIN_PASSWORD})
    assert reply.status == 200


def test_wrong_email_and_wrong_password_get_the_same_401(call: Call) -> None:
    wrong_password = call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": "guess"})
    wrong_email = call("POST", "/auth/login", body={"email": "other@example.com", "password": ADMIN_PASSWORD})
    assert wrong_password.status == wrong_email.status == 401
    assert wrong_password.text == wrong_email.text == '{"error":"invalid email or password"}'
    assert wrong_password.headers["WWW-Authenticate"] == wrong_email.headers["WWW-Authenticate"]


def test_a_wrong_email_still_costs_a_password_check(call: Call, monkeypatch: pytest.MonkeyPatch) -> None:
    from inbox.operator import passwords

    checked: list[str] = []
    real = passwords.verify_password

    def counting(password: str, stored: str) -> bool:
        checked.append(stored)
        return real(password, stored)

    monkeypatch.setattr("inbox.operator.login.verify_password", counting)
    call("POST", "/auth/login", body={"email": "nobody@example.com", "password": "guess"})
    call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": "guess"})
    assert checked == [PASSWORD_HASH, PASSWORD_HASH]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", None),
        (b"", None),
        (b"[1, 2]", None),
        (b"\xff\xfe", None),
        (b"[" * 30_000 + b"]" * 30_000, None),  # under the size limit; once a RecursionError and a 500
        ({"email": ADMIN_EMAIL}, "password"),
        ({"password": ADMIN_PASSWORD}, "email"),
        ({"email": 42, "password": ADMIN_PASSWORD}, "email"),
        ({"email": ADMIN_EMAIL, "password": ""}, "password"),
        ({"email": ADMIN_EMAIL, "password": "x" * 2000}, "password"),
    ],
    ids=[
        "broken",
        "empty",
        "list",
        "not-utf8",
        "deeply-nested",
        "no-password",
        "no-email",
        "numeric-email",
        "empty-pw",
        "huge-pw",
    ],
)
def test_a_malformed_login_body_is_400(call: Call, body: Any, field: str | None) -> None:
    reply = call("POST", "/auth/login", body=body)
    assert reply.status == 400, reply
    assert reply.body["error"]
    assert reply.body["field"] == field


def test_json_sent_as_form_data_is_read_as_json(call: Call) -> None:
    """curl -d without -H sends application/x-www-form-urlencoded."""
    body = json.dumps({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).encode()
    reply = call(
        "POST", "/auth/login", body=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert reply.status == 200


def test_token_lifetime_comes_from_its_setting(call: Call, stack: LocalStack) -> None:
    put_parameter(stack, "auth/token-lifetime-seconds", "120")
    reply = call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    claims = jwt.decode(reply.body["accessToken"], options={"verify_signature": False})
    assert reply.body["expiresIn"] == claims["exp"] - claims["iat"] == 120


class TestWithoutOperatorSecrets:
    @pytest.fixture
    def secrets(self) -> dict[str, str]:
        return {}

    def test_login_is_503_with_one_clear_log_line(self, call: Call, logs: LogCapture) -> None:
        reply = call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert reply.status == 503
        assert "auth/admin-email" in reply.body["error"]
        (line,) = [r for r in logs.records() if r["level"] == "WARNING"]
        assert "auth/admin-email" in line["message"]
        assert "make secrets" in line["message"]

    @pytest.mark.parametrize(("method", "path"), PROTECTED)
    def test_every_protected_route_is_503_not_open(self, call: Call, method: str, path: str) -> None:
        reply = call(method, path, body={}, token=forged())
        assert reply.status == 503
        assert "auth/jwt-secret" in reply.body["error"]


class TestWithAShortJwtSecret:
    @pytest.fixture
    def secrets(self) -> dict[str, str]:
        return {**OPERATOR, "auth/jwt-secret": "too-short"}

    def test_login_and_protected_routes_are_503(self, call: Call) -> None:
        login = call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        config = call("GET", "/instagram/config", token=forged())
        assert (login.status, config.status) == (503, 503)
        assert "shorter than 32 bytes" in config.body["error"]


class TestWithAMalformedPasswordHash:
    @pytest.fixture
    def secrets(self) -> dict[str, str]:
        return {**OPERATOR, "auth/admin-password-hash": ADMIN_PASSWORD}

    def test_login_is_503_not_401(self, call: Call) -> None:
        reply = call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert reply.status == 503
        assert ADMIN_PASSWORD not in reply.text


# ------------------------------------------------------------------------------------------ tokens

BAD_TOKENS: dict[str, Callable[[], dict[str, str]]] = {
    "no-header": lambda: {},
    "basic-auth": lambda: {"authorization": "Basic YWRtaW46cGFzcw=="},
    "bearer-without-token": lambda: {"authorization": "Bearer"},
    "garbage": lambda: {"authorization": "Bearer garbage"},
    "alg-none": lambda: {
        "authorization": "Bearer "
        + base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
        + "."
        + forged().split(".")[1]
        + "."
    },
    "hs512": lambda: {"authorization": "Bearer " + forged(algorithm="HS512", key=JWT_SECRET * 2)},
    "wrong-key": lambda: {"authorization": "Bearer " + forged(key="another-secret-" + "x" * 32)},
    "expired": lambda: {"authorization": "Bearer " + forged(iat=1_700_000_000, exp=1_700_003_600)},
    "wrong-aud": lambda: {"authorization": "Bearer " + forged(aud="someone-else")},
    "wrong-iss": lambda: {"authorization": "Bearer " + forged(iss="chatrace-inbox:/other-stack")},
    "no-exp": lambda: {"authorization": "Bearer " + forged(exp=None)},
    "no-sub": lambda: {"authorization": "Bearer " + forged(sub=None)},
    "tampered-payload": lambda: {
        "authorization": "Bearer "
        + ".".join(
            part
            if i != 1
            else base64.urlsafe_b64encode(b'{"sub":"admin","exp":9999999999}').decode().rstrip("=")
            for i, part in enumerate(forged().split("."))
        )
    },
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_every_bad_token_is_401_json_with_a_bearer_challenge(call: Call, case: str) -> None:
    reply = call("GET", "/instagram/messages", headers=BAD_TOKENS[case]())
    assert reply.status == 401, reply
    assert reply.headers["WWW-Authenticate"].startswith('Bearer realm="chatrace-inbox"')
    assert reply.headers["Content-Type"] == "application/json"
    assert set(reply.body) == {"error"}


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_protected_route_wants_a_token(call: Call, method: str, path: str) -> None:
    reply = call(method, path, body={"pollingEnabled": True})
    assert reply.status == 401
    assert reply.body == {"error": "missing bearer token"}


def test_an_expired_token_says_so(call: Call) -> None:
    reply = call("GET", "/instagram/config", headers=BAD_TOKENS["expired"]())
    assert reply.body == {"error": "token expired"}
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]


def test_a_rotated_jwt_secret_ends_every_session(call: Call, token: str, stack: LocalStack) -> None:
    assert call("GET", "/instagram/config", token=token).status == 200
    put_parameter(stack, "auth/jwt-secret", "a-brand-new-secret-" + "y" * 32, kind="SecureString")
    assert call("GET", "/instagram/config", token=token).status == 401


# ------------------------------------------------------------------------------------------ config


def test_config_shows_the_setup_without_secret_values(call: Call, token: str, stack: LocalStack) -> None:
    put_parameter(stack, "chatrace/token", "chatrace-token-value-9876", kind="SecureString")
    put_parameter(stack, "chatrace/account-id", "1234")
    reply = call(
        "GET",
        "/instagram/config",
        token=token,
        headers={"host": "localhost:3000", "x-forwarded-proto": "http"},
    )
    assert reply.status == 200
    body = reply.body
    assert body["accountId"] == "1234"
    assert body["webhook"] == {
        "url": "http://localhost:3000/instagram/webhook",
        "authentication": "open",  # local stacks run with AllowUnauthenticatedWebhook=true
        "allowUnauthenticated": True,
        "checks": {"webhookSecret": False, "metaSignature": False, "metaVerifyToken": False},
    }
    assert body["polling"]["enabled"] is False
    assert body["polling"]["intervalSeconds"] == 10
    assert body["fieldMap"] == {}
    assert body["auth"] == {"tokenLifetimeSeconds": 3600}
    assert body["secrets"]["chatraceToken"] == {"set": True, "last4": "9876"}
    assert body["secrets"]["adminEmail"] == {"set": True}
    for value in ("chatrace-token-value-9876", JWT_SECRET, ADMIN_EMAIL, PASSWORD_HASH):
        assert value not in reply.text
    assert reply.headers["Cache-Control"] == "no-store"


def test_put_config_writes_the_settings_and_the_answer_shows_them(
    call: Call, token: str, stack: LocalStack
) -> None:
    reply = call(
        "PUT",
        "/instagram/config",
        token=token,
        body={
            "pollingEnabled": True,
            "pollIntervalSeconds": 20,
            "accountId": "777",
            "tokenLifetimeSeconds": 900,
        },
    )
    assert reply.status == 200, reply
    assert reply.body["updated"] == [
        "auth/token-lifetime-seconds",
        "chatrace/account-id",
        "polling/enabled",
        "polling/interval-seconds",
    ]
    assert reply.body["polling"]["enabled"] is True
    assert reply.body["polling"]["intervalSeconds"] == 20
    stored = boto3.client("ssm").get_parameter(Name=f"{stack.settings_prefix}/polling/interval-seconds")
    assert stored["Parameter"]["Value"] == "20"
    assert stored["Parameter"]["Type"] == "String"
    # a token issued for 3600 s now outlives the configured maximum: log in again for a 900 s one
    assert call("GET", "/instagram/config", token=token).status == 401
    login = call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    again = call("GET", "/instagram/config", token=login.body["accessToken"])
    assert (again.body["accountId"], again.body["auth"]["tokenLifetimeSeconds"]) == ("777", 900)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pollIntervalSeconds": 0}, "pollIntervalSeconds"),
        ({"fieldMap": {"sender": ["a.b"]}}, "fieldMap.sender"),
        ({"inboxUrl": "http://app.chatrace.com/php/user"}, "inboxUrl"),
        ({"auth/jwt-secret": "x"}, "auth/jwt-secret"),
        ({"jwtSecret": "x" * 40}, "jwtSecret"),
    ],
)
def test_put_config_refuses_bad_input_naming_the_field(
    call: Call, token: str, body: dict[str, Any], field: str
) -> None:
    reply = call("PUT", "/instagram/config", token=token, body=body)
    assert reply.status == 400
    assert reply.body["field"] == field
    assert reply.body["error"].startswith(field + ": ")


def test_a_field_map_set_through_the_api_is_used_by_the_webhook(
    call: Call, token: str, invoke_webhook: Invoke
) -> None:
    body = json.dumps({"payload": {"contact": {"id": "9001"}, "msg": "hello via alias"}}).encode()
    first = invoke_webhook("POST", body=body, headers=JSON)
    assert first["statusCode"] == 202
    reply = call(
        "PUT",
        "/instagram/config",
        token=token,
        body={"fieldMap": {"senderId": ["payload.contact.id"], "text": ["payload.msg"]}},
    )
    assert reply.status == 200
    assert reply.body["fieldMap"] == {"senderId": ["payload.contact.id"], "text": ["payload.msg"]}
    second = invoke_webhook("POST", body=body, headers=JSON)
    answered = json.loads(second["body"])
    assert second["statusCode"] == 200
    assert answered["messages"][0]["format"] == "fieldmap"
    assert answered["messages"][0]["senderId"] == "9001"


# ------------------------------------------------------------------------------------------ messages


def all_pages(call: Call, token: str, query: dict[str, str]) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        reply = call(
            "GET",
            "/instagram/messages",
            token=token,
            query={**query, **({"cursor": cursor} if cursor else {})},
        )
        assert reply.status == 200, reply
        pages.append(reply.body["messages"])
        assert reply.body["count"] == len(reply.body["messages"])
        cursor = reply.body["nextCursor"]
        if cursor is None:
            return pages


def test_a_posted_message_is_listed_in_the_webhooks_shape(
    call: Call, token: str, invoke_webhook: Invoke
) -> None:
    posted = json.loads(invoke_webhook("POST", body=json.dumps(SEED).encode(), headers=JSON)["body"])
    listed = call("GET", "/instagram/messages", token=token)
    assert listed.status == 200
    expected = {k: v for k, v in posted["messages"][0].items() if k != "status"}
    assert listed.body == {"messages": [expected], "count": 1, "nextCursor": None}


def test_messages_are_newest_first_and_attachments_survive(
    call: Call, token: str, invoke_webhook: Invoke
) -> None:
    for i, stamp in enumerate([1731499200, 1731585600, 1700000000]):
        body = {"senderId": "1", "messageId": f"m{i}", "text": f"t{i}", "timestamp": stamp}
        invoke_webhook("POST", body=json.dumps(body).encode(), headers=JSON)
    image = {"senderId": "1", "messageId": "img", "attachments": [{"type": "image", "url": "https://cdn/x.jpg"}],
             "timestamp": 1600000000}  # fmt: skip
    invoke_webhook("POST", body=json.dumps(image).encode(), headers=JSON)
    listed = call("GET", "/instagram/messages", token=token).body["messages"]
    assert [m["messageId"] for m in listed] == ["m1", "m0", "m2", "img"]
    assert listed[-1]["attachments"] == [{"type": "image", "url": "https://cdn/x.jpg"}]
    assert listed[-1]["text"] is None


def test_sender_filter_returns_only_that_conversation(call: Call, token: str, store: MessageStore) -> None:
    for i in range(4):
        store.put_message(message(f"a{i}", f"2026-01-0{i + 1}T00:00:00Z", sender="alice"))
        store.put_message(message(f"b{i}", f"2026-01-0{i + 1}T00:00:01Z", sender="bob"))
    pages = all_pages(call, token, {"senderId": "alice", "limit": "3"})
    assert [[m["messageId"] for m in page] for page in pages] == [["a3", "a2", "a1"], ["a0"]]


@pytest.mark.parametrize(("count", "limit"), [(0, 5), (5, 5), (5, 2), (7, 3), (12, 1), (3, 100)])
def test_paging_lists_every_message_once_and_ends_with_a_null_cursor(
    call: Call, token: str, store: MessageStore, count: int, limit: int
) -> None:
    start = datetime(2025, 12, 31, 23, 59, tzinfo=UTC)
    for i in range(count):
        stamp = (start + timedelta(seconds=37 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        store.put_message(message(f"p{i:02}", stamp, sender=f"s{i % 3}"))
    pages = all_pages(call, token, {"limit": str(limit)})
    listed = [m["messageId"] for page in pages for m in page]
    assert listed == [f"p{i:02}" for i in reversed(range(count))]
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages) == max(1, -(-count // limit))


def test_default_limit_is_50(call: Call, token: str, store: MessageStore) -> None:
    for i in range(51):
        store.put_message(message(f"d{i:02}", f"2026-02-01T00:00:{i:02}Z" if i < 60 else ""))
    reply = call("GET", "/instagram/messages", token=token)
    assert reply.body["count"] == 50
    assert reply.body["nextCursor"]


def test_since_bounds_the_listing_with_any_offset(call: Call, token: str, store: MessageStore) -> None:
    for message_id, stamp in [
        ("old", "2026-03-01T09:59:59Z"),
        ("edge", "2026-03-01T10:00:00Z"),
        ("edge-ms-early", "2026-03-01T10:00:00.250Z"),
        ("edge-ms-late", "2026-03-01T10:00:00.750Z"),
        ("new", "2026-03-02T00:00:00Z"),
    ]:
        store.put_message(message(message_id, stamp))

    def since(value: str) -> set[str]:
        reply = call("GET", "/instagram/messages", token=token, query={"since": value})
        assert reply.status == 200, reply
        return {m["messageId"] for m in reply.body["messages"]}

    assert since("2026-03-01T10:00:00Z") == {"edge", "edge-ms-early", "edge-ms-late", "new"}
    assert since("2026-03-01T13:00:00+03:00") == {"edge", "edge-ms-early", "edge-ms-late", "new"}
    assert since("2026-03-01T13:00:00 03:00") == {"edge", "edge-ms-early", "edge-ms-late", "new"}  # raw "+"
    assert since("2026-03-01T10:00:00.500+0000") == {"edge-ms-late", "new"}
    assert since("2026-03-01T10:00:00") == {"edge", "edge-ms-early", "edge-ms-late", "new"}
    assert since("2026-03-02") == {"new"}
    assert since("2030-01-01T00:00:00Z") == set()


def test_since_and_paging_combine(call: Call, token: str, store: MessageStore) -> None:
    for i in range(10):
        store.put_message(message(f"c{i}", f"2026-04-01T00:00:0{i}Z"))
    pages = all_pages(call, token, {"since": "2026-04-01T00:00:04Z", "limit": "2"})
    assert [[m["messageId"] for m in page] for page in pages] == [["c9", "c8"], ["c7", "c6"], ["c5", "c4"]]


def test_a_message_dated_years_back_is_still_listed(call: Call, token: str, store: MessageStore) -> None:
    store.put_message(message("ancient", "2019-05-05T05:05:05Z"))
    store.put_message(message("recent", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")))
    listed = call("GET", "/instagram/messages", token=token).body["messages"]
    assert [m["messageId"] for m in listed] == ["recent", "ancient"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1,2"}, "limit"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-13-01"}, "since"),
        ({"senderID": "42"}, "senderID"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b'{"v":1,"l":"messages","s":null,"k":"x"}').decode()}, "cursor"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    call: Call, token: str, query: dict[str, str], field: str
) -> None:
    reply = call("GET", "/instagram/messages", token=token, query=query)
    assert reply.status == 400, reply
    assert reply.body["field"] == field


def test_a_cursor_of_another_sender_or_listing_is_400(call: Call, token: str, store: MessageStore) -> None:
    for i in range(3):
        store.put_message(message(f"x{i}", f"2026-05-01T00:00:0{i}Z", sender="alice"))
    cursor = call("GET", "/instagram/messages", token=token, query={"senderId": "alice", "limit": "1"}).body[
        "nextCursor"
    ]
    other_sender = call(
        "GET", "/instagram/messages", token=token, query={"senderId": "bob", "cursor": cursor}
    )
    no_sender = call("GET", "/instagram/messages", token=token, query={"cursor": cursor})
    unrecognized = call("GET", "/instagram/unrecognized", token=token, query={"cursor": cursor})
    assert (other_sender.status, no_sender.status, unrecognized.status) == (400, 400, 400)


def test_listing_never_scans(call: Call, token: str, config_module: ModuleType, store: MessageStore) -> None:
    store.put_message(message("q1", "2026-06-01T00:00:00Z"))
    operations: list[str] = []
    events = config_module.api.reader._client.meta.events

    def record(model: Any, **_: Any) -> None:
        operations.append(model.name)

    events.register("before-call.dynamodb", record)
    try:
        call("GET", "/instagram/messages", token=token)
        call("GET", "/instagram/messages", token=token, query={"senderId": "42", "since": "2026-01-01"})
        call("GET", "/instagram/unrecognized", token=token)
    finally:
        events.unregister("before-call.dynamodb", record)
    assert operations == ["Query", "Query", "Query"]


def test_a_dynamodb_failure_is_503_with_retry_after(
    call: Call, token: str, config_module: ModuleType
) -> None:
    with Stubber(config_module.api.reader._client) as stub:
        stub.add_client_error("query", service_error_code="ProvisionedThroughputExceededException")
        reply = call("GET", "/instagram/messages", token=token)
    assert reply.status == 503
    assert reply.headers["Retry-After"]


def test_an_ssm_failure_is_503_and_lets_nobody_in(call: Call, token: str) -> None:
    inbox_settings.clear_caches()
    with Stubber(inbox_settings._provider().client) as stub:
        stub.add_client_error("get_parameters_by_path", service_error_code="ThrottlingException")
        reply = call("GET", "/instagram/messages", token=token)
    assert reply.status == 503


# ------------------------------------------------------------------------------------------ unrecognized


def test_kept_bodies_are_listed_newest_first_with_their_reason(
    call: Call, token: str, invoke_webhook: Invoke
) -> None:
    invoke_webhook("POST", body=b'{"test": "data"}', headers=JSON)
    invoke_webhook("POST", body=b'{"senderId": "1", "text": "he said "hi""}', headers=JSON)
    reply = call("GET", "/instagram/unrecognized", token=token)
    assert reply.status == 200
    bodies = reply.body["bodies"]
    assert {b["body"] for b in bodies} == {'{"test": "data"}', '{"senderId": "1", "text": "he said "hi""}'}
    by_body = {b["body"]: b for b in bodies}
    assert by_body['{"test": "data"}']["reason"] == "unrecognized"
    assert by_body['{"senderId": "1", "text": "he said "hi""}']["reason"].startswith("invalid JSON")
    kept = by_body['{"test": "data"}']
    assert (kept["mediaType"], kept["size"], kept["truncated"]) == ("application/json", 16, False)
    assert len(kept["id"]) == 64
    assert reply.body["nextCursor"] is None


def test_kept_bodies_page_with_a_cursor(call: Call, token: str, invoke_webhook: Invoke) -> None:
    for i in range(5):
        invoke_webhook("POST", body=json.dumps({"unknown": i}).encode(), headers=JSON)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        reply = call("GET", "/instagram/unrecognized", token=token, query=query)
        seen += [b["id"] for b in reply.body["bodies"]]
        cursor = reply.body["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5


def test_large_kept_bodies_make_shorter_pages_never_an_oversized_answer(
    call: Call, token: str, invoke_webhook: Invoke
) -> None:
    for i in range(12):
        body = json.dumps({"unknown": i, "padding": "x" * 250_000}).encode()
        assert invoke_webhook("POST", body=body, headers=JSON)["statusCode"] == 202
    seen: list[str] = []
    cursor = None
    for _ in range(12):
        reply = call(
            "GET",
            "/instagram/unrecognized",
            token=token,
            query={"limit": "100", **({"cursor": cursor} if cursor else {})},
        )
        assert len(reply.text) < 6_000_000
        seen += [b["id"] for b in reply.body["bodies"]]
        cursor = reply.body["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 12
    first_page = call("GET", "/instagram/unrecognized", token=token, query={"limit": "100"}).body
    assert 1 < first_page["count"] < 12


def test_a_kept_body_replays_into_a_message_once_a_field_map_knows_it(
    call: Call, token: str, invoke_webhook: Invoke
) -> None:
    body = {"payload": {"contact": {"id": "555"}, "msg": "finally understood"}}
    assert invoke_webhook("POST", body=json.dumps(body).encode(), headers=JSON)["statusCode"] == 202
    (kept,) = call("GET", "/instagram/unrecognized", token=token).body["bodies"]

    before = call("POST", f"/instagram/unrecognized/{kept['id']}/replay", token=token)
    assert before.status == 422
    assert before.body["status"] == "unrecognized"

    call(
        "PUT",
        "/instagram/config",
        token=token,
        body={"fieldMap": {"senderId": ["payload.contact.id"], "text": ["payload.msg"]}},
    )
    first = call("POST", f"/instagram/unrecognized/{kept['id']}/replay", token=token)
    second = call("POST", f"/instagram/unrecognized/{kept['id']}/replay", token=token)
    assert (first.status, first.body["status"]) == (200, "stored")
    assert (second.status, second.body["status"]) == (200, "duplicate")
    (replayed,) = first.body["messages"]
    assert replayed["format"] == "fieldmap"
    assert replayed["text"] == "finally understood"
    assert replayed["receivedAt"] == kept["receivedAt"]
    listed = call("GET", "/instagram/messages", token=token, query={"senderId": "555"}).body["messages"]
    assert [m["messageId"] for m in listed] == [replayed["messageId"]]


def test_replaying_a_kept_malformed_body_is_422_with_the_reason(
    call: Call, token: str, invoke_webhook: Invoke
) -> None:
    invoke_webhook("POST", body=b'{"senderId": "1", "text": "broken "quote""}', headers=JSON)
    (kept,) = call("GET", "/instagram/unrecognized", token=token).body["bodies"]
    reply = call("POST", f"/instagram/unrecognized/{kept['id']}/replay", token=token)
    assert reply.status == 422
    assert reply.body["error"].startswith("invalid JSON")


def test_replaying_an_unknown_id_is_404_and_a_malformed_one_400(call: Call, token: str) -> None:
    unknown = call("POST", "/instagram/unrecognized/" + "0" * 64 + "/replay", token=token)
    malformed = call("POST", "/instagram/unrecognized/not-an-id/replay", token=token)
    assert unknown.status == 404
    assert (malformed.status, malformed.body["field"]) == (400, "id")


# ------------------------------------------------------------------------------------------ hygiene

ALL_SECRETS = {
    **OPERATOR,
    "chatrace/token": "chatrace-api-token-ABCDEFGH12345678",
    "webhook/webhook-secret": "hook-secret-value-0042",
    "webhook/meta-app-secret": "meta-app-secret-value-77",
    "webhook/meta-verify-token": "meta-verify-token-value-99",
}


class TestSecretHygiene:
    @pytest.fixture
    def secrets(self) -> dict[str, str]:
        return dict(ALL_SECRETS)

    @pytest.fixture
    def replies(self, call: Call, invoke_webhook: Invoke, logs: LogCapture) -> list[Reply]:
        """Every route, with right and wrong credentials, while the log is captured."""
        collected: list[Reply] = []

        def record(reply: Reply) -> Reply:
            collected.append(reply)
            return reply

        hook = {**JSON, "x-webhook-secret": ALL_SECRETS["webhook/webhook-secret"]}
        invoke_webhook(
            "POST", body=json.dumps({"senderId": "7", "text": "hi", "messageId": "h1"}).encode(), headers=hook
        )
        invoke_webhook("POST", body=b'{"unknown": true}', headers=hook)
        record(
            call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": "wrong " + ADMIN_PASSWORD})
        )
        record(call("POST", "/auth/login", body={"email": "x" + ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        record(call("POST", "/auth/login", body={"email": 5, "password": ADMIN_PASSWORD}))
        login = call("POST", "/auth/login", body={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        token = login.body["accessToken"]
        record(call("GET", "/instagram/config", token=token))
        record(call("PUT", "/instagram/config", token=token, body={"pollingEnabled": True}))
        record(
            call("PUT", "/instagram/config", token=token, body={"accountId": ALL_SECRETS["auth/jwt-secret"]})
        )
        record(call("GET", "/instagram/messages", token=token))
        unrecognized = record(call("GET", "/instagram/unrecognized", token=token))
        raw_id = unrecognized.body["bodies"][0]["id"]
        record(call("POST", f"/instagram/unrecognized/{raw_id}/replay", token=token))
        record(call("GET", "/instagram/messages", token=token + "x"))
        record(call("GET", "/instagram/messages", headers={"authorization": f"Basic {JWT_SECRET}"}))
        record(call("GET", "/instagram/messages", token=forged(key="guessed-key-" + "z" * 32)))
        collected.append(Reply({"statusCode": 0, "body": json.dumps({"token": token})}))
        return collected

    def test_no_secret_value_reaches_a_response_or_a_log_line(
        self, replies: list[Reply], logs: LogCapture
    ) -> None:
        token = replies.pop().body["token"]
        assert logs.named("operator logged in")
        assert logs.named("operator request refused")
        assert logs.named("settings updated")
        forbidden = [*ALL_SECRETS.values(), ADMIN_PASSWORD, ADMIN_EMAIL.lower(), *token.split(".")]
        logged = logs.text
        answered = "\n".join(reply.text for reply in replies)
        for value in forbidden:
            assert value not in logged, value
            assert value not in answered, value
            assert value.lower() not in logged.lower()


def test_config_shows_the_pollers_token_health(call: Call, token: str, table_name: str) -> None:
    from inbox.polling.state import PollerState

    before = call("GET", "/instagram/config", token=token)
    assert before.body["polling"]["status"]["token"]["status"] == "unknown"
    PollerState(table_name, boto3.client("dynamodb")).record_token_rejected(
        at="2026-11-25T03:00:00Z", detail="Chatrace answered 401"
    )
    after = call("GET", "/instagram/config", token=token)
    assert after.body["polling"]["status"]["token"] == {
        "status": "rejected",
        "checkedAt": "2026-11-25T03:00:00Z",
        "detail": "Chatrace answered 401",
    }
