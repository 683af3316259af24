"""`make dev`: every HTTP route of template.yaml on http://localhost:3000, no AWS account, no Docker.

Requests become API Gateway HTTP API (payload 2.0) events for the real handlers; AWS is moto,
provisioned from the template; scheduled functions run on their template schedule.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from inbox.settings import CHATRACE_TOKEN, META_APP_SECRET, WEBHOOK_SECRET
from inbox.webhook.auth import protection

from inbox_dev import cfn, console
from inbox_dev.events import http_api_event, scheduled_event
from inbox_dev.lambdas import LocalFunction
from inbox_dev.local_aws import SECRET_VARIABLES, LocalStack, local_aws, provision_dev
from inbox_dev.secrets import DevOperator, banner_lines
from inbox_dev.streams import StreamFeeder, install_insert_hook

# API Gateway refuses payloads over 10 MB before any function sees them.
API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
LISTEN_BACKLOG = 1024
"""Connections the kernel queues until the server accepts them (capped by net.core.somaxconn)."""


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    pattern: re.Pattern[str]
    function: LocalFunction

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in ("ANY", method):
            return None
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None


def route_pattern(path: str) -> re.Pattern[str]:
    """``/a/{id}/b`` → a regex with named groups; ``{proxy+}`` takes the rest of the path."""
    regex = ""
    for literal, name in re.findall(r"([^{]*)(?:\{([^}]+)\})?", path):
        regex += re.escape(literal)
        if name:
            greedy = name.endswith("+")
            regex += f"(?P<{name.rstrip('+')}>{'.+' if greedy else '[^/]+'})"
    return re.compile(regex)


class LocalApi:
    """The HTTP API: routes from the template, each bound to its function."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.functions: dict[str, LocalFunction] = {}
        self.routes: list[Route] = []
        for route in cfn.http_routes(stack.template, stack.context):
            function = self._function(route.function)
            self.routes.append(Route(route.method, route.path, route_pattern(route.path), function))
        self.schedules = [
            (schedule, self._function(schedule.function))
            for schedule in cfn.schedules(stack.template, stack.context)
            if schedule.enabled
        ]
        self.stream_consumers = [
            self._function(spec) for spec in cfn.stream_consumers(stack.template, stack.context)
        ]

    def _function(self, spec: cfn.FunctionSpec) -> LocalFunction:
        if spec.logical_id not in self.functions:
            self.functions[spec.logical_id] = LocalFunction(spec)
        return self.functions[spec.logical_id]

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(target)
        for route in self.routes:
            parameters = route.match(method, url.path)
            if parameters is None:
                continue
            event = http_api_event(
                method,
                url.path,
                headers=headers,
                query=url.query,
                body=body,
                route_key=f"{route.method} {route.path}",
                path_parameters=parameters,
            )
            try:
                result = route.function.invoke(event)
            except Exception:
                traceback.print_exc()
                return _json(500, {"message": "Internal Server Error"})
            return _api_gateway_response(result)
        return _json(404, {"message": "Not Found"})


