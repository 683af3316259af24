"""The messages table's layout: every key, partition, index and reserved prefix, declared once.

One table (on demand), keys ``pk`` / ``sk``, two global secondary indexes projecting everything
(see docs/architecture.md, whose key table ``tests/unit/test_docs.py`` checks against this module):

- message: ``pk = MSG#<messageId>``, ``sk = MSG``, written with ``attribute_not_exists(pk)`` so a
  redelivery — or the same message seen by webhook and poller — is stored once, also when two
  writers race (DynamoDB decides, not a read-then-write).
- per sender: GSI ``gsi1`` (``SENDER#<senderId>``, ``<timestamp>#<messageId>``).
- newest first: GSI ``gsi2`` (``MSG``, ``<timestamp>#<messageId>``): one partition for all
  messages, so `GET /instagram/messages` is one Query from any point in time. Per-day partitions
  (``DAY#<date>``) would spread nothing — all of today's writes hit today's key either way — but
  would cost a Query per day walked, and a message dated years back (the seed's own example is
  2024-11-13) would be out of reach of any bounded walk.
- unrecognized or malformed bodies: ``pk = RAW#<sha256 of the bytes>``, ``sk = RAW`` — keyed by
  content rather than a random uuid, so a sender retrying the same broken body keeps one copy — on
  their own partition ``RAW`` of ``gsi2`` (listing messages never has to filter them out),
  expiring via ``ttl``.
- content fingerprints: ``pk = FP#<sha256 of sender + content>``, ``sk = <yyyy-mm-ddThh>`` (see
  :mod:`inbox.storage.fingerprints`), never indexed.
- conversations (one row per sender): ``pk = CONV#<senderId>``, ``sk = CONV``, never indexed: they
  are listed by walking ``gsi2`` partition ``MSG`` (each sender at its newest message) and read by
  key (:mod:`inbox.operator.conversations`). Rows written before that carry ``gsi2pk = CONV``; their
  next write removes it.
- the poller's state: ``pk = POLLER``, ``sk = STATE`` (see :mod:`inbox.polling.state`).
- failed-login counters (see :mod:`inbox.operator.login_throttle`): ``pk = LOGIN#address#<ip or
  /64>`` and ``LOGIN#account#<hash of the email>``, ``sk = LOGIN``, expiring via ``ttl``; never indexed.

Reserved inside items: operator replies' ids start with ``reply:`` (an inbound message may not take
one), and a reaction is kept on its message as the attribute ``reaction:<senderId>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Literal

Item = dict[str, Any]
"""An item as DynamoDB's low-level API holds it (``{"name": {"S": "value"}}``)."""
Key = dict[str, Any]
Index = Literal["gsi1", "gsi2"]

BY_SENDER: Final[Index] = "gsi1"
"""Partition ``SENDER#<senderId>``, sort key ``<timestamp>#<messageId>``."""
NEWEST: Final[Index] = "gsi2"
"""Partitions ``MSG`` and ``RAW``, each newest first."""

MESSAGES_PARTITION: Final = "MSG"
RAW_PARTITION: Final = "RAW"
CONVERSATIONS_PARTITION: Final = "CONV"

MESSAGE_PREFIX: Final = "MSG#"
SENDER_PREFIX: Final = "SENDER#"
RAW_PREFIX: Final = "RAW#"
CONVERSATION_PREFIX: Final = "CONV#"
FINGERPRINT_PREFIX: Final = "FP#"
LOGIN_BY_ADDRESS: Final = "LOGIN#address#"
LOGIN_BY_ACCOUNT: Final = "LOGIN#account#"

POLLER_STATE_KEY: Final[Key] = {"pk": {"S": "POLLER"}, "sk": {"S": "STATE"}}

REPLY_ID_PREFIX: Final = "reply:"
"""Ids of operator replies (:mod:`inbox.operator.replies`); an inbound message may not take one."""
REACTION_PREFIX: Final = "reaction:"
"""A reaction is kept on its message as the attribute ``reaction:<senderId>`` (one per person)."""

MAX_ID_BYTES: Final = 512
"""The most UTF-8 bytes a ``messageId`` or ``senderId`` may take. They are parts of keys: ``MSG#<id>``
and ``SENDER#<senderId>`` (partition keys, at most 2048 bytes) and ``<timestamp>#<id>``
(gsi sort keys, at most 1024 bytes, the timestamp up to 24). 512 leaves room,
and is far above any real id (Meta's ``mid`` is about 100 ASCII characters)."""

MAX_RAW_BYTES: Final = 300 * 1024
"""A DynamoDB item may hold 400 KB; a kept body stays well inside that."""


def _key(pk: str, sk: str) -> Key:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def message_key(message_id: str) -> Key:
    return _key(MESSAGE_PREFIX + message_id, MESSAGES_PARTITION)


def is_message_item(item: Mapping[str, Any]) -> bool:
    """A stored message (not a kept body, fingerprint, conversation, state or counter)."""
    return str(item.get("pk", {}).get("S", "")).startswith(MESSAGE_PREFIX)


def sender_partition(sender_id: str) -> str:
    """``gsi1``'s partition of one sender's messages."""
    return SENDER_PREFIX + sender_id


def listing_partition(sender_id: str | None) -> tuple[Index, str]:
    """Where messages are listed newest first: one sender's (``gsi1``) or everyone's (``gsi2``)."""
    if sender_id is None:
        return NEWEST, MESSAGES_PARTITION
    return BY_SENDER, sender_partition(sender_id)


def message_sort_key(timestamp: str, message_id: str) -> str:
    """A message's position in ``gsi1`` and ``gsi2``: ``<timestamp>#<messageId>``."""
    return f"{timestamp}#{message_id}"


def raw_key(raw_id: str) -> Key:
    return _key(RAW_PREFIX + raw_id, RAW_PARTITION)


def raw_id_of(item: Mapping[str, Any]) -> str:
    return str(item.get("pk", {}).get("S", "")).removeprefix(RAW_PREFIX)


def conversation_key(sender_id: str) -> Key:
    return _key(CONVERSATION_PREFIX + sender_id, CONVERSATIONS_PARTITION)


def conversation_sender(item: Mapping[str, Any]) -> str:
    return str(item.get("pk", {}).get("S", "")).removeprefix(CONVERSATION_PREFIX)


def fingerprint_key(content_key: str, bucket: str) -> Key:
    """``content_key`` is already ``FP#<sha256>`` (:func:`inbox.storage.fingerprints.content_key`)."""
    return _key(content_key, bucket)


def login_counter_key(prefix: str, subject: str) -> Key:
    """A failed-login counter: ``prefix`` is LOGIN_BY_ADDRESS or LOGIN_BY_ACCOUNT."""
    return _key(prefix + subject, "LOGIN")


def sort_stamp(ms: int) -> str:
    """``2024-11-13T12:00:00.000Z``: always with milliseconds, so string order is time order."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def sort_key_of(item: Mapping[str, Any], index: Index) -> str:
    """The item's position in ``index`` (as a listing's cursor holds it)."""
    return str(item.get(f"{index}sk", {}).get("S", ""))
