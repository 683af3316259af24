"""Which object of a body is the sender, and which is the message, judged by content, not by key.

The normalizer's last resort (:func:`inbox.normalize.nested.adapt_by_shape`), used only for a body
that no adapter and no wrapper recognized by its names, so nothing recognized by name changes. Its
messages' format is ``shape``.

- A **person** is an object with an id (``id``, ``user_id``, ``contactId``, ...) and a name or a
  username (``name``, ``username``, ``first_name``, ``displayName``, ...). A known name (``sender``,
  ``from``, ``contact``, ``user``) wins over any other key; otherwise a person under any key is the
  sender, except under a key that names the other side, a container or context: ``recipient``,
  ``to``, ``page``, ``business``, ``account``, ``owner``, ``bot``, ``agent``, ``channel``, ``chat``,
  ``reply_to``, ... (any word of the key counts: ``page_owner``, ``toUser`` and ``bot_profile`` are
  all refused; see :data:`OTHER_SIDE`, :data:`CONTAINERS`, :data:`CONTEXT`). A person marked as a
  bot, an agent or a page (``is_bot``, ``type: "agent"``, ...) is not a customer.
- A **message** is an object with text (``text``, ``body``, ``content``, ``message``) or attachments;
  an id or a time (``mid``, ``message_id``, ``timestamp``, ...) decides between several. ``message``
  wins over any other key; a message under a key naming the other side (``bot``, ``agent``, ...) or
  context (``reply_to``, ``quoted``, ``referral``, ...) is never the message. A ``message`` object
  without content may hold it one level down (``message.message.text``, ``message.content.text``).
- When the body names no sender at all, the sender is looked for inside the message object
  (``message.from``), by the same rules.
- A message our side sent (a sender marked as a bot or agent, ``direction: "outbound"``,
  ``traffic: "outgoing"``) is recognized and skipped, like an echo.
- **No guessing**: two candidates with different ids and nothing to decide between them make the
  body unrecognized (kept whole, answered 202), which is better than a wrong sender.

Bounded work on an untrusted body: at most :data:`MAX_KEYS` keys of an object are looked at, and
the search goes at most two objects deep (the body, its message object, and that one's child).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import islice

from inbox.normalize import fields
from inbox.normalize.coerce import any_flag, as_lower

MAX_KEYS = 64
"""How many keys of one object the search looks at; a hostile body cannot make it long."""

AMBIGUOUS: dict[object, object] = {}
"""Returned (by identity) when several candidates remain and nothing decides: refuse to guess."""

OTHER_SIDE = frozenset(
    {
        "recipient", "receiver", "to", "page", "business", "account", "owner", "bot", "agent",
        "assignee", "operator", "admin", "staff", "manager", "employee", "team", "me", "self",
        "system", "merchant", "brand", "shop", "store", "company", "organization", "org",
        "workspace", "app", "application", "integration", "webhook", "target", "destination",
    }
)  # fmt: skip
"""Words for us, our page, our staff: an object under a key with one of them is not the customer's."""

CONTAINERS = frozenset({"channel", "inbox", "chat", "conversation", "thread", "room", "group"})
"""Words for where the conversation happens: often an id and a name too, never the sender."""

CONTEXT = frozenset(
    {
        "reply", "replied", "quoted", "quote", "parent", "referral", "context", "story", "postback",
        "previous", "last", "original", "forward", "forwarded", "reaction", "read", "delivery", "echo",
        "edit",
    }
)  # fmt: skip
"""Words for a message other than the new one: what it replies to, quotes, forwards or follows."""

NOT_THE_SENDER = OTHER_SIDE | CONTAINERS | CONTEXT
NOT_THE_MESSAGE = OTHER_SIDE | CONTEXT

PERSON_ID_KEYS = ("id", *fields.SENDER_KEYS, "igsid", "ig_id", "psid")
PERSON_NAME_KEYS = (
    *fields.USERNAME_KEYS,
    *fields.NAME_KEYS,
    "first_name",
    "firstName",
    "last_name",
    "lastName",
    "full_name",
    "fullName",
    "display_name",
    "displayName",
    "nickname",
    "screen_name",
    "handle",
)
DISPLAY_NAME_KEYS = (
    "handle",
    "screen_name",
    "display_name",
    "displayName",
    "full_name",
    "fullName",
    "nickname",
)
MESSAGE_TEXT_KEYS = ("text", "body", "content", "message")
MESSAGE_ID_KEYS = ("mid", "id", "message_id", "messageId")
_NOT_A_CUSTOMER_FLAGS = frozenset({"is_bot", "isBot", "bot", "is_from_account", "isFromAccount"})
_NOT_A_CUSTOMER_TYPES = frozenset(
    {"bot", "agent", "agent_bot", "page", "business", "admin", "operator", "system", "staff"}
)
_TYPE_KEYS = ("type", "role", "kind", "sender_type", "senderType", "author_type")
_OUTGOING = frozenset({"outgoing", "outbound", "out", "sent", "echo"})
_DIRECTION_KEYS = ("direction", "traffic", "message_type", "messageType")
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def key_words(key: str) -> frozenset[str]:
    """``page_owner`` → {page, owner}; ``toUser`` → {to, user}; ``IGUser`` → {ig, user}."""
    return frozenset(word.lower() for word in _WORD.findall(key))


