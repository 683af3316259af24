"""Chatrace's inbox API — the one its mobile app uses, and the only way to list messages.

``POST {inbox-url}`` (``https://<app-domain>/php/user``) with ``X-ACCESS-TOKEN`` and
``User-Agent: mobile-app``, JSON ``{"account_id", "op": "conversations", "op1": "get", "offset",
"limit"}`` → conversations (newest first); the same with ``"id": <ms_id>`` → that conversation's
messages, newest first. See ``../shared/DESIGN.md`` and ``samples/inbox``.

The API is undocumented for third parties, so every field is optional and possibly a string, and
an answer is checked for errors even when it comes with HTTP 200 (``{"status": "error", ...}``).
:class:`InboxClient` only talks HTTP and sorts failures into two kinds the poller acts on:

- :class:`TokenRejected` — 401/403, or an error answer about the token: stop until the next
  invocation (retrying cannot fix a token);
- :class:`InboxUnavailable` — 429, 5xx, other HTTP errors, timeouts, unreachable, malformed or
  error answers: back off and keep the cursor.

Decoding rows into messages is pure (:func:`conversation_of`, :func:`message_of`,
:func:`to_normalized`) so one bad row is skipped by the caller without failing the page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, NamedTuple, Self

import httpx

from inbox.errors import BadInboxRow, InboxUnavailable, TokenRejected
from inbox.models import Attachment, NormalizedMessage
from inbox.normalize.coerce import as_id, as_lower, as_text, as_url, as_username
from inbox.normalize.context import Context, make_message
from inbox.normalize.timestamps import format_datetime, to_epoch_ms
from inbox.outbound import AllowedHosts

FORMAT = "inbox"
INSTAGRAM_CHANNEL = "10"
INBOUND = "1"
USER_AGENT = "mobile-app"
DEFAULT_TIMEOUT = httpx.Timeout(8.0, connect=3.0)
"""Per request: 3 s to connect, 8 s for each read/write. A round checks its remaining time against
:data:`REQUEST_BUDGET_SECONDS` before every request."""
REQUEST_BUDGET_SECONDS = 12.0
MAX_RETRY_AFTER_SECONDS = 60.0

_USERNAME_KEYS = ("username", "ig_username", "ig_user_name", "user_name", "instagram_username")
_SKIPPED_PART_TYPES = frozenset({"typing", "typing_on", "typing_off", "mark_seen", "seen", "read"})
# Chatrace gives no error codes, only a message; these words are how it says "your token".
_TOKEN_WORDS = re.compile(r"token|unauthori[sz]ed|forbidden|access denied|not logged|login|permission", re.I)


class Conversation(NamedTuple):
    contact_id: str
    """``ms_id``: the contact id — the same one Chatrace's ``{{user_id}}`` puts in webhook bodies."""
    channel: str | None
    timestamp_ms: int | None
    """When the conversation last changed (its last message, either direction)."""
    username: str | None

    @property
    def is_instagram(self) -> bool:
        return self.channel == INSTAGRAM_CHANNEL


class InboxMessage(NamedTuple):
    message_id: str | None
    """For Instagram, Meta's own message id (the ``mid`` a Meta webhook carries)."""
    inbound: bool
    timestamp_ms: int | None
    text: str | None
    attachments: tuple[Attachment, ...]


