"""A message seen by the webhook and by the poller is stored once (DESIGN.md, "Flow of one message").

By id when both know it (Meta's ``mid`` = the inbox API's ``id``); by content when the Chatrace
webhook had no id (a derived ``sha256:`` id) and the poller has the real one. Both orders, every
order of three sources, hostile near-misses, and concurrent writers (threads against moto, whose
writes local_aws makes atomic as DynamoDB's are).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import boto3
import pytest
from inbox.models import Attachment, NormalizedMessage
from inbox.normalize.dispatch import normalize
from inbox.normalize.ids import is_derived
from inbox.polling.inbox_client import Conversation, InboxMessage, to_normalized
from inbox.settings import CHATRACE_TOKEN
from inbox.storage.fingerprints import TOLERANCE_MS
from inbox.storage.store import MessageStore
from inbox_dev.fake_chatrace import FakeChatrace
from inbox_dev.lambdas import LambdaContext
from inbox_dev.local_aws import LocalStack

from tests.bodies import meta_message
from tests.conftest import Invoke
from tests.integration.poller_support import enable_polling, messages, stored

CONTACT = "2850008055041461"
NOW = datetime(2024, 11, 13, 12, 30, tzinfo=UTC)
T0 = int(NOW.timestamp() * 1000)


@pytest.fixture
def secrets(fake_chatrace: FakeChatrace) -> dict[str, str]:
    return {CHATRACE_TOKEN: fake_chatrace.token}


@pytest.fixture
def fake(stack: LocalStack, fake_chatrace: FakeChatrace) -> FakeChatrace:
    return enable_polling(stack, fake_chatrace)


# ----------------------------------------------------------------------------- the two sightings


def chatrace_body(
    text: str | None, sent_at_ms: int | None, *, contact: str = CONTACT, **extra: str
) -> dict[str, Any]:
    """The External Request body README recommends: no message id, seconds in ``sent_at``."""
    body: dict[str, Any] = {
        "source": "chatrace",
        "event": "instagram_dm",
        "contact_id": contact,
        "ig_username": "anna.k",
        "first_name": "Anna",
        "last_name": "K",
        "text": text or "",
        "input_type": "text",
        "channel": "instagram",
        "sent_at": "" if sent_at_ms is None else str(sent_at_ms // 1000),
        **extra,
    }
    return body


def meta_body(mid: str, text: str, at_ms: int, *, contact: str = CONTACT) -> dict[str, Any]:
    return meta_message(contact, {"mid": mid, "text": text}, at_ms)


def webhook_message(body: dict[str, Any]) -> NormalizedMessage:
    (message,) = normalize(body, received_at=NOW).messages
    return message


def polled(
    mid: str,
    text: str | None,
    at_ms: int,
    *,
    contact: str = CONTACT,
    attachments: tuple[Attachment, ...] = (),
) -> NormalizedMessage:
    """What the poller makes of an inbox row (the same code path as a real poll)."""
    conversation = Conversation(contact_id=contact, channel="10", timestamp_ms=at_ms, username=None)
    row = InboxMessage(message_id=mid, inbound=True, timestamp_ms=at_ms, text=text, attachments=attachments)
    message = to_normalized(conversation, row, username=None, received_at=NOW)
    assert message is not None
    return message


def post(invoke_webhook: Invoke, body: dict[str, Any]) -> dict[str, Any]:
    result = invoke_webhook(
        "POST", body=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    assert result["statusCode"] == 200, result
    answer: dict[str, Any] = json.loads(result["body"])
    return answer


def poll_once(module: ModuleType) -> dict[str, Any]:
    result: dict[str, Any] = module.lambda_handler({}, LambdaContext("PollerFunction", 512, 20))
    return result


# ----------------------------------------------------------------------------- both orders, end to end


def test_chatrace_webhook_first_then_poller_stores_once_and_keeps_webhook_source(
    invoke_webhook: Invoke, fake: FakeChatrace, poller_module: ModuleType, table_name: str
) -> None:
    now = int(time.time() * 1000)
    first = post(invoke_webhook, chatrace_body("Is the blue dress still available?", now))
    assert first["status"] == "stored"
    derived = first["messages"][0]["messageId"]
    assert is_derived(derived)

    row = fake.add_message(CONTACT, "Is the blue dress still available?", timestamp_ms=now + 1234)
    answer = poll_once(poller_module)
    assert (answer["stored"], answer["duplicates"]) == (0, 1)

    (item,) = messages(table_name)
    assert item["messageId"] == {"S": derived}
    assert item["source"] == {"S": "webhook"}
    assert item["realMessageId"] == {"S": row["id"]}  # the poller's real id, kept on the record


def test_poller_first_then_chatrace_webhook_stores_once_and_keeps_poller_source(
    invoke_webhook: Invoke, fake: FakeChatrace, poller_module: ModuleType, table_name: str
) -> None:
    now = int(time.time() * 1000)
    row = fake.add_message(CONTACT, "Is the blue dress still available?", timestamp_ms=now)
    assert poll_once(poller_module)["stored"] == 1

    answer = post(invoke_webhook, chatrace_body("Is the blue dress still available?", now - 2000))
    assert answer["status"] == "duplicate"
    assert answer["messages"][0]["status"] == "duplicate"

    (item,) = messages(table_name)
    assert item["messageId"] == {"S": row["id"]}
    assert item["source"] == {"S": "poller"}


@pytest.mark.parametrize("order", list(itertools.permutations(["poller", "meta", "chatrace"])))
def test_one_message_from_three_sources_in_any_order_is_stored_once(
    invoke_webhook: Invoke,
    fake: FakeChatrace,
    poller_module: ModuleType,
    table_name: str,
    order: tuple[str, ...],
) -> None:
    now = int(time.time() * 1000)
    mid = f"aWdfZAG1faXRlbTo{time.time_ns()}"
    text = "Do you ship to Lisbon?"
    outcomes = []
    for source in order:
        if source == "poller":
            fake.add_message(CONTACT, text, timestamp_ms=now, message_id=mid)
            answer = poll_once(poller_module)
            outcomes.append("stored" if answer["stored"] else "duplicate")
        elif source == "meta":
            outcomes.append(post(invoke_webhook, meta_body(mid, text, now))["status"])
        else:
            outcomes.append(post(invoke_webhook, chatrace_body(text, now + 3000))["status"])
    assert outcomes == ["stored", "duplicate", "duplicate"]
    (item,) = messages(table_name)
    assert item["source"] == {"S": "poller" if order[0] == "poller" else "webhook"}


# ----------------------------------------------------------------------------- the pairing rules


def test_webhook_first_then_poller(store: MessageStore, table_name: str) -> None:
    derived = webhook_message(chatrace_body("hello", T0))
    assert store.put_message(derived) == "stored"
    written = store.write_message(polled("mid-1", "hello", T0 + 500))
    assert (written.outcome, written.duplicate_of, written.matched_on) == (
        "duplicate",
        derived.messageId,
        "content",
    )
    assert len(messages(table_name)) == 1


def test_poller_first_then_webhook(store: MessageStore, table_name: str) -> None:
    assert store.put_message(polled("mid-1", "hello", T0)) == "stored"
    written = store.write_message(webhook_message(chatrace_body("hello", T0 - 800)))
    assert (written.outcome, written.duplicate_of, written.matched_on) == ("duplicate", "mid-1", "content")
    assert len(messages(table_name)) == 1


def test_two_real_ids_with_the_same_text_are_two_messages(store: MessageStore, table_name: str) -> None:
    assert store.put_message(polled("mid-1", "ok", T0)) == "stored"
    assert store.put_message(polled("mid-2", "ok", T0 + 5000)) == "stored"
    assert len(messages(table_name)) == 2


def test_the_same_text_twice_seen_by_both_sources_is_two_messages(
    store: MessageStore, table_name: str
) -> None:
    first, second = (webhook_message(chatrace_body("ok", T0 + offset)) for offset in (0, 20_000))
    assert [store.put_message(m) for m in (first, second)] == ["stored", "stored"]
    assert store.put_message(polled("mid-1", "ok", T0 + 300)) == "duplicate"
    assert store.put_message(polled("mid-2", "ok", T0 + 20_300)) == "duplicate"
    assert len(messages(table_name)) == 2
    # Each real id went to its own record (nearest in time), not both to the first.
    assert stored(table_name, first.messageId)["realMessageId"] == {"S": "mid-1"}  # type: ignore[index]
    assert stored(table_name, second.messageId)["realMessageId"] == {"S": "mid-2"}  # type: ignore[index]


def test_a_webhook_miss_is_still_stored_by_the_poller(store: MessageStore, table_name: str) -> None:
    """ "ok" twice; the webhook delivered only the first: the poller's second is new (one to one)."""
    assert store.put_message(webhook_message(chatrace_body("ok", T0))) == "stored"
    assert store.put_message(polled("mid-1", "ok", T0 + 100)) == "duplicate"
    assert store.put_message(polled("mid-2", "ok", T0 + 30_000)) == "stored"
    assert len(messages(table_name)) == 2


