"""Message ids for bodies that carry none (Chatrace's system fields have no message id)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

DERIVED_PREFIX = "sha256:"


def is_derived(message_id: str) -> bool:
    """Whether the id was derived here (the body had none) rather than given by the sender.

    The store matches a derived-id record with a real-id one by content; two real ids never match.
    """
    return message_id.startswith(DERIVED_PREFIX)


def derived_message_id(sender_id: str, timestamp: str, text: str, urls: Iterable[str]) -> str:
    """A deterministic ``sha256:<hex>`` key of what the message *is*, so a redelivery is a duplicate.

    ``timestamp`` is the body's own time as normalized, or ``""`` when the body had none — never the
    receive time, which differs on every redelivery. The consequence: without a time in the body, two
    identical texts from one sender collapse into one message. That is why the Chatrace body we
    recommend carries ``sent_at``.

    Each part is written as ``<length>:<part>;`` so no text can imitate a boundary between parts.
    """
    parts = [sender_id, timestamp, text, *urls]
    key = "v1;" + "".join(f"{len(part)}:{part};" for part in parts)
    return DERIVED_PREFIX + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
