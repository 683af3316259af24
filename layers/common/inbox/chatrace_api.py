"""Chatrace's REST API, for sending: ``POST {api}/contacts/{id}/send/text`` with ``X-ACCESS-TOKEN``.

Chatrace may answer HTTP 200 with ``{"error": {"message", "code"}}`` (samples/chatrace-api), and
some of its endpoints answer ``{"status": "error", "message"}``: the body is always checked, and
only a 2xx whose body carries no error counts as sent. Outcomes:

- :class:`SendRejected` — Chatrace answered and refused (4xx, 5xx, or an error in a 200 body);
  ``reason`` is Chatrace's own message (the operator API answers 502 with it);
- :class:`SendTimedOut` — no answer in time (504): it *may* have been sent;
- :class:`SendUnreachable` — no connection, or an answer that is not JSON (502).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from inbox.errors import InboxError
from inbox.outbound import AllowedHosts, contact_segment

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
"""Inside the operator function's 10 s, with room to store the outcome."""


class SendFailed(InboxError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SendRejected(SendFailed):
    def __init__(self, reason: str, *, status: int) -> None:
        super().__init__(reason)
        self.status = status


class SendTimedOut(SendFailed):
    pass


class SendUnreachable(SendFailed):
    pass


@dataclass(frozen=True, slots=True)
class Sent:
    """What Chatrace answered to an accepted send (its message id, when it gives one)."""

    message_id: str | None


def send_text(
    *,
    api_url: str,
    allowed: AllowedHosts,
    token: str,
    contact_id: str,
    text: str,
    channel: str,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> Sent:
    """Raises OutboundRefused, before any connection, when the token may not go to ``api_url``."""
    url = f"{allowed.check(api_url).rstrip('/')}/contacts/{contact_segment(contact_id)}/send/text"
    try:
        with httpx.Client(timeout=timeout, transport=transport) as http:
            response = http.post(
                url,
                json={"text": text, "channel": channel},
                headers={"X-ACCESS-TOKEN": token, "Accept": "application/json"},
            )
    except httpx.TimeoutException as exc:
        raise SendTimedOut(f"Chatrace did not answer within {timeout.read or 0:g} s") from exc
    except httpx.HTTPError as exc:
        raise SendUnreachable(f"Chatrace could not be reached ({type(exc).__name__})") from exc
    try:
        body: object = response.json()
    except ValueError:
        body = None
    error = _error_message(body) if isinstance(body, Mapping) else None
    if not response.is_success:
        raise SendRejected(
            error or f"Chatrace answered HTTP {response.status_code}", status=response.status_code
        )
    if error is not None:
        raise SendRejected(error, status=response.status_code)
    if not isinstance(body, Mapping):
        raise SendUnreachable("Chatrace answered with a body that is not a JSON object")
    data = body.get("data")
    message_id = data.get("message_id") if isinstance(data, Mapping) else None
    return Sent(str(message_id) if message_id not in (None, "") else None)


def _error_message(body: Mapping[str, object]) -> str | None:
    """Chatrace's error, in either of its shapes; None when the body reports none."""
    error = body.get("error")
    if isinstance(error, Mapping):
        message = error.get("message")
        return str(message) if message else "Chatrace reported an error"
    if isinstance(error, str) and error:
        return error
    if str(body.get("status", "")).lower() == "error" or body.get("success") is False:
        message = body.get("message")
        return str(message) if message else "Chatrace reported an error"
    return None