def is_reserved(key: object, words: frozenset[str] = NOT_THE_SENDER) -> bool:
    """Whether an object under this key can never be the customer (or, with NOT_THE_MESSAGE, the message)."""
    return not isinstance(key, str) or not words.isdisjoint(key_words(key))


def _objects(
    body: dict[object, object], reserved: frozenset[str], skip: object = None
) -> Iterator[tuple[str, dict[object, object]]]:
    """The first :data:`MAX_KEYS` entries whose value is an object and whose key is not reserved."""
    for key, value in islice(body.items(), MAX_KEYS):
        if isinstance(value, dict) and value is not skip and not is_reserved(key, reserved):
            yield str(key), value


def has_objects(body: dict[object, object]) -> bool:
    """Whether any of the first :data:`MAX_KEYS` values is an object: none, and there is nothing to read."""
    return any(isinstance(value, dict) for value in islice(body.values(), MAX_KEYS))


def person_id(obj: dict[object, object]) -> str | None:
    return fields.pick_id(obj, PERSON_ID_KEYS)


def is_person(obj: dict[object, object]) -> bool:
    return person_id(obj) is not None and fields.pick_text(obj, PERSON_NAME_KEYS) is not None


def is_not_a_customer(obj: dict[object, object]) -> bool:
    """A bot, an agent, our page or our own account: its message is ours, not the customer's."""
    if any_flag(obj, _NOT_A_CUSTOMER_FLAGS):
        return True
    return any(as_lower(obj.get(key)) in _NOT_A_CUSTOMER_TYPES for key in _TYPE_KEYS if key in obj)


def is_outgoing(obj: dict[object, object]) -> bool:
    """``direction: "outbound"``, ``traffic: "outgoing"``, ``message_type: "outgoing"``: sent by us."""
    return any(as_lower(obj.get(key)) in _OUTGOING for key in _DIRECTION_KEYS if key in obj)


def display_name(person: dict[object, object]) -> str | None:
    """A name to show when the person has no username or name: a handle or display name, else first + last."""
    found = fields.pick_username(person, DISPLAY_NAME_KEYS)
    if found is not None:
        return found
    parts = [
        fields.pick_text(person, keys) for keys in (("first_name", "firstName"), ("last_name", "lastName"))
    ]
    joined = " ".join(part for part in parts if part)
    return joined or None


def sender_object(body: dict[object, object], known: Sequence[str]) -> dict[object, object] | None:
    """The sender: the first known name holding an object, else the one person under another key.

    None when there is none; :data:`AMBIGUOUS` when persons with different ids remain.
    """
    for key in known:
        value = body.get(key)
        if isinstance(value, dict):
            return value
    people = [
        value
        for key, value in _objects(body, NOT_THE_SENDER)
        if key not in known and key != "message" and is_person(value) and not is_not_a_customer(value)
    ]
    if not people:
        return None
    if len({person_id(person) for person in people}) > 1:
        return AMBIGUOUS
    return people[0]


def has_content(obj: dict[object, object]) -> bool:
    return fields.pick_text(obj, MESSAGE_TEXT_KEYS) is not None or bool(fields.pick_attachments(obj))


def _has_identity(obj: dict[object, object]) -> bool:
    return (
        fields.pick_id(obj, MESSAGE_ID_KEYS) is not None
        or fields.pick_time(obj, fields.TIMESTAMP_KEYS) is not None
    )


def _one_message(candidates: list[dict[object, object]]) -> dict[object, object] | None:
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    identified = [obj for obj in candidates if _has_identity(obj)]
    return identified[0] if len(identified) == 1 else AMBIGUOUS


def message_object(
    body: dict[object, object], sender: object = None
) -> tuple[dict[object, object], dict[object, object]] | None:
    """The message object and the object holding its content (the same one, or its child).

    ``message`` when it is an object, else the one object with content; a ``message`` object without
    content gives way, for the content only, to the one object with content inside it (its id and
    time stay the outer object's). None when there is none; ``(AMBIGUOUS, AMBIGUOUS)`` when several
    remain and no single one has an id or a time.
    """
    known = body.get("message")
    if isinstance(known, dict):
        if has_content(known):
            return known, known
        inner = _one_message([value for _, value in _objects(known, NOT_THE_MESSAGE) if has_content(value)])
        return known, known if inner is None else inner
    found = _one_message(
        [value for _, value in _objects(body, NOT_THE_MESSAGE, sender) if has_content(value)]
    )
    return None if found is None else (found, found)