def _api_gateway_response(result: Any) -> tuple[int, dict[str, str], bytes]:
    """Translate a payload-2.0 function result the way API Gateway does."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return _json(200, result)
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name)] = ", ".join(str(v) for v in values)
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    return int(result["statusCode"]), headers, payload


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    """The server's own answers (no route, too large, a crash): nosniff like the functions' own."""
    # Imported here, not at the top: inbox.http imports inbox.observability, whose Metrics must be
    # created after the functions' environment (POWERTOOLS_METRICS_NAMESPACE) is set, as in Lambda.
    from inbox.http import SECURITY_HEADERS

    headers = {"Content-Type": "application/json", **SECURITY_HEADERS}
    return status, headers, json.dumps(body).encode()


# A query value whose name ends in "token" or "secret" (token, hub.verify_token, also percent-encoded).
_SECRET_QUERY_VALUE = re.compile(r"(?i)(?<=[?&])([\w.%-]*?(?:token|secret))=[^&\s'\"#]*")


def redacted(text: str) -> str:
    """``text`` with every secret-looking query value replaced: request lines never show a credential."""
    return _SECRET_QUERY_VALUE.sub(r"\1=[redacted]", text)


def make_server(api: LocalApi, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "chatrace-inbox-dev"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > API_GATEWAY_MAX_BODY:
                self.close_connection = True
                self._send(*_json(413, {"message": "Request Entity Too Large"}))
                return
            body = self.rfile.read(length) if length else None
            headers = {name.lower(): value for name, value in self.headers.items()}
            headers.setdefault("x-forwarded-proto", "http")
            self._send(*api.handle(self.command, self.path, headers, body))

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

        def do_HEAD(self) -> None:
            self._send(*_json(404, {"message": "Not Found"}))

        def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """A request the HTTP parser refused (bad request line, unknown method): JSON + nosniff."""
            self.close_connection = True
            self._send(*_json(code, {"message": message or HTTPStatus(code).phrase}))

        def log_message(self, format: str, *args: Any) -> None:
            outcome = args[1] if len(args) > 1 else ""
            line = f"[dev] {self.command} {getattr(self, 'path', '')} → {outcome}"
            sys.stderr.write(redacted(line) + "\n")

    server = _DevHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


class _DevHTTPServer(ThreadingHTTPServer):
    """A thread per connection, and a listen backlog for a burst: socketserver's default of 5 made
    the kernel drop the connections of 64 clients arriving at once (each retried a second later)."""

    request_queue_size = LISTEN_BACKLOG


def run_schedules(api: LocalApi, stop: threading.Event) -> list[threading.Thread]:
    """Invoke each scheduled function on its rate, as EventBridge would (the first run is at start)."""
    threads = []
    for schedule, function in api.schedules:
        period = cfn.rate_seconds(schedule.expression)

        def loop(
            function: LocalFunction = function, period: int = period, rule: str = schedule.event_name
        ) -> None:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    function.invoke(scheduled_event(rule))
                except Exception:
                    traceback.print_exc()
                # EventBridge fires on the rate whatever the last run took (a poller invocation
                # lasts most of its minute): the next run is due one period after this one began.
                stop.wait(max(0.0, period - (time.monotonic() - started)))

        thread = threading.Thread(target=loop, name=f"schedule-{schedule.event_name}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def start_event_feed(api: LocalApi) -> StreamFeeder | None:
    """The table's stream, emulated (inbox_dev.streams): new messages → the template's stream
    consumer, which publishes to the (moto) event bus; each published event is printed."""
    if not api.stream_consumers:
        return None
    from inbox.events import DETAIL_TYPE, SOURCE, new_inbound_message

    function = api.stream_consumers[0]
    bus = function.spec.environment.get("EVENT_BUS_NAME", "?")

    def show(record: dict[str, Any]) -> None:
        message = new_inbound_message(record)
        if message is not None:
            detail = json.dumps(message.to_json(), ensure_ascii=False)
            # one write, so a log line from another thread never lands inside it
            sys.stdout.write(f"[event] {SOURCE} / {DETAIL_TYPE} → {bus}: {detail}\n")
            sys.stdout.flush()

    install_insert_hook()
    return StreamFeeder(function.invoke, on_published=show).start()


def banner(api: LocalApi, base_url: str, operator: DevOperator | None = None) -> str:
    webhook = f"{base_url}/instagram/webhook"
    lines = [
        "",
        f"Chatrace → Instagram inbox, local: {base_url}  (AWS is moto in this process; Ctrl-C stops)",
        "",
        "Routes (from template.yaml):",
        *(f"  {r.method:<6} {base_url}{r.path}  → {r.function.name}" for r in api.routes),
    ]
    if api.schedules:
        lines += ["Schedules:", *(f"  {s.expression:<18} → {f.name}" for s, f in api.schedules)]
    for consumer in api.stream_consumers:
        bus = consumer.spec.environment.get("EVENT_BUS_NAME")
        lines.append(f"Events: new inbound messages → {consumer.name} → bus {bus} ([event] lines)")
    lines += ["", "Settings (from the environment):"]
    for variable, name in SECRET_VARIABLES.items():
        state = "set" if name in api.stack.seeded_secrets else "not set"
        lines.append(f"  {variable:<26} {state:<8} ({api.stack.settings_prefix}/{name})")
    lines += [*webhook_lines(api.stack), "", *polling_lines(api.stack)]
    secret_header = (
        ' -H "X-Webhook-Secret: $INBOX_WEBHOOK_SECRET"' if WEBHOOK_SECRET in api.stack.seeded_secrets else ""
    )
    seed = (
        '{"senderId":"123456789","messageId":"test-123","text":"Тестовое сообщение",'
        '"username":"test_user","timestamp":1731499200}'
    )
    lines += [
        "",
        "Try it:",
        f"  curl -s -X POST {webhook} -H 'Content-Type: application/json'{secret_header} \\",
        f"       -d '{seed}'",
        "  make send-samples",
        "",
    ]
    if operator is not None:
        lines += [*banner_lines(operator, base_url), ""]
    return "\n".join(lines)


def webhook_lines(stack: LocalStack) -> list[str]:
    """How the webhook treats deliveries: the rule the deployed webhook applies, with these settings."""
    state = protection(
        webhook_secret=WEBHOOK_SECRET in stack.seeded_secrets,
        meta_app_secret=META_APP_SECRET in stack.seeded_secrets,
        allow_unauthenticated=stack.context.parameters.get("AllowUnauthenticatedWebhook") == "true",
    )
    return {
        "checked": ["Webhook: checked — every delivery must carry the secret or Meta's signature"],
        "open": [
            "Webhook: OPEN — no secret set, anyone may deliver (dev only: AllowUnauthenticatedWebhook=true;",
            "  a deployed stack answers 503 until `make secrets` sets one;",
            "  INBOX_ALLOW_UNAUTHENTICATED_WEBHOOK=false tries that here)",
        ],
        "closed": [
            "Webhook: CLOSED — no secret set: every delivery is answered 503 'webhook authentication is not",
            "  configured' (set INBOX_WEBHOOK_SECRET, or leave INBOX_ALLOW_UNAUTHENTICATED_WEBHOOK unset)",
        ],
    }[state]


def polling_lines(stack: LocalStack) -> list[str]:
    """Whether the poller will poll, from the settings `make dev` was started with."""
    parameters = stack.context.parameters
    needed = {
        "INBOX_POLLING_ENABLED=true": parameters.get("PollingEnabled") == "true",
        "INBOX_CHATRACE_TOKEN": CHATRACE_TOKEN in stack.seeded_secrets,
        "INBOX_CHATRACE_ACCOUNT_ID": bool(parameters.get("ChatraceAccountId")),
        "INBOX_CHATRACE_INBOX_URL": bool(parameters.get("ChatraceInboxUrl")),
    }
    missing = [variable for variable, present in needed.items() if not present]
    if missing:
        return [
            f"Polling: off — needs {', '.join(missing)}",
            "  (`make fake-chatrace` serves a fake Chatrace inbox API and prints the variables to use)",
        ]
    return [
        f"Polling: on — every {parameters.get('PollIntervalSeconds')} s from {parameters['ChatraceInboxUrl']}"
        f" (account {parameters['ChatraceAccountId']})"
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve template.yaml's routes locally (moto, no Docker).")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    args = parser.parse_args(argv)
    console.install()

    with local_aws():
        stack, operator = provision_dev(os.environ)
        api = LocalApi(stack)
        try:
            server = make_server(api, args.host, args.port)
        except OSError as exc:
            print(
                f"cannot listen on {args.host}:{args.port}: {exc.strerror} (set PORT=… to use another port)",
                file=sys.stderr,
            )
            return 1
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
        print(
            banner(
                api,
                f"http://{'localhost' if args.host in ('127.0.0.1', '0.0.0.0') else args.host}:{args.port}",
                operator,
            ),
            flush=True,
        )
        run_schedules(api, stop)
        feeder = start_event_feed(api)
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            if feeder is not None:
                feeder.stop()
            server.server_close()
            print("\nstopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
