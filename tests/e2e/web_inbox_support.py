"""Driving the web inbox in Chromium the way a person does — by roles and labels only — while
watching that it logs no console error and requests nothing from another origin.

Customer media in these tests lives on ``cdn.example.test``, a host that does not exist: the page
must load an image attachment from the URL the message carries, so the watcher answers that host
itself with a 1x1 PNG (recorded in ``media``). Any other request off the page's origin is aborted
and fails the test.
"""

from __future__ import annotations

import base64
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from inbox_dev.devprocess import DevServer
from inbox_dev.secrets import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect

from tests.bodies import meta_body, meta_item

FAKE_CDN = "cdn.example.test"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
SCREENSHOTS = (
    Path(os.environ.get("INBOX_SCREENSHOTS_DIR", "")) if os.environ.get("INBOX_SCREENSHOTS_DIR") else None
)


@dataclass
class Watched:
    page: Page
    origin: str
    console_errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    expected_errors: list[str] = field(default_factory=list)

    def expect_error(self, pattern: str) -> None:
        """A console error the test provokes on purpose (Chromium logs every failed fetch)."""
        self.expected_errors.append(pattern)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.console_errors if not any(re.search(p, e) for p in self.expected_errors)]


def open_inbox(browser: Browser, base_url: str, **context: Any) -> Watched:
    ctx = browser.new_context(accept_downloads=True, **context)
    page = ctx.new_page()
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
    watched = Watched(page, origin)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.console_errors.append(message.text)

    def route(route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == origin or parts.scheme in ("blob", "data"):
            route.continue_()
        elif parts.hostname == FAKE_CDN:
            watched.media.append(url)
            route.fulfill(status=200, body=PNG, content_type="image/png")
        else:
            watched.foreign.append(url)
            route.abort()

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.console_errors.append(f"uncaught: {error}"))
    ctx.route("**/*", route)
    page.goto(f"{base_url}/inbox")
    return watched


def close_and_check(watched: Watched) -> None:
    try:
        assert watched.foreign == [], f"requests to another origin: {watched.foreign}"
        assert watched.unexpected_errors() == [], f"console errors: {watched.unexpected_errors()}"
    finally:
        watched.page.context.close()


def log_in(page: Page, email: str = DEV_ADMIN_EMAIL, password: str = DEV_ADMIN_PASSWORD) -> None:
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def logged_in(watched: Watched) -> Page:
    log_in(watched.page)
    expect(watched.page.get_by_role("button", name="Log out")).to_be_visible()
    return watched.page


def conversation(page: Page, name: str) -> Any:
    """The entry of the list named Conversations whose text shows ``name`` (username or sender id)."""
    return page.get_by_role("list", name="Conversations").get_by_role("button").filter(has_text=name)


def deliver(server: DevServer, body: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(server.webhook_url, json=body, timeout=30)
    assert answer.status_code in (200, 202), answer.text
    result: dict[str, Any] = answer.json()
    return result


def text_message(
    sender: str,
    text: str,
    *,
    username: str | None = None,
    age_seconds: int = 0,
    message_id: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "senderId": sender,
        "messageId": message_id or f"{sender}-{time.monotonic_ns()}",
        "text": text,
        "timestamp": int(time.time()) - age_seconds,
    }
    if username is not None:
        body["username"] = username
    return body


def meta_message(sender: str, event: dict[str, Any], *, age_seconds: int = 0) -> dict[str, Any]:
    """Meta's own webhook body with one ``messaging`` item; ``event`` is ``{"message": …}`` or
    ``{"reaction": …}``."""
    ms = int(time.time() * 1000) - age_seconds * 1000
    return meta_body(meta_item(sender, ms, **event), time=ms)


def screenshot(page: Page, name: str, tmp_dir: Path) -> Path:
    """A screenshot of a main screen: into docs/screenshots/ with INBOX_SCREENSHOTS_DIR (`make
    screenshots`), else into the test's temporary folder (so `make test` leaves the tree clean)."""
    folder = SCREENSHOTS or tmp_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    return path