def test_sightings_further_apart_than_the_tolerance_are_two_messages(
    store: MessageStore, table_name: str
) -> None:
    assert store.put_message(webhook_message(chatrace_body("hello", T0))) == "stored"
    assert store.put_message(polled("mid-1", "hello", T0 + TOLERANCE_MS + 1000)) == "stored"
    assert len(messages(table_name)) == 2


def test_another_sender_or_another_text_is_another_message(store: MessageStore, table_name: str) -> None:
    assert store.put_message(webhook_message(chatrace_body("hello", T0))) == "stored"
    assert store.put_message(polled("mid-1", "hello", T0, contact="someone-else")) == "stored"
    assert store.put_message(polled("mid-2", "hello!", T0)) == "stored"
    assert len(messages(table_name)) == 3


def test_the_window_reaches_across_the_turn_of_an_hour(store: MessageStore, table_name: str) -> None:
    before = int(datetime(2024, 11, 13, 12, 59, 30, tzinfo=UTC).timestamp() * 1000)
    assert store.put_message(webhook_message(chatrace_body("late night", before))) == "stored"
    assert store.put_message(polled("mid-1", "late night", before + 70_000)) == "duplicate"  # 13:00:40
    assert len(messages(table_name)) == 1


def test_text_differing_only_in_whitespace_is_the_same_content(store: MessageStore, table_name: str) -> None:
    assert store.put_message(webhook_message(chatrace_body("two  words\n", T0))) == "stored"
    assert store.put_message(polled("mid-1", "two words", T0)) == "duplicate"


