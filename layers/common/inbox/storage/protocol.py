"""What the writers (ingest, replies, the poller) need of the store, as a Protocol.

:class:`inbox.storage.store.MessageStore` is the one implementation in the product; the unit tests
use an in-memory fake (``tests/fakes.py``) held to the same rules by
``tests/integration/test_store_contract.py``, so unit tests need no moto.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from inbox.models import NormalizedMessage, Reaction
    from inbox.storage.matching import WriteOutcome, WriteResult
    from inbox.storage.store import ReactionOutcome


class Store(Protocol):
    """The write methods ingest, replies and the poller call (see MessageStore for each one's rules)."""

    def put_message(self, message: NormalizedMessage) -> WriteOutcome: ...

    def write_message(self, message: NormalizedMessage) -> WriteResult: ...

    def keep_reaction(self, reaction: Reaction) -> ReactionOutcome: ...

    def retake_reply(self, message_id: str, *, attempt: str, stamp: str) -> bool: ...

    def record_reply_outcome(self, done: NormalizedMessage) -> bool: ...

    def keep_raw(
        self,
        raw: bytes,
        *,
        reason: str,
        media_type: str,
        received_at: datetime,
        ttl_days: int,
        request_id: str | None = None,
    ) -> str: ...
