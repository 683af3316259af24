"""Operator-defined aliases (the field map kept in SSM) for bodies no built-in adapter knows.

``{"senderId": ["payload.contact.id"], "text": ["payload.msg", "items.0.text"]}``: each normalized
field maps to dotted paths tried in order; an integer segment indexes a list. Fields the map does
not give (or whose paths find nothing) fall back to the flat aliases, so an operator only maps what
is unusual. The body matches when at least one mapped path found a value and a sender and some
content resolve; the map is tried before the built-in adapters, so it can override them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from inbox.models import Attachment, NormalizedMessage
from inbox.normalize import fields
from inbox.normalize.coerce import as_id, as_text, as_username
from inbox.normalize.context import Context, FieldMap, make_message
from inbox.normalize.flat import is_echo
from inbox.normalize.timestamps import to_epoch_ms

FORMAT = "fieldmap"

FIELDS = ("senderId", "messageId", "text", "username", "timestamp", "attachments")
_FIELD_NAMES = frozenset(FIELDS)
_MAX_PATHS = 32
_MAX_SEGMENTS = 32


def _paths(raw_paths: object) -> tuple[str, ...]:
    if isinstance(raw_paths, str):
        raw_paths = (raw_paths,)
    elif not isinstance(raw_paths, list | tuple):
        return ()
    paths = []
    for raw in raw_paths[:_MAX_PATHS]:
        if isinstance(raw, str):
            path = raw.strip()
            if path and path.count(".") < _MAX_SEGMENTS:
                paths.append(path)
    return tuple(paths)


def compile_field_map(field_map: object) -> FieldMap | None:
    """Keep the usable paths; anything malformed (the map comes from an SSM parameter) is ignored."""
    if not field_map or not isinstance(field_map, Mapping):
        return None
    compiled: FieldMap = {}
    for name, raw_paths in field_map.items():
        if name in _FIELD_NAMES:
            paths = _paths(raw_paths)
            if paths:
                compiled[name] = paths
    return compiled or None


def resolve(body: object, path: str) -> object:
    """The value at a dotted path; an integer segment indexes a list (negative counts from the end)."""
    current = body
    for key in path.split("."):
        if isinstance(current, dict):
            current = current.get(key)
        elif isinstance(current, list):
            digits = key[1:] if key.startswith("-") else key
            if not (digits.isascii() and digits.isdigit() and len(digits) < 10):
                return None
            index = int(key)
            if not -len(current) <= index < len(current):
                return None
            current = current[index]
        else:
            return None
        if current is None:
            return None
    return current


def _first[T](body: object, paths: tuple[str, ...], coerce: Callable[[object], T | None]) -> T | None:
    for path in paths:
        value = resolve(body, path)
        if value is not None:
            found = coerce(value)
            if found is not None:
                return found
    return None


def _attachments(value: object) -> list[Attachment] | None:
    return fields.attachments(value) or None


def adapt(body: object, ctx: Context) -> list[NormalizedMessage] | None:
    field_map = ctx.field_map
    if field_map is None:
        return None
    no_paths: tuple[str, ...] = ()
    sender_id = _first(body, field_map.get("senderId", no_paths), as_id)
    message_id = _first(body, field_map.get("messageId", no_paths), as_id)
    text = _first(body, field_map.get("text", no_paths), as_text)
    username = _first(body, field_map.get("username", no_paths), as_username)
    timestamp_ms = _first(body, field_map.get("timestamp", no_paths), to_epoch_ms)
    found = _first(body, field_map.get("attachments", no_paths), _attachments)
    mapped = (sender_id, message_id, text, username, timestamp_ms, found)
    if all(value is None for value in mapped):
        return None

    if isinstance(body, dict):
        sender_id = sender_id or fields.sender_id(body)
        message_id = message_id or fields.pick_id(body, fields.MESSAGE_ID_KEYS)
        text = text or fields.pick_text(body, fields.TEXT_KEYS)
        username = username or fields.username(body)
        timestamp_ms = timestamp_ms or fields.pick_time(body, fields.TIMESTAMP_KEYS)
        found = found or fields.pick_attachments(body)
        if sender_id is not None and (text is not None or found) and is_echo(body):
            return []
    message = make_message(
        ctx,
        FORMAT,
        sender_id=sender_id,
        message_id=message_id,
        username=username,
        text=text,
        attachments=found or [],
        timestamp_ms=timestamp_ms,
    )
    return [message] if message is not None else None
