"""Chatrace's REST API, for sending: ``POST {api}/contacts/{id}/send/text`` with ``X-ACCESS-TOKEN``.

Chatrace may answer HTTP 200 with ``{"error": {"message", "code"}}`` (samples/chatrace-api), and
some of its endpoints answer ``{"status": "error", "message"}``: the body is always checked, and
only a 2xx whose body carries no error counts as sent. A failure says whether the text may have
gone out, because a reply is sent at most once (inbox.operator.replies):

- :class:`SendRejected` — Chatrace answered 4xx or an error in a 2xx body: not sent; ``reason`` is
  Chatrace's own message (the operator API answers 502 with it);
- :class:`SendNotSent` — the request never left (no connection, connect timeout): not sent (502);
- :class:`SendUnknown` — the request was written but no usable answer came (read/write timeout,
  connection lost, a 5xx, a 2xx that is not JSON): it *may* have been sent (``timed_out`` → 504,
  else 502).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from inbox.errors import SendNotSent, SendRejected, SendUnknown
from inbox.outbound import AllowedHosts, contact_segment

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
"""Inside the operator function's 10 s, with room to store the outcome."""


# Raised before the request was written: Chatrace cannot have received anything.
_NOT_WRITTEN = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def timeout_within(seconds: float) -> httpx.Timeout:
    """The client timeout for a send that must end within ``seconds`` (connect, write and read
    each get a third, so even the sum stays inside), never more than DEFAULT_TIMEOUT's."""
    third = max(seconds, 0.0) / 3
    return httpx.Timeout(
        min(DEFAULT_TIMEOUT.read or 5.0, third),
        connect=min(DEFAULT_TIMEOUT.connect or 2.0, third),
    )


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
    except _NOT_WRITTEN as exc:
        raise SendNotSent(f"Chatrace could not be reached ({type(exc).__name__})") from exc
    except httpx.TimeoutException as exc:
        raise SendUnknown(
            f"Chatrace did not answer within {timeout.read or 0:.1f} s", timed_out=True
        ) from exc
    except httpx.HTTPError as exc:
        raise SendUnknown(f"the connection to Chatrace failed mid-request ({type(exc).__name__})") from exc
    try:
        body: object = response.json()
    except ValueError:
        body = None
    error = _error_message(body) if isinstance(body, Mapping) else None
    status = response.status_code
    if status >= 500:
        raise SendUnknown(f"Chatrace answered HTTP {status}" + (f": {error}" if error else ""))
    if not response.is_success:
        raise SendRejected(error or f"Chatrace answered HTTP {status}", status=status)
    if error is not None:
        raise SendRejected(error, status=status)
    if not isinstance(body, Mapping):
        raise SendUnknown("Chatrace answered with a body that is not a JSON object")
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
