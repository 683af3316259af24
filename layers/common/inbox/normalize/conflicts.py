"""One body, one sender: a body that names two different senders is refused, never guessed at.

Chatrace pastes ``{{last_input}}`` into the operator's hand-written body unescaped, so a customer can
close the string and add keys. Repeating a key is refused by the parser (``inbox.jsontext``); a
*new* key is not, and an adapter tried before the template's own one would read it: ``"sender":
{"id": "<victim>"}`` (nested), ``"object"`` / ``"entry"`` (meta) or ``"id"`` / ``"key": "user:…"``
(ManyChat) added to the README's Chatrace body would store the customer's text under the victim.

So after an adapter recognizes an object, the senders it *declares* by name at its top level are
compared with the messages' senders: the flat sender keys (``senderId``, ``contact_id``,
``user_id``, ...), the ids of the known sender objects (``sender``, ``from``, ``contact``,
``user``) and ManyChat's ``key: "user:<id>"``. Two different declared senders, or a message whose
sender is not the declared one, make the object unrecognized: kept whole, answered 202, nothing
stored under anyone. The operator's field map is exempt (its paths are the operator's explicit
choice). Last-resort aliases such as ``ig_id`` are not declarations: ManyChat's body carries its
contact ``id`` and a different ``ig_id``.

What this cannot see: a body that names its sender only by shape (``customer{}``, read by
:mod:`.shapes`) declares nothing, so an added ``sender{}`` would win there. The README's body names
the sender under ``contact_id``, which is a declaration.
"""

from __future__ import annotations

from collections.abc import Sequence

from inbox.models import NormalizedMessage
from inbox.normalize import fields
from inbox.normalize.coerce import as_id
from inbox.normalize.manychat import key_contact

SENDER_OBJECTS = ("sender", "from", "contact", "user")
"""Objects that name the sender by their key (nested reads them in this order)."""

_OBJECT_ID_KEYS = ("id", *fields.SENDER_KEYS)
_OBJECTS = frozenset(SENDER_OBJECTS)
_DECLARING = frozenset((*fields.SENDER_KEYS, *SENDER_OBJECTS, "key"))


def _declared(body: dict[object, object], key: str) -> str | None:
    """The sender id one declaring key names, if any.

    A sender key holding an object, or a sender-object key holding a plain value (``"sender":
    "user"``, an SMS body's ``"from": "+351…"``), declares nothing: no adapter reads it as a sender.
    """
    value = body[key]
    if key in _OBJECTS:
        return fields.pick_id(value, _OBJECT_ID_KEYS) if isinstance(value, dict) else None
    if key == "key":
        return key_contact(body)
    return None if isinstance(value, dict) else as_id(value)


def declared_senders(body: dict[object, object]) -> set[str]:
    """Every sender id the object names at its top level: a sender key's value, a sender object's id."""
    found = (_declared(body, key) for key in _DECLARING.intersection(body))
    return {sender for sender in found if sender is not None}


def contradicted(body: object, messages: Sequence[NormalizedMessage]) -> bool:
    """Whether the object names two senders, or its messages' sender is not the one it names."""
    if not isinstance(body, dict):
        return False
    keys = _DECLARING.intersection(body)
    if not keys:
        return False  # Meta's envelope, a wrapper
    expected = messages[0].senderId if messages else None
    named = None
    for key in keys:
        value = body[key]
        if value == expected or (key in _OBJECTS and isinstance(value, dict) and value.get("id") == expected):
            sender: str | None = expected  # the usual case: what the adapter read, as it read it
        else:
            sender = _declared(body, key)
        if sender is None:
            continue
        if named is None:
            named = sender
        elif sender != named:
            return True
    if named is not None:
        for message in messages:
            if message.senderId != named:
                return True
    return False