def test_an_attachment_matches_whatever_its_url_signature(store: MessageStore, table_name: str) -> None:
    body = chatrace_body("https://cdn.example/photo.jpg?sig=first", T0, input_type="image")
    derived = webhook_message(body)
    assert derived.attachments == (Attachment(type="image", url="https://cdn.example/photo.jpg?sig=first"),)
    assert store.put_message(derived) == "stored"
    again = polled(
        "mid-1", None, T0, attachments=(Attachment(type="file", url="https://cdn.example/photo.jpg?sig=2"),)
    )
    assert store.put_message(again) == "duplicate"
    assert len(messages(table_name)) == 1


def test_redeliveries_after_pairing_stay_duplicates(store: MessageStore, table_name: str) -> None:
    derived = webhook_message(chatrace_body("hello", T0))
    real = polled("mid-1", "hello", T0 + 100)
    outcomes = [store.put_message(m) for m in (derived, real, derived, real, real, derived)]
    assert outcomes == ["stored"] + ["duplicate"] * 5
    assert store.write_message(real).matched_on == "content"
    assert store.write_message(derived).matched_on == "id"
    assert len(messages(table_name)) == 1


def test_a_meta_id_is_matched_by_id_even_with_other_text(store: MessageStore, table_name: str) -> None:
    assert store.put_message(polled("mid-1", "original", T0)) == "stored"
    written = store.write_message(webhook_message(meta_body("mid-1", "edited", T0)))
    assert (written.outcome, written.matched_on) == ("duplicate", "id")


def test_fingerprint_items_stay_out_of_the_message_indexes(store: MessageStore, table_name: str) -> None:
    store.put_message(webhook_message(chatrace_body("hello", T0)))
    items = boto3.client("dynamodb").scan(TableName=table_name)["Items"]
    (fingerprint,) = [item for item in items if item["pk"]["S"].startswith("FP#")]
    assert fingerprint["sk"] == {"S": "2024-11-13T12"}
    assert fingerprint["kind"] == {"S": "fingerprint"}
    assert not {"gsi1pk", "gsi2pk"} & set(fingerprint)
    assert int(fingerprint["ttl"]["N"]) > T0 // 1000 + 29 * 86400


# ----------------------------------------------------------------------------- concurrent writers


def race(table_name: str, *batches: list[NormalizedMessage]) -> list[list[str]]:
    """Each batch written by its own thread, all released at once; the outcomes per batch."""
    barrier = threading.Barrier(len(batches))
    outcomes: list[list[str]] = [[] for _ in batches]

    def write(index: int, batch: list[NormalizedMessage]) -> None:
        store = MessageStore(table_name, boto3.client("dynamodb"))
        barrier.wait()
        for message in batch:
            outcomes[index].append(store.put_message(message))

    threads = [threading.Thread(target=write, args=(i, b)) for i, b in enumerate(batches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_webhook_and_poller_racing_on_each_message_store_it_once(table_name: str) -> None:
    texts = [f"message {n}" for n in range(25)]
    webhook = [webhook_message(chatrace_body(text, T0 + n * 1000)) for n, text in enumerate(texts)]
    poller = [polled(f"mid-{n}", text, T0 + n * 1000 + 400) for n, text in enumerate(texts)]
    from_webhook, from_poller = race(table_name, webhook, poller)
    for n in range(len(texts)):
        assert sorted([from_webhook[n], from_poller[n]]) == ["duplicate", "stored"], texts[n]
    assert len(messages(table_name)) == len(texts)


def test_many_writers_of_one_repeated_text_keep_one_record_per_message(table_name: str) -> None:
    """ "ok" four times: two webhook copies of each Chatrace body and the poller, all at once."""
    offsets = [0, 10_000, 20_000, 30_000]
    chatrace = [webhook_message(chatrace_body("ok", T0 + o)) for o in offsets]
    inbox = [polled(f"mid-{i}", "ok", T0 + o + 200) for i, o in enumerate(offsets)]
    race(table_name, chatrace, list(reversed(chatrace)), inbox, list(reversed(inbox)))
    assert len(messages(table_name)) == 4
