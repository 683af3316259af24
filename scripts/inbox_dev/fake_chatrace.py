"""A fake Chatrace on localhost: the inbox API (``POST /php/user``) and ``POST /contacts/{id}/send/text``.

A real HTTP server (ThreadingHTTPServer) speaking the format of ../shared/DESIGN.md and
samples/inbox: conversations newest first with ``offset`` / ``limit``, a conversation's messages
with ``"id"``, everything as strings, ``message`` a JSON-encoded string of parts. Conversations and
messages can be added while it runs, and switches make it answer 401/403, 429, 500/503, slowly,
with a malformed body, with HTTP 200 carrying ``{"status": "error"}``, or hang up after acting.

In the tests (``fake_chatrace`` fixture in tests/conftest.py)::

    with FakeChatrace(token="t") as fake:
        fake.add_message("2850008055041461", "hello")
        fake.fail("429", times=2)

Beside ``make dev`` (``make fake-chatrace`` prints how to point the dev server at it), with a small
control API for a person at a terminal:

- ``POST /_control/messages`` ``{"contact_id", "text", "attachments": [{"type", "url"}], "id",
  "dir", "timestamp", "channel", "full_name", "username", "message"}`` → the row it added;
- ``POST /_control/faults`` ``{"kind": "429", "times": 3}`` (or ``"always": true``), ``DELETE
  /_control/faults``; ``POST /_control/token`` ``{"token"}`` changes the accepted token;
- ``GET /_control/state`` (conversations, pending faults, request count, sent texts).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

FAULTS: dict[str, str] = {
    "401": "HTTP 401 with an error body",
    "403": "HTTP 403 with an error body",
    "429": "HTTP 429 with Retry-After: 1",
    "500": "HTTP 500",
    "503": "HTTP 503",
    "slow": "answers correctly after slow_seconds",
    "malformed": "HTTP 200 whose body is cut-off JSON",
    "error200": 'HTTP 200 with {"status": "error", "message": "Temporary failure"}',
    "token-error200": 'HTTP 200 with {"status": "error", "message": "Invalid access token"}',
    "hangup": "does what was asked (a send is sent), then closes the connection without an answer",
}
INSTAGRAM = "10"
DEFAULT_TOKEN = "fake-chatrace-token"  # noqa: S105 - the fake's own, for local runs
DEFAULT_ACCOUNT_ID = "1543616"


@dataclass
class FakeMessage:
    message_id: str
    inbound: bool
    timestamp_ms: int
    text: str | None = None
    attachments: list[tuple[str, str]] = field(default_factory=list)
    channel: str = INSTAGRAM
    raw_message: str | None = None
    """Sent as ``message`` as is, instead of the parts built from text and attachments."""

    def row(self) -> dict[str, Any]:
        direction = 1 if self.inbound else 0
        parts: list[dict[str, Any]] = []
        if self.text is not None:
            parts.append({"text": self.text, "dir": direction, "channel": int(self.channel)})
        for kind, url in self.attachments:
            parts.append(
                {
                    "attachment": {"type": kind, "payload": {"url": url}},
                    "dir": direction,
                    "channel": int(self.channel),
                }
            )
        return {
            "id": self.message_id,
            "channel": self.channel,
            "dir": str(direction),
            "sentBy": "0",
            "message": self.raw_message if self.raw_message is not None else json.dumps(parts),
            "timestamp": str(self.timestamp_ms),
        }


@dataclass
class FakeConversation:
    contact_id: str
    channel: str = INSTAGRAM
    full_name: str = "Test Contact"
    username: str | None = None
    messages: list[FakeMessage] = field(default_factory=list)
    created_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    @property
    def timestamp_ms(self) -> int:
        return max((m.timestamp_ms for m in self.messages), default=self.created_ms)

    def row(self) -> dict[str, Any]:
        last = max(self.messages, key=lambda m: m.timestamp_ms, default=None)
        row: dict[str, Any] = {
            "ms_id": self.contact_id,
            "full_name": self.full_name,
            "channel": self.channel,
            "last_msg": (last.text or "") if last else "",
            "phone": "",
            "timestamp": str(self.timestamp_ms),
            "live_chat": "0",
            "archived": "0",
            "assigned_to": "0",
            "last_active": str(self.timestamp_ms // 1000),
            "t_last_sent": "",
            "t_last_delived": "",
            "t_last_seen": "",
        }
        if self.username is not None:
            row["username"] = self.username
        return row


@dataclass
class _Fault:
    kind: str
    remaining: int | None  # None = until cleared


class FakeChatrace:
    """The fake's state and its server; thread-safe (the server answers on its own threads)."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        account_id: str = DEFAULT_ACCOUNT_ID,
        host: str = "127.0.0.1",
        port: int = 0,
        slow_seconds: float = 2.0,
        quiet: bool = True,
    ) -> None:
        self.token = token
        self.account_id = account_id
        self.slow_seconds = slow_seconds
        self.quiet = quiet
        self.conversations: dict[str, FakeConversation] = {}
        self.requests: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self._faults: list[_Fault] = []
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{'127.0.0.1' if host == '0.0.0.0' else host!s}:{port}"

    @property
    def inbox_url(self) -> str:
        return f"{self.base_url}/php/user"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-chatrace", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ what a test changes

    def add_conversation(
        self,
        contact_id: str,
        *,
        channel: str = INSTAGRAM,
        full_name: str = "Test Contact",
        username: str | None = None,
    ) -> FakeConversation:
        with self._lock:
            conversation = self.conversations.get(contact_id)
            if conversation is None:
                conversation = FakeConversation(contact_id, channel, full_name, username)
                self.conversations[contact_id] = conversation
            if username is not None:
                conversation.username = username
            return conversation

    def add_message(
        self,
        contact_id: str,
        text: str | None = None,
        *,
        attachments: Sequence[tuple[str, str]] = (),
        message_id: str | None = None,
        inbound: bool = True,
        timestamp_ms: int | None = None,
        channel: str = INSTAGRAM,
        full_name: str = "Test Contact",
        username: str | None = None,
        raw_message: str | None = None,
    ) -> dict[str, Any]:
        """Add a message (and its conversation if new); returns its row as the API will answer it."""
        message = FakeMessage(
            message_id=message_id or f"aWdfZAG1faXRlbTo{uuid.uuid4().hex}",
            inbound=inbound,
            timestamp_ms=timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
            text=text,
            attachments=list(attachments),
            channel=channel,
            raw_message=raw_message,
        )
        with self._lock:
            conversation = self.add_conversation(
                contact_id, channel=channel, full_name=full_name, username=username
            )
            conversation.messages.append(message)
        return message.row()

    def fail(self, kind: str, *, times: int | None = 1) -> None:
        """Answer the next ``times`` requests with a fault (``times=None``: until :meth:`clear_faults`)."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULTS)}")
        with self._lock:
            self._faults.append(_Fault(kind, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def inbox_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.requests)

    # ------------------------------------------------------------------ answering

    def _next_fault(self) -> str | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.pop(0)
            return fault.kind

    def _inbox(self, body: dict[str, Any]) -> dict[str, Any]:
        if str(body.get("account_id")) != self.account_id:
            return {"status": "error", "message": "Account not found"}
        if body.get("op") != "conversations" or body.get("op1") != "get":
            return {"status": "error", "message": "Unknown operation"}
        offset, limit = _int(body.get("offset"), 0), _int(body.get("limit"), 30)
        with self._lock:
            if "id" in body:
                conversation = self.conversations.get(str(body["id"]))
                messages = (
                    sorted(conversation.messages, key=lambda m: -m.timestamp_ms) if conversation else []
                )
                rows = [m.row() for m in messages[offset : offset + limit]]
                return {"status": "OK", "hash": uuid.uuid4().hex[:8], "data": rows}
            conversations = sorted(self.conversations.values(), key=lambda c: -c.timestamp_ms)
            return {"status": "OK", "data": [c.row() for c in conversations[offset : offset + limit]]}

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "conversations": [
                    {**c.row(), "messages": [m.row() for m in c.messages]}
                    for c in self.conversations.values()
                ],
                "faults": [{"kind": f.kind, "remaining": f.remaining} for f in self._faults],
                "inboxRequests": len(self.requests),
                "sent": list(self.sent),
            }


def _int(value: object, default: int) -> int:
    try:
        return max(0, int(str(value)))
    except ValueError:
        return default


def _handler_for(fake: FakeChatrace) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "fake-chatrace"

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            body = self._json_body()
            if path.startswith("/_control/"):
                self._control("POST", path, body)
            elif path == "/php/user":
                self._api(lambda: fake._inbox(body) if isinstance(body, dict) else None, record=body)
            elif path.startswith("/contacts/") and path.endswith("/send/text"):
                contact_id = path.removeprefix("/contacts/").removesuffix("/send/text")
                self._api(lambda: self._send(contact_id, body), record=None)
            else:
                self._reply(404, {"status": "error", "message": "Not found"})

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path.startswith("/_control/"):
                self._control("GET", path, None)
            else:
                self._reply(404, {"status": "error", "message": "Not found"})

        def do_DELETE(self) -> None:
            self._control("DELETE", urlsplit(self.path).path, None)

        def _send(self, contact_id: str, body: object) -> dict[str, Any]:
            with fake._lock:
                fake.sent.append({"contactId": contact_id, "body": body})
            return {"success": True, "data": {"message_id": f"sent-{uuid.uuid4().hex[:12]}"}}

        def _api(self, answer: Any, *, record: object) -> None:
            if record is not None:
                with fake._lock:
                    fake.requests.append(
                        {
                            "body": record,
                            "token": self.headers.get("X-ACCESS-TOKEN"),
                            "userAgent": self.headers.get("User-Agent"),
                        }
                    )
            fault = fake._next_fault()
            if fault == "slow":
                time.sleep(fake.slow_seconds)
            elif fault in ("401", "403"):
                self._reply(int(fault), {"status": "error", "message": "Invalid access token"})
                return
            elif fault == "429":
                self._reply(429, {"status": "error", "message": "Too many requests"}, {"Retry-After": "1"})
                return
            elif fault in ("500", "503"):
                self._reply(int(fault), {"status": "error", "message": "Internal error"})
                return
            elif fault == "malformed":
                self._raw(200, b'{"status":"OK","data":[{"ms_id":"1', "application/json")
                return
            elif fault == "error200":
                self._reply(200, {"status": "error", "message": "Temporary failure, try again"})
                return
            elif fault == "token-error200":
                self._reply(200, {"status": "error", "message": "Invalid access token"})
                return
            elif fault == "hangup":
                if self.headers.get("X-ACCESS-TOKEN") == fake.token:
                    answer()
                self.close_connection = True
                return
            if self.headers.get("X-ACCESS-TOKEN") != fake.token:
                self._reply(401, {"status": "error", "message": "Invalid access token"})
                return
            result = answer()
            if result is None:
                self._reply(400, {"status": "error", "message": "Invalid JSON body"})
                return
            self._reply(200, result)

        def _control(self, method: str, path: str, body: object) -> None:
            command = path.removeprefix("/_control/")
            data = body if isinstance(body, dict) else {}
            try:
                if (method, command) == ("POST", "messages"):
                    self._reply(201, _add_from_control(fake, data))
                elif (method, command) == ("POST", "faults"):
                    always = bool(data.get("always"))
                    fake.fail(
                        str(data.get("kind")), times=None if always else _int(data.get("times"), 1) or 1
                    )
                    self._reply(200, fake.state()["faults"])
                elif (method, command) == ("DELETE", "faults"):
                    fake.clear_faults()
                    self._reply(200, [])
                elif (method, command) == ("POST", "token"):
                    fake.token = str(data.get("token", ""))
                    self._reply(200, {"status": "OK"})
                elif (method, command) == ("GET", "state"):
                    self._reply(200, fake.state())
                else:
                    self._reply(404, {"error": f"unknown control {method} {path}"})
            except (ValueError, TypeError) as exc:
                self._reply(400, {"error": str(exc)})

        def _json_body(self) -> object:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw) if raw else None
            except ValueError:
                return None

        def _reply(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            self._raw(status, json.dumps(body, ensure_ascii=False).encode(), "application/json", headers)

        def _raw(
            self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            if not fake.quiet:
                sys.stderr.write(
                    f"[fake-chatrace] {self.command} {self.path} → {args[1] if len(args) > 1 else ''}\n"
                )

    return Handler


def _add_from_control(fake: FakeChatrace, data: dict[str, Any]) -> dict[str, Any]:
    contact_id = str(data.get("contact_id") or data.get("ms_id") or "").strip()
    if not contact_id:
        raise ValueError("contact_id is required")
    attachments = [(str(a.get("type", "image")), str(a["url"])) for a in data.get("attachments") or []]
    text = data.get("text")
    raw_message = data.get("message")
    if text is None and not attachments and raw_message is None:
        raise ValueError("text, attachments or message is required")
    return fake.add_message(
        contact_id,
        None if text is None else str(text),
        attachments=attachments,
        message_id=str(data["id"]) if data.get("id") else None,
        inbound=str(data.get("dir", "1")) == "1",
        timestamp_ms=int(data["timestamp"]) if data.get("timestamp") else None,
        channel=str(data.get("channel", INSTAGRAM)),
        full_name=str(data.get("full_name", "Test Contact")),
        username=str(data["username"]) if data.get("username") else None,
        raw_message=None if raw_message is None else str(raw_message),
    )


def banner(fake: FakeChatrace) -> str:
    control = f"{fake.base_url}/_control"
    return "\n".join(
        [
            "",
            f"Fake Chatrace inbox API: {fake.inbox_url}",
            f"  token {fake.token}, account {fake.account_id}; Ctrl-C stops",
            "",
            "Point the dev server at it (in another terminal):",
            f"  INBOX_CHATRACE_TOKEN={fake.token} INBOX_CHATRACE_ACCOUNT_ID={fake.account_id} \\",
            f"  INBOX_CHATRACE_INBOX_URL={fake.inbox_url} INBOX_POLLING_ENABLED=true \\",
            "  INBOX_POLL_INTERVAL_SECONDS=10 make dev",
            "",
            'Add a message, then watch `make dev` log "message stored" (source poller) within ~10 s:',
            f"  curl -s -X POST {control}/messages \\",
            '       -d \'{"contact_id":"2850008055041461","text":"Hi from the fake"}\'',
            "Make it misbehave (kinds: " + ", ".join(FAULTS) + "):",
            f'  curl -s -X POST {control}/faults -d \'{{"kind":"429","times":3}}\'',
            f"  curl -s -X DELETE {control}/faults",
            f"State: curl -s {control}/state",
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A fake Chatrace inbox API on localhost, for `make dev`.")
    parser.add_argument("--port", type=int, default=3100)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--account-id", default=DEFAULT_ACCOUNT_ID)
    parser.add_argument("--slow-seconds", type=float, default=12.0, help="how long a 'slow' answer takes")
    args = parser.parse_args(argv)
    try:
        fake = FakeChatrace(
            token=args.token,
            account_id=args.account_id,
            host=args.host,
            port=args.port,
            slow_seconds=args.slow_seconds,
            quiet=False,
        )
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror} (use --port)", file=sys.stderr)
        return 1
    print(banner(fake), flush=True)
    try:
        fake._server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        fake._server.server_close()
        print("\nstopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
