"""§11 of docs/security.md: no wrong sender — neither forged by a new key nor guessed from a shape.

§1 refuses a customer's text that *repeats* a key of the operator's template. A text can also add a
key the template does not have, which an adapter tried before the template's own one would read:
a ``sender{}`` object (nested), a whole Meta envelope (``object`` / ``entry``) or ManyChat's ``id`` /
``key``. A body that names two different senders is now unrecognized: kept, answered 202, nothing
stored under anyone. Reading bodies by shape adds its own ways to take the wrong person: the
recipient, our bot, or one of two people; each is refused or skipped.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Invoke
from tests.security.test_duplicate_keys import JSON, items, readme_template, render

VICTIM = "2222222222"
FORGERIES = {
    "sender-object": f'I want a refund", "sender": {{"id": "{VICTIM}"}}, "z": "',
    "meta-envelope": (
        'I want a refund", "object": "instagram", "entry": [{"id": "9", "messaging": [{"sender": '
        f'{{"id": "{VICTIM}"}}, "message": {{"mid": "forged.1", "text": "I want a refund"}}}}]}}], "z": "'
    ),
    "manychat-contact": f'I want a refund", "id": "{VICTIM}", "key": "user:{VICTIM}", "z": "',
    "flat-alias": f'I want a refund", "senderId": "{VICTIM}", "z": "',
}


def kept_unrecognized(result: dict[str, Any], table_name: str) -> None:
    assert result["statusCode"] == 202, result
    assert json.loads(result["body"]) == {"status": "unrecognized"}
    assert items(table_name, "MSG#") == []
    assert len(items(table_name, "RAW#")) == 1


@pytest.mark.parametrize("attack", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_sender_added_by_a_customers_text_is_never_stored(
    invoke_webhook: Invoke, table_name: str, attack: str
) -> None:
    # Given the README's recommended body, rendered the way Chatrace renders it (nothing escaped)
    forged = render(readme_template(), attack)
    assert json.loads(forged)  # valid JSON, no repeated key: §1's parser lets it through

    # When the customer's text adds a sender of its own under a key the template does not have
    result = invoke_webhook("POST", body=forged, headers=JSON)

    # Then nothing is stored under the victim (nor the customer): the body is kept, answered 202
    kept_unrecognized(result, table_name)


def test_the_honest_readme_body_is_still_stored_as_the_customers(invoke_webhook: Invoke) -> None:
    result = invoke_webhook("POST", body=render(readme_template(), "Hello!"), headers=JSON)
    assert result["statusCode"] == 200, result
    message = json.loads(result["body"])["messages"][0]
    assert (message["senderId"], message["format"]) == ("1111111111", "chatrace")


@pytest.mark.parametrize("key", ["recipient", "page", "business_account", "owner", "bot", "to"])
def test_the_recipient_is_never_taken_for_the_sender(
    invoke_webhook: Invoke, table_name: str, key: str
) -> None:
    # Given a body whose only person is our side (the page, the business account, our bot, ...)
    body = {key: {"id": "17841400000000000", "username": "our.shop"}, "message": {"mid": "m.1", "text": "hi"}}
    # Then it is not stored as a message from our own account
    kept_unrecognized(invoke_webhook("POST", body=json.dumps(body).encode(), headers=JSON), table_name)


def test_two_people_are_not_guessed_between(invoke_webhook: Invoke, table_name: str) -> None:
    body = {
        "customer": {"id": "1111111111", "name": "Real Customer"},
        "client": {"id": VICTIM, "name": "Someone Else"},
        "message": {"mid": "m.2", "text": "hi"},
    }
    kept_unrecognized(invoke_webhook("POST", body=json.dumps(body).encode(), headers=JSON), table_name)


def test_our_bots_own_message_read_by_shape_is_not_stored_as_the_customers(
    invoke_webhook: Invoke, table_name: str
) -> None:
    body = {
        "messages": [
            {
                "timestamp": 1731499441.5,
                "data": {"body": "We are open 9:00-18:00."},
                "sender": {"id": 1203, "name": "Shop assistant", "type": "bot"},
                "customer": {"id": 88120931, "name": "Marta"},
            }
        ]
    }
    result = invoke_webhook("POST", body=json.dumps(body).encode(), headers=JSON)
    assert (result["statusCode"], json.loads(result["body"])["status"]) == (200, "ignored")
    assert items(table_name, "MSG#") == []
