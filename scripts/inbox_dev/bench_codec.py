"""`make bench` (g): what boto3's TypeSerializer / TypeDeserializer cost on the hot path.

The table's codecs (:mod:`inbox.storage.items`) go through boto3's own serializer; this times them
against a hand-written ``{"S": …}`` codec of the same message item (the one they replaced), per
message written (the webhook's path) and per 100-message page read (``GET /instagram/messages``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from inbox.models import Attachment, NormalizedMessage
from inbox.storage.items import from_item, message_from_item, message_item


def sample_message() -> NormalizedMessage:
    return NormalizedMessage(
        messageId="aWdfZAG1faW06MTpJR01lc3NhZAGVJRDoxNzg0MTQ1NjQ3MjMxNDMx",
        senderId="1784145647231431",
        username="customer.name",
        text="Hello! Is the blue one still available in size M?",
        attachments=(
            Attachment(type="image", url="https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"),
        ),
        timestamp="2024-11-13T12:00:00.123Z",
        source="webhook",
        format="chatrace",
        receivedAt="2024-11-13T12:00:01Z",
    )


def hand_item(message: NormalizedMessage) -> dict[str, Any]:
    """The hand-written encoder the serializer replaced (the baseline)."""
    sort_key = f"{message.timestamp}#{message.messageId}"
    item: dict[str, Any] = {
        "pk": {"S": f"MSG#{message.messageId}"},
        "sk": {"S": "MSG"},
        "kind": {"S": "message"},
        "gsi1pk": {"S": f"SENDER#{message.senderId}"},
        "gsi1sk": {"S": sort_key},
        "gsi2pk": {"S": "MSG"},
        "gsi2sk": {"S": sort_key},
        "messageId": {"S": message.messageId},
        "senderId": {"S": message.senderId},
        "timestamp": {"S": message.timestamp},
        "source": {"S": message.source},
        "format": {"S": message.format},
        "receivedAt": {"S": message.receivedAt},
        "direction": {"S": message.direction},
        "attachments": {
            "L": [{"M": {"type": {"S": a.type}, "url": {"S": a.url}}} for a in message.attachments]
        },
    }
    for name in ("username", "text", "status", "error", "claimedTimestamp"):
        value = getattr(message, name)
        if value is not None:
            item[name] = {"S": value}
    return item


def hand_fields(item: dict[str, Any]) -> dict[str, Any]:
    """The hand-written decoder's work on the same item (the baseline)."""
    fields: dict[str, Any] = {name: value["S"] for name, value in item.items() if "S" in value}
    fields["attachments"] = [
        {key: inner["S"] for key, inner in entry["M"].items()} for entry in item["attachments"]["L"]
    ]
    return fields


def _microseconds(run: Callable[[], object], rounds: int = 7, number: int = 2000) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            run()
        timings.append((time.perf_counter() - start) / number)
    return statistics.median(timings) * 1e6


def measure() -> dict[str, float]:
    message = sample_message()
    item = message_item(message)
    assert message_from_item(item).text == message.text
    return {
        "encode_boto3_us": _microseconds(lambda: message_item(message)),
        "encode_hand_us": _microseconds(lambda: hand_item(message)),
        "decode_boto3_us": _microseconds(lambda: from_item(item)),
        "decode_hand_us": _microseconds(lambda: hand_fields(item)),
        "message_us": _microseconds(lambda: message_from_item(item)),
    }


def report() -> None:
    figures = measure()
    print('(g) item codec: boto3\'s TypeSerializer/TypeDeserializer vs hand-written {"S": …} (median)')
    encode, hand_encode = figures["encode_boto3_us"], figures["encode_hand_us"]
    decode, hand_decode = figures["decode_boto3_us"], figures["decode_hand_us"]
    print(f"    encode one message   boto3 {encode:7.1f} µs   hand-written {hand_encode:6.1f} µs")
    print(f"    decode one message   boto3 {decode:7.1f} µs   hand-written {hand_decode:6.1f} µs")
    page, hand_page = decode * 100 / 1000, hand_decode * 100 / 1000
    print(f"    a 100-message page   boto3 {page:7.2f} ms   hand-written {hand_page:6.2f} ms")
    print(f"    (a whole NormalizedMessage from its item: {figures['message_us']:.1f} µs;")
    print("     one DynamoDB round trip from Lambda: about 5-10 ms)\n", flush=True)
