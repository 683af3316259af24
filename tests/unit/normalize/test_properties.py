"""Properties that hold for every body: the normalizer never raises, and its output keeps its promises."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inbox.models import NormalizeResult
from inbox.normalize import fields
from inbox.normalize.coerce import as_id
from inbox.normalize.context import Context
from inbox.normalize.dispatch import normalize, normalize_unguarded
from inbox.normalize.fieldmap import compile_field_map
from inbox.normalize.timestamps import format_datetime

from .helpers import LATER, RECEIVED_AT

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Every code point, lone surrogates included.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
time_like = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.integers(min_value=946_684_800, max_value=4_102_444_799),
    st.integers(min_value=946_684_800_000, max_value=4_102_444_799_999),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.integers(min_value=946_684_800, max_value=4_102_444_799).map(str),
    st.sampled_from(["", " ", "1731499200.5", "2024-11-13T12:00:00+0000", "nan", "{{x}}", "1e308"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 0.0, -0.0, 1.5]),
    any_text,
    st.sampled_from(
        ["", "  ", "TRUE", "true", "1", "0", "@", "https://cdn/x", "user:1", "image", "{{user_id}}"]
    ),
    time_like,
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(any_text, st.integers()), inner, max_size=4),
    ),
    max_leaves=25,
)
KNOWN_KEYS = sorted(
    {
        *fields.SENDER_KEYS,
        *fields.SENDER_LAST_RESORT,
        *fields.MESSAGE_ID_KEYS,
        *fields.TEXT_KEYS,
        *fields.USERNAME_KEYS,
        *fields.NAME_KEYS,
        *fields.TIMESTAMP_KEYS,
        *fields.ATTACHMENT_KEYS,
        "id",
        "key",
        "source",
        "last_input_type",
        "input_type",
        "first_name",
        "custom_fields",
        "is_echo",
        "sender",
        "from",
        "message",
        "messages",
        "data",
        "payload",
        "url",
        "type",
        "mid",
    }
)
value = st.one_of(scalars, json_like)
attachment_like = st.fixed_dictionaries(
    {}, optional={"type": value, "url": value, "payload": st.fixed_dictionaries({}, optional={"url": value})}
)
flatish = st.dictionaries(
    st.sampled_from(KNOWN_KEYS), st.one_of(value, st.lists(attachment_like, max_size=3)), max_size=10
)
messaging_item = st.fixed_dictionaries(
    {},
    optional={
        "sender": st.one_of(value, st.fixed_dictionaries({"id": value})),
        "timestamp": time_like,
        "message": st.one_of(
            value,
            st.fixed_dictionaries(
                {},
                optional={
                    "mid": value,
                    "text": value,
                    "is_echo": value,
                    "is_deleted": value,
                    "attachments": st.one_of(value, st.lists(attachment_like, max_size=3)),
                },
            ),
        ),
        "read": value,
        "message_edit": value,
    },
)
meta_like = st.fixed_dictionaries(
    {
        "entry": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "messaging": st.lists(messaging_item, max_size=3),
                    "standby": value,
                    "changes": st.lists(
                        st.fixed_dictionaries(
                            {"field": st.sampled_from(["messages", "comments", 5]), "value": messaging_item}
                        ),
                        max_size=2,
                    ),
                },
            ),
            max_size=3,
        )
    },
    optional={"object": st.sampled_from(["instagram", "page", "INSTAGRAM", 1, None])},
)
nested_like = st.fixed_dictionaries(
    {"sender": st.fixed_dictionaries({"id": scalars}, optional={"username": scalars, "name": scalars})},
    optional={
        "message": messaging_item.map(lambda item: item.get("message")),
        "timestamp": time_like,
        "text": scalars,
    },
)
body_strategy = st.deferred(
    lambda: st.one_of(
        value,
        nested_like,
        flatish,
        meta_like,
        messaging_item,
        st.lists(st.one_of(flatish, meta_like, value), max_size=4),
        st.fixed_dictionaries({"messages": st.lists(st.one_of(flatish, value), max_size=4)}),
        st.fixed_dictionaries({"data": st.one_of(flatish, st.lists(flatish, max_size=3))}),
    )
)
field_maps = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["senderId", "messageId", "text", "username", "timestamp", "attachments", "other"]),
        st.one_of(
            st.lists(st.one_of(st.sampled_from(KNOWN_KEYS), any_text, st.just("0.text")), max_size=3), value
        ),
        max_size=6,
    ),
)


def _unguarded(body: object, field_map: Any = None, received_at: datetime = RECEIVED_AT) -> NormalizeResult:
    ctx = Context(
        received_at=format_datetime(received_at), source="webhook", field_map=compile_field_map(field_map)
    )
    return normalize_unguarded(body, ctx)


def _check_invariants(result: NormalizeResult) -> None:
    if result.format is None:
        assert result.messages == ()
    for message in result.messages:
        assert isinstance(message.senderId, str)
        assert message.senderId.strip() == message.senderId != ""
        assert isinstance(message.messageId, str)
        assert message.messageId != ""
        assert TIMESTAMP.match(message.timestamp), message.timestamp
        assert TIMESTAMP.match(message.receivedAt), message.receivedAt
        assert message.text is None or (isinstance(message.text, str) and message.text != "")
        assert message.username is None or (isinstance(message.username, str) and message.username != "")
        assert message.text is not None or message.attachments
        for attachment in message.attachments:
            assert attachment.url
            assert attachment.type
        json.dumps(message.to_json(), ensure_ascii=False).encode("utf-8")  # every string is valid UTF-8


@SETTINGS
@given(body=body_strategy, field_map=field_maps)
def test_normalize_never_raises_and_keeps_its_output_invariants(body: object, field_map: Any) -> None:
    _check_invariants(_unguarded(body, field_map))


@SETTINGS
@given(body=st.one_of(flatish, meta_like, st.lists(flatish, max_size=3)), field_map=field_maps)
def test_same_body_received_twice_gets_the_same_message_ids(body: object, field_map: Any) -> None:
    first = _unguarded(body, field_map)
    again = _unguarded(body, field_map, received_at=LATER)
    assert [m.messageId for m in first.messages] == [m.messageId for m in again.messages]
    assert first.format == again.format


@SETTINGS
@given(sender=scalars, text=scalars, timestamp=time_like, username=scalars)
def test_flat_body_with_any_values_never_raises(
    sender: object, text: object, timestamp: object, username: object
) -> None:
    body = {"senderId": sender, "text": text, "timestamp": timestamp, "username": username}
    _check_invariants(_unguarded(body))


@SETTINGS
@given(sender=scalars, text=scalars, extra=flatish)
def test_field_map_paths_into_any_body_never_raise(
    sender: object, text: object, extra: dict[str, Any]
) -> None:
    body = {**extra, "a": {"b": sender}, "c": [text]}
    result = _unguarded(body, {"senderId": ["a.b"], "text": ["c.0", "c.-1"], "timestamp": ["a"]})
    _check_invariants(result)
    mapped_sender = as_id(sender)
    if result.format == "fieldmap" and result.messages and mapped_sender is not None:
        assert result.messages[0].senderId == mapped_sender


def test_very_deep_nesting_does_not_blow_the_stack() -> None:
    deep_list: object = "leaf"
    deep_dict: object = {"senderId": "1", "text": "x"}
    for _ in range(sys.getrecursionlimit() * 3):
        deep_list = [deep_list]
        deep_dict = {"data": deep_dict, "message": deep_dict}
    for body in (deep_list, deep_dict):
        _check_invariants(_unguarded(body))
        result = normalize(body, received_at=RECEIVED_AT)
        assert result.format is None


def test_huge_strings_are_handled() -> None:
    huge = "x" * 5_000_000
    result = _unguarded(
        {"senderId": "1", "text": huge, "timestamp": huge, "username": huge, "messageId": huge}
    )
    message = result.messages[0]
    assert message.text == huge
    assert message.messageId == huge  # kept as given: the store refuses it (tests/security/test_id_limits.py)
    assert message.timestamp == format_datetime(RECEIVED_AT)


def test_extreme_numbers_are_handled() -> None:
    for number in (10**5000, -(10**5000), 1e308, -1e308, float("nan"), float("inf")):
        body = {"senderId": number, "messageId": number, "text": number, "timestamp": number}
        _check_invariants(_unguarded(body))
        _check_invariants(_unguarded({"senderId": "1", "text": "x", "timestamp": number}))
    assert _unguarded({"senderId": 1e308, "text": "x"}).messages[0].senderId == str(int(1e308))


def test_datetime_received_at_far_in_the_past_or_future_is_formatted() -> None:
    for moment in (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)):
        assert TIMESTAMP.match(format_datetime(moment))
