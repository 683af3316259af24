"""The web inbox against hostile customer data (nothing renders or runs) and on a 375 px phone.

Every customer-controlled field carries HTML and script: the sender id, the username, the text,
attachment types and URLs (``javascript:``, ``data:``, quotes inside an https URL), a kept body and
the search words. Each payload would set ``window.__xss``, open a dialog, or add an element with an
``id`` starting ``pwn``; the page must show them as text, with only http(s) links and media.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from inbox_dev.devprocess import DevServer, start_dev_server, stop_dev_server
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.e2e.web_inbox_support import (
    FAKE_CDN,
    Watched,
    close_and_check,
    conversation,
    deliver,
    logged_in,
    open_inbox,
    screenshot,
    text_message,
)

pytestmark = pytest.mark.e2e

SCRIPT = "<script>window.__xss = 1</script>"
IMG = "<img id=pwn1 src=x onerror=\"window.__xss = 2; alert('x')\">"
SVG = '<svg id=pwn2 onload="window.__xss = 3"></svg>'


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    server = start_dev_server(quiet=True)
    yield server
    stop_dev_server(server)


@pytest.fixture
def phone(browser: Browser, server: DevServer) -> Iterator[Watched]:
    watched = open_inbox(
        browser, server.base_url, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    yield watched
    close_and_check(watched)


def nothing_ran(page: Page, dialogs: list[str]) -> None:
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    assert page.locator("[id^=pwn]").count() == 0
    assert page.locator("script").count() == 1  # the page's own module, nothing added
    for link in page.locator("a[href]").all():
        assert (link.get_attribute("href") or "").startswith(("https://", "http://"))
        assert link.get_attribute("rel") == "noopener noreferrer"
    for media in page.locator("img[src], video[src], audio[src]").all():
        assert (media.get_attribute("src") or "").startswith(("https://", "http://"))


def test_html_and_script_in_every_customer_field_render_as_text_and_never_run(
    inbox: Watched, server: DevServer
) -> None:
    run = uuid.uuid4().hex[:8]
    page = inbox.page
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    sender = f"{IMG}{run}"
    # Given a customer whose id, username and text are markup, with hostile attachments
    deliver(
        server,
        {
            "senderId": sender,
            "messageId": f"xss-{run}",
            "username": f"{SVG}{run}",
            "text": f"{SCRIPT} {IMG} <a href=javascript:alert(1)>click</a>",
            "timestamp": int(time.time()) - 30,
            "attachments": [
                {"type": "image", "url": "javascript://%0Awindow.__xss=4"},
                {"type": "video", "url": "data:text/html,<script>window.__xss=5</script>"},
                {"type": "image", "url": f'https://{FAKE_CDN}/a"><img id=pwn3 src=x onerror=alert(1)>.png'},
                {"type": f"<b id=pwn4>{run}</b>", "url": "javascript://%0Aalert(2)"},
                {"type": "share", "url": f'https://{FAKE_CDN}/post?q="><script>alert(3)</script>'},
            ],
        },
    )
    # and a body nothing could read, made of markup
    kept = deliver(server, {f"<img id=pwn5 src=x onerror=alert(6)>{run}": SCRIPT})
    assert kept["status"] == "unrecognized"
    logged_in(inbox)
    # When the operator sees the list, opens the conversation, searches and looks at kept bodies
    entry = conversation(page, run).first
    expect(entry).to_contain_text(f"@{SVG}{run}")
    entry.click()
    thread = page.get_by_role("list", name="Messages")
    expect(thread.get_by_role("listitem")).to_have_count(1)
    # Then the markup is shown as the text it is
    expect(thread).to_contain_text(f"{SCRIPT} {IMG} <a href=javascript:alert(1)>click</a>")
    expect(page.get_by_role("heading", level=2).filter(has_text=run)).to_have_text(f"@{SVG}{run}")
    expect(thread.locator("img")).to_have_count(1)  # only the https image; the javascript: one is text
    expect(thread).to_contain_text("not an http(s) link")
    nothing_ran(page, dialogs)
    search = page.get_by_role("searchbox", name="Search")
    search.fill(f"{IMG}")
    search.press("Enter")
    expect(page.get_by_role("list", name="Search results")).to_contain_text(f"@{SVG}{run}")
    expect(page.get_by_text(f"for “{IMG}”")).to_be_visible()
    nothing_ran(page, dialogs)
    page.get_by_role("button", name="Unreadable").click()
    expect(page.get_by_role("list", name="Unreadable deliveries")).to_contain_text(
        f"<img id=pwn5 src=x onerror=alert(6)>{run}"
    )
    nothing_ran(page, dialogs)


def page_width(page: Page) -> int:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def test_on_a_375_px_phone_nothing_scrolls_sideways_and_list_and_thread_are_reachable(
    phone: Watched, server: DevServer, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    long_word = "x" * 300
    deliver(
        server,
        text_message(f"phone-{run}", f"{long_word} https://{FAKE_CDN}/{long_word}", username=f"p_{run}"),
    )
    page = phone.page
    assert page_width(page) <= 375  # the login form
    logged_in(phone)
    entry = conversation(page, f"@p_{run}")
    expect(entry).to_be_visible()
    assert page_width(page) <= 375
    screenshot(page, "phone-list", tmp_path)
    # When a conversation is opened, the thread takes the screen, the list steps aside
    entry.click()
    expect(page.get_by_role("list", name="Messages").get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_role("textbox", name="Reply")).to_be_visible()
    expect(page.get_by_role("list", name="Conversations")).to_be_hidden()
    assert page_width(page) <= 375
    screenshot(page, "phone-thread", tmp_path)
    # and the way back reaches the list again
    page.get_by_role("button", name="Back to the list").click()
    expect(entry).to_be_visible()
    assert page_width(page) <= 375
    for view in ("Unreadable", "Setup", "Inbox"):
        page.get_by_role("button", name=view).click()
        assert page_width(page) <= 375, view
