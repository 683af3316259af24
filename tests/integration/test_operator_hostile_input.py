"""Whatever an operator client sends to the JWT-protected routes: a documented status, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import OPERATOR, Call

HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ANSWERS = {200, 400, 401, 404, 405, 413, 415, 422}

text = st.text(max_size=60)
query_values = st.one_of(
    text,
    st.integers().map(str),
    st.sampled_from(
        ["", "0", "-1", "101", "1e3", "50", "2024-11-13T12:00:00+0000", "not-a-date", "\u202e", "%00"]
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=20,
)


@pytest.fixture
def secrets() -> dict[str, str]:
    return dict(OPERATOR)


def check(reply: Any) -> None:
    assert reply.status in ANSWERS, reply
    assert isinstance(reply.body, dict), reply
    if reply.status >= 400:
        assert isinstance(reply.body.get("error"), str), reply


@HYPOTHESIS
@given(
    query=st.fixed_dictionaries(
        {},
        optional={
            "limit": query_values,
            "cursor": query_values,
            "since": query_values,
            "senderId": query_values,
        },
    )
)
def test_message_listing_parameters(call: Call, token: str, query: dict[str, str]) -> None:
    check(call("GET", "/instagram/messages", query=query, token=token))


@HYPOTHESIS
@given(query=st.fixed_dictionaries({}, optional={"limit": query_values, "cursor": query_values}))
def test_unrecognized_listing_parameters(call: Call, token: str, query: dict[str, str]) -> None:
    check(call("GET", "/instagram/unrecognized", query=query, token=token))


@HYPOTHESIS
@given(body=json_values)
def test_config_updates(call: Call, token: str, body: object) -> None:
    check(call("PUT", "/instagram/config", body=body, token=token))


@HYPOTHESIS
@given(body=json_values | st.binary(max_size=200))
def test_login_bodies(call: Call, body: object) -> None:
    check(call("POST", "/auth/login", body=body))


@HYPOTHESIS
@given(raw_id=st.text(alphabet=st.characters(blacklist_characters="/?#"), min_size=1, max_size=80))
def test_replay_ids(call: Call, token: str, raw_id: str) -> None:
    check(call("POST", f"/instagram/unrecognized/{raw_id}/replay", token=token))


@HYPOTHESIS
@given(header=st.text(max_size=120))
def test_authorization_headers(call: Call, header: str) -> None:
    reply = call("GET", "/instagram/config", headers={"authorization": header})
    assert reply.status == 401, reply
    assert reply.headers.get("WWW-Authenticate", "").startswith("Bearer")