class InboxClient:
    """The inbox API over one httpx client (keep-alive across a whole invocation); close it after."""

    def __init__(
        self,
        *,
        url: str,
        allowed: AllowedHosts,
        account_id: str,
        token: str,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Raises OutboundRefused when the token may not go to ``url`` (inbox.outbound)."""
        self._url = allowed.check(url, example="https://app.chatrace.com/php/user")
        self._account_id: int | str = int(account_id) if account_id.strip().isdigit() else account_id.strip()
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            headers={"X-ACCESS-TOKEN": token, "User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,
        )

    def conversations(self, *, offset: int, limit: int) -> list[object]:
        """One page of conversation rows, newest first (raw: decode each with :func:`conversation_of`)."""
        return self._call({"op": "conversations", "op1": "get", "offset": offset, "limit": limit})

    def messages(self, contact_id: str, *, offset: int, limit: int) -> list[object]:
        """One page of a conversation's message rows, newest first (decode with :func:`message_of`)."""
        return self._call(
            {"op": "conversations", "op1": "get", "id": contact_id, "offset": offset, "limit": limit}
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _call(self, request: dict[str, Any]) -> list[object]:
        try:
            response = self._http.post(self._url, json={"account_id": self._account_id, **request})
        except httpx.TimeoutException as exc:
            raise InboxUnavailable(f"the inbox API timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise InboxUnavailable(f"the inbox API could not be reached ({type(exc).__name__})") from exc
        status = response.status_code
        if status in (401, 403):
            raise TokenRejected(f"HTTP {status}{_detail(response)}", status=status)
        if status == 429:
            raise InboxUnavailable(
                f"rate limited (HTTP 429){_detail(response)}", retry_after=_retry_after(response)
            )
        if not 200 <= status < 300:
            raise InboxUnavailable(f"HTTP {status}{_detail(response)}", retry_after=_retry_after(response))
        try:
            body = response.json()
        except ValueError as exc:
            raise InboxUnavailable(f"malformed answer: not JSON ({len(response.content)} bytes)") from exc
        return _data(body, status)


def _data(body: object, status: int) -> list[object]:
    if not isinstance(body, dict):
        raise InboxUnavailable(f"malformed answer: a JSON {type(body).__name__}, not an object")
    error = _error_message(body)
    if error is not None:
        if _TOKEN_WORDS.search(error):
            raise TokenRejected(f"error answer on HTTP {status}: {error}", status=status)
        raise InboxUnavailable(f"error answer on HTTP {status}: {error}")
    data = body.get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise InboxUnavailable(f"malformed answer: data is a {type(data).__name__}, not a list")
    return data


def _error_message(body: Mapping[str, object]) -> str | None:
    """The error an answer reports, or None: ``{"status": "error", "message"}``, ``{"error": ...}``,
    ``{"success": false}`` — however it is spelled, even on HTTP 200."""
    error = body.get("error")
    status = as_lower(body.get("status"))
    success = body.get("success", True)
    failed = status in ("error", "fail", "failed") or success is False or as_lower(success) in ("false", "0")
    if not error and not failed:
        return None
    parts: list[str] = []
    if isinstance(error, Mapping):
        parts += [str(error.get(k)) for k in ("code", "message", "msg") if error.get(k) not in (None, "")]
    elif error not in (None, "", False):
        parts.append(str(error))
    for key in ("message", "msg", "code"):
        if body.get(key) not in (None, ""):
            parts.append(str(body[key]))
    return ": ".join(parts)[:300] or "unspecified error"


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    message = _error_message(body) if isinstance(body, dict) else None
    return f" ({message})" if message else ""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


# ------------------------------------------------------------------------------------- decoding


def conversation_of(row: object) -> Conversation | None:
    """A conversation row, or None when it has no contact id (nothing could be done with it)."""
    if not isinstance(row, dict):
        return None
    contact_id = as_id(row.get("ms_id"))
    if contact_id is None:
        return None
    return Conversation(
        contact_id=contact_id,
        channel=as_id(row.get("channel")),
        timestamp_ms=to_epoch_ms(row.get("timestamp")),
        username=_username(row),
    )


def message_of(row: object) -> InboxMessage:
    """One message row; raises :class:`BadInboxRow` when it cannot be read."""
    if not isinstance(row, dict):
        raise BadInboxRow(f"a message row is a {type(row).__name__}, not an object")
    text, attachments = decode_parts(row.get("message"))
    return InboxMessage(
        message_id=as_id(row.get("id")),
        inbound=as_id(row.get("dir")) == INBOUND,
        timestamp_ms=to_epoch_ms(row.get("timestamp")),
        text=text,
        attachments=attachments,
    )


def decode_parts(message: object) -> tuple[str | None, tuple[Attachment, ...]]:
    """``message`` is a JSON-encoded *string* of Messenger-style parts: ``text``, or an
    ``attachment`` (``attachment.payload.url``); typing and other sender actions are skipped. A
    plain (non-JSON) string is the text itself; a string that looks like JSON but is not, is bad."""
    parts: object = message
    if isinstance(message, str):
        stripped = message.strip()
        if not stripped:
            return None, ()
        if stripped[0] not in '[{"':
            return as_text(stripped), ()
        try:
            parts = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise BadInboxRow(f"message is not valid JSON ({exc.msg} at {exc.pos})") from exc
        except RecursionError as exc:
            raise BadInboxRow("message nests too deeply") from exc
    if parts is None:
        return None, ()
    if isinstance(parts, str):  # a JSON-encoded string: the text itself
        return as_text(parts), ()
    if isinstance(parts, dict):
        parts = [parts]
    if not isinstance(parts, list):
        raise BadInboxRow(f"message holds a {type(parts).__name__}, not a list of parts")
    texts: list[str] = []
    attachments: list[Attachment] = []
    for part in parts:
        if isinstance(part, str):
            text = as_text(part)
            texts += [text] if text else []
            continue
        if not isinstance(part, dict) or _is_sender_action(part):
            continue
        text = as_text(part.get("text"))
        if text:
            texts.append(text)
        found = part.get("attachments")
        for attachment in [part.get("attachment"), *(found if isinstance(found, list) else [])]:
            decoded = _attachment(attachment)
            if decoded is not None:
                attachments.append(decoded)
    return ("\n".join(texts) or None), tuple(attachments)


def _is_sender_action(part: Mapping[str, object]) -> bool:
    return as_lower(part.get("type")) in _SKIPPED_PART_TYPES or "sender_action" in part


def _attachment(value: object) -> Attachment | None:
    if not isinstance(value, dict):
        return None
    payload = value.get("payload")
    url = as_url(payload.get("url")) if isinstance(payload, dict) else None
    if url is None:
        url = as_url(value.get("url"))
    if url is None:
        return None
    return Attachment(type=as_lower(value.get("type")) or "file", url=url)


def _username(row: Mapping[str, object]) -> str | None:
    for key in _USERNAME_KEYS:
        name = as_username(row.get(key))
        if name is not None:
            return name
    return None


def to_normalized(
    conversation: Conversation,
    message: InboxMessage,
    *,
    username: str | None,
    received_at: datetime,
) -> NormalizedMessage | None:
    """The stored shape (``format`` ``inbox``, ``source`` ``poller``), built by the same function as
    every webhook message; None when there is nothing in it (no text, no attachment)."""
    ctx = Context(received_at=format_datetime(received_at), source="poller")
    return make_message(
        ctx,
        FORMAT,
        sender_id=conversation.contact_id,
        message_id=message.message_id,
        username=username,
        text=message.text,
        attachments=message.attachments,
        timestamp_ms=message.timestamp_ms,
    )
