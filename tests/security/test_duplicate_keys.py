"""§1 of docs/security.md: a customer's text cannot forge fields by repeating a key.

Chatrace pastes ``{{last_input}}`` into the operator's hand-written body unescaped, so a customer
can close the string and write keys of their own. Every way a body can repeat a key is refused
with 400, kept for the operator, and nothing is stored.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import Invoke
from tests.integration.conftest import ADMIN_PASSWORD, OPERATOR, Call

ROOT = Path(__file__).resolve().parents[2]
JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
ATTACK = 'I want a refund", "contact_id": "2222222222", "ig_username": "victim.real", "z": "'
HONEST_FIELDS = {
    "user_id": "1111111111",
    "ig_user_name": "real.customer",
    "first_name": "Real",
    "last_name": "Customer",
    "last_input_type": "text",
    "user_channel": "instagram",
    "last_interaction": "1731499260000",
}


def readme_template() -> str:
    """The body the README tells operators to paste into Chatrace, exactly as written there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Connect Chatrace", 1)[1].split("```json", 1)[1].split("```", 1)[0]


def render(template: str, last_input: str) -> bytes:
    """What Chatrace sends: each ``{{field}}`` replaced by its value as is, nothing escaped."""
    fields = {**HONEST_FIELDS, "last_input": last_input}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: fields[m.group(1)], template).encode()


def items(table_name: str, prefix: str) -> list[dict[str, Any]]:
    found = boto3.client("dynamodb").scan(TableName=table_name)["Items"]
    return [item for item in found if item["pk"]["S"].startswith(prefix)]


def refused_and_kept(result: dict[str, Any], table_name: str, key: str | None) -> None:
    assert result["statusCode"] == 400, result
    error = json.loads(result["body"])["error"]
    assert error.startswith("duplicate key" + (f' "{key}"' if key else "")), error
    assert items(table_name, "MSG#") == []
    kept = items(table_name, "RAW#")
    assert [item["reason"]["S"] for item in kept] == [error]


def test_the_issues_attack_on_the_readme_template_is_refused_and_kept(
    invoke_webhook: Invoke, table_name: str
) -> None:
    # Given the README's recommended body, rendered the way Chatrace renders it
    template = readme_template()
    honest = render(template, "Hello! Is the blue dress still available?")
    forged = render(template, ATTACK)

    # When a customer's text closes the string and adds contact_id / ig_username of a victim
    result = invoke_webhook("POST", body=forged, headers=JSON)

    # Then it is refused, nothing is stored under the victim, and the body is kept for the operator
    refused_and_kept(result, table_name, "contact_id")
    assert b"2222222222" in items(table_name, "RAW#")[0]["body"]["S"].encode()

    # While the honest body, where Chatrace writes each key once, is stored as the customer's
    stored = invoke_webhook("POST", body=honest, headers=JSON)
    assert stored["statusCode"] == 200, stored
    message = json.loads(stored["body"])["messages"][0]
    assert (message["senderId"], message["username"]) == ("1111111111", "real.customer")


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('{"senderId": "1", "text": "hi", "senderId": "2"}', "senderId"),
        ('{"sender": {"id": "1", "id": "2"}, "message": {"mid": "m.1", "text": "hi"}}', "id"),
        (
            '{"object": "instagram", "entry": [{"id": "9", "time": 1731499200000, "messaging": [{"sender":'
            ' {"id": "1"}, "recipient": {"id": "9"}, "timestamp": 1731499200000,'
            ' "message": {"mid": "m.2", "text": "hi", "text": "forged"}}]}]}',
            "text",
        ),
        ('[{"senderId": "1", "text": "ok"}, {"senderId": "1", "text": "a", "text": "b"}]', "text"),
    ],
    ids=["top-level", "nested-object", "deep-in-meta", "second-item-of-a-list"],
)
def test_a_duplicate_key_at_any_depth_is_refused(
    invoke_webhook: Invoke, table_name: str, body: str, key: str
) -> None:
    result = invoke_webhook("POST", body=body.encode(), headers=JSON)
    refused_and_kept(result, table_name, key)


@pytest.mark.parametrize(
    "body",
    [
        {"body": '{"contact_id": "1", "text": "hi", "contact_id": "2"}'},
        {"payload": '[{"senderId": "1", "text": "hi", "senderId": "2"}]'},
        '{"senderId": "1", "text": "hi", "senderId": "2"}',
    ],
    ids=["body-wrapper-string", "payload-wrapper-list", "whole-body-encoded-twice"],
)
def test_a_duplicate_key_in_json_encoded_twice_is_refused(
    invoke_webhook: Invoke, table_name: str, body: object
) -> None:
    # Given a body whose inner JSON (a wrapper's string value, or the whole body as a string) repeats a key
    result = invoke_webhook("POST", body=json.dumps(body).encode(), headers=JSON)
    # Then the normalizer's second parse refuses it exactly like the outer one
    refused_and_kept(result, table_name, None)


def test_a_repeated_form_field_is_refused(invoke_webhook: Invoke, table_name: str) -> None:
    body = b"contact_id=1111111111&text=I+want+a+refund&contact_id=2222222222"
    result = invoke_webhook("POST", body=body, headers=FORM)
    refused_and_kept(result, table_name, "contact_id")


@pytest.mark.parametrize("key", ["<script>alert(1)</script>", "k" * 41, "line\nbreak", "ключ"])
def test_the_refusal_never_echoes_an_unusual_key(invoke_webhook: Invoke, table_name: str, key: str) -> None:
    body = "{" + f'"senderId": "1", "text": "hi", {json.dumps(key)}: 1, {json.dumps(key)}: 2' + "}"
    result = invoke_webhook("POST", body=body.encode(), headers=JSON)
    assert json.loads(result["body"]) == {"error": "duplicate key: each key may appear only once"}
    assert "script" not in result["body"]


@pytest.fixture
def secrets() -> dict[str, str]:
    return OPERATOR


def test_the_operator_api_refuses_a_duplicate_key_too(call: Call, token: str) -> None:
    # Given a login that names the password twice (a wrong one, then the right one)
    email, password = OPERATOR["auth/admin-email"], ADMIN_PASSWORD
    login = json.dumps({"email": email, "password": "wrong"})[:-1] + f', "password": "{password}"}}'
    refused = call("POST", "/auth/login", body=login.encode())
    assert refused.status == 400, refused
    assert refused.body["error"] == 'duplicate key "password": each key may appear only once'

    # And a settings update whose field map is given twice
    update = b'{"fieldMap": {"senderId": ["a"]}, "fieldMap": {"senderId": ["b"]}}'
    reply = call("PUT", "/instagram/config", body=update, token=token)
    assert reply.status == 400, reply
    assert reply.body["error"].startswith('duplicate key "fieldMap"')
