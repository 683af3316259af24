"""The operator's web inbox (`GET /inbox`) in Chromium against `make dev` with the fake Chatrace.

Every test drives the page only by roles and labels (textbox Email, textbox Password, button Log in,
button Log out, list Conversations, button More, textbox Reply, button Send, searchbox Search) and
fails on any console error or any request to another origin (see web_inbox_support).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from inbox_dev.devprocess import DevServer, start_dev_server, stop_dev_server
from inbox_dev.fake_chatrace import FakeChatrace
from playwright.sync_api import Locator, Page, expect

from tests.e2e.web_inbox_support import (
    FAKE_CDN,
    Watched,
    conversation,
    deliver,
    log_in,
    logged_in,
    meta_message,
    screenshot,
    text_message,
)

pytestmark = pytest.mark.e2e

JWT_SECRET = "browser-tests-signing-secret-of-enough-bytes"


@pytest.fixture(scope="module")
def server(fake: FakeChatrace) -> Iterator[DevServer]:
    server = start_dev_server(
        {
            "INBOX_CHATRACE_TOKEN": fake.token,
            "INBOX_CHATRACE_API_URL": fake.base_url,
            "INBOX_JWT_SECRET": JWT_SECRET,
        },
        quiet=True,
    )
    yield server
    stop_dev_server(server)


def run_id() -> str:
    return uuid.uuid4().hex[:8]


def open_thread(inbox: Watched, server: DevServer, sender: str, text: str, age_seconds: int) -> Locator:
    """Logged in, with ``sender``'s message delivered and its conversation open: the thread's items."""
    deliver(server, text_message(sender, text, age_seconds=age_seconds))
    page = logged_in(inbox)
    conversation(page, sender).click()
    return page.get_by_role("list", name="Messages").get_by_role("listitem")


def send(page: Page, text: str) -> None:
    page.get_by_role("textbox", name="Reply").fill(text)
    page.get_by_role("button", name="Send").click()


# ------------------------------------------------------------------------------------ the page itself


def test_the_page_is_served_with_a_strict_policy_and_revalidated(server: DevServer) -> None:
    # Given the stack's page, When it is fetched twice (the second time with its ETag)
    first = httpx.get(f"{server.base_url}/inbox", timeout=30)
    again = httpx.get(
        f"{server.base_url}/inbox", headers={"If-None-Match": first.headers["ETag"]}, timeout=30
    )
    # Then it is HTML with a CSP that allows no inline or foreign script, and unchanged costs a 304
    assert first.status_code == 200
    assert first.headers["Content-Type"].startswith("text/html")
    policy = first.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "require-trusted-types-for 'script'" in policy
    assert first.headers["Cache-Control"] == "no-cache"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in policy
    assert first.headers["X-Frame-Options"] == "DENY"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert again.status_code == 304
    assert "<script>" not in first.text  # scripts only as files of this origin
    assert httpx.get(f"{server.base_url}/inbox/secrets.txt", timeout=30).status_code == 404


# ------------------------------------------------------------------------------------ logging in and out


def test_a_wrong_password_says_so_and_the_right_one_logs_in_and_out(inbox: Watched, tmp_path: Path) -> None:
    page = inbox.page
    screenshot(page, "login", tmp_path)
    inbox.expect_error(r"status of 401")  # Chromium logs the refused login's 401
    # When the password is wrong
    log_in(page, password="not-the-password")
    # Then the form says so and stays
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    # When the right one is given
    log_in(page)
    # Then the inbox shows, and the token is in sessionStorage only
    expect(page.get_by_role("list", name="Conversations")).to_be_attached()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('inbox.token')")
    assert page.evaluate("localStorage.length") == 0
    # When the operator logs out
    page.get_by_role("button", name="Log out").click()
    # Then the login form is back and the token is gone
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('inbox.token')") is None


def test_an_expired_token_returns_to_the_login_form(inbox: Watched) -> None:
    page = logged_in(inbox)
    # Given the page's own token, re-signed (with the server's secret) to have expired an hour ago
    claims = jwt.decode(
        page.evaluate("sessionStorage.getItem('inbox.token')"), options={"verify_signature": False}
    )
    issued = int((datetime.now(UTC) - timedelta(hours=1)).timestamp())
    expired = jwt.encode({**claims, "iat": issued, "exp": issued + 60}, JWT_SECRET, algorithm="HS256")
    inbox.expect_error(r"status of 401")
    page.evaluate("token => sessionStorage.setItem('inbox.token', token)", expired)
    # When the page next talks to the API (its periodic refresh)
    # Then it is back at the login form, saying why
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("alert")).to_contain_text("session has ended")
    assert page.evaluate("sessionStorage.getItem('inbox.token')") is None


# ------------------------------------------------------------------------------------ conversations


def test_conversations_newest_first_with_preview_time_marker_and_window(
    inbox: Watched, server: DevServer, tmp_path: Path
) -> None:
    run = run_id()
    # Given an old conversation (window closed), one without a username, and a newer one with one
    deliver(server, text_message(f"old-{run}", f"hello from last week {run}", age_seconds=3 * 86400))
    deliver(server, text_message(f"anon-{run}", f"no name here {run}", age_seconds=120))
    deliver(server, text_message(f"named-{run}", f"hi there {run}", username=f"vera_{run}", age_seconds=60))
    page = logged_in(inbox)
    # Then the list shows them newest first, by username or else by sender id
    named = conversation(page, f"@vera_{run}")
    anon = conversation(page, f"anon-{run}")
    old = conversation(page, f"old-{run}")
    expect(named).to_contain_text(f"hi there {run}")
    entries = page.get_by_role("list", name="Conversations").get_by_role("button")
    texts = entries.all_inner_texts()
    order = [
        next(i for i, t in enumerate(texts) if key in t)
        for key in (f"vera_{run}", f"anon-{run}", f"old-{run}")
    ]
    assert order == sorted(order)
    # each with its time, an unanswered marker, and whether the reply window is open
    expect(named.locator("time")).to_have_count(1)
    expect(named).to_contain_text("Unanswered")
    expect(named).to_contain_text("Window open until")
    expect(anon).to_contain_text(f"no name here {run}")
    expect(old).to_contain_text("Window closed")
    screenshot(page, "conversations", tmp_path)


def test_more_loads_the_next_page_of_conversations(inbox: Watched, server: DevServer) -> None:
    run = run_id()
    # Given more conversations than one page holds (50), the oldest of them written first
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda n: deliver(
                    server, text_message(f"page-{run}-{n:02d}", f"n{n}", age_seconds=40 * 86400 - n)
                ),
                range(52),
            )
        )
    page = logged_in(inbox)
    first = conversation(page, f"page-{run}-51")
    # Then the newest are not all on the first page, and More brings the rest
    expect(page.get_by_role("list", name="Conversations").get_by_role("listitem").first).to_be_visible()
    expect(conversation(page, f"page-{run}-00")).to_have_count(0)
    more = page.get_by_role("button", name="More")
    entries = page.get_by_role("list", name="Conversations").get_by_role("listitem")
    while conversation(page, f"page-{run}-00").count() == 0:
        shown = entries.count()
        more.click()
        expect(entries).not_to_have_count(shown)
    expect(conversation(page, f"page-{run}-00")).to_have_count(1)
    assert first.count() == 1


# ------------------------------------------------------------------------------------ one conversation


def test_a_thread_shows_messages_in_order_with_direction_time_source_and_media(
    inbox: Watched, server: DevServer, fake: FakeChatrace, tmp_path: Path
) -> None:
    run = run_id()
    sender = f"media-{run}"
    cdn = f"https://{FAKE_CDN}/{run}"
    # Given a customer who wrote text, then sent an image, a video, a voice note, a shared post and
    # mentioned the business in a story
    deliver(server, text_message(sender, "first, plain text", username=f"mila_{run}", age_seconds=300))
    attachments = [
        {"type": "image", "payload": {"url": f"{cdn}/photo.png"}},
        {"type": "video", "payload": {"url": f"{cdn}/clip.mp4"}},
        {"type": "audio", "payload": {"url": f"{cdn}/voice.mp4"}},
        {"type": "share", "payload": {"url": f"{cdn}/post"}},
        {"type": "story_mention", "payload": {"url": f"{cdn}/story"}},
    ]
    deliver(
        server,
        meta_message(sender, {"message": {"mid": f"mid-{run}", "attachments": attachments}}, age_seconds=200),
    )
    page = logged_in(inbox)
    # When the conversation is opened
    conversation(page, f"@mila_{run}").click()
    thread = page.get_by_role("list", name="Messages")
    items = thread.get_by_role("listitem")
    expect(items).to_have_count(2)
    # Then its messages are in order, told apart, each with time and source
    expect(items.nth(0)).to_contain_text("first, plain text")
    expect(items.nth(0)).to_contain_text("Customer")
    expect(items.nth(0)).to_contain_text("via webhook")
    expect(items.nth(0).locator("time")).to_have_count(1)
    # and attachments are what they are: the image from the message's URL, players, links
    image = items.nth(1).get_by_role("img")
    expect(image).to_have_attribute("src", f"{cdn}/photo.png")
    expect(items.nth(1).locator("video")).to_have_attribute("src", f"{cdn}/clip.mp4")
    expect(items.nth(1).locator("audio")).to_have_attribute("src", f"{cdn}/voice.mp4")
    share = items.nth(1).get_by_role("link", name=re.compile("Shared post"))
    expect(share).to_have_attribute("href", f"{cdn}/post")
    expect(share).to_have_attribute("rel", "noopener noreferrer")
    expect(items.nth(1).get_by_role("link", name=re.compile("Story"))).to_have_attribute(
        "href", f"{cdn}/story"
    )
    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert f"{cdn}/photo.png" in inbox.media
    # When the operator answers with Enter (Shift+Enter made a new line)
    box = page.get_by_role("textbox", name="Reply")
    box.fill("Thanks!")
    box.press("Shift+Enter")
    box.type("Size M is in stock.")
    box.press("Enter")
    # Then the reply reaches Chatrace once, and shows as ours, sent
    expect(items).to_have_count(3)
    expect(items.nth(2)).to_contain_text("You")
    expect(items.nth(2)).to_contain_text("Sent")
    expect(items.nth(2)).to_contain_text("via operator")
    sent = [s["body"]["text"] for s in fake.sent if s["contactId"] == sender]
    assert sent == ["Thanks!\nSize M is in stock."]
    expect(box).to_have_value("")
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    expect(conversation(page, f"@mila_{run}")).not_to_contain_text("Unanswered")
    screenshot(page, "thread", tmp_path)


def test_a_closed_window_disables_the_reply_with_the_reason(inbox: Watched, server: DevServer) -> None:
    items = open_thread(inbox, server, f"late-{run_id()}", "are you there?", age_seconds=2 * 86400)
    page = inbox.page
    expect(items).to_have_count(1)
    expect(page.get_by_role("textbox", name="Reply")).to_be_disabled()
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    expect(page.get_by_text(re.compile("Reply window closed since .*24 hours")).first).to_be_visible()


def test_a_failed_reply_shows_chatraces_reason_and_can_be_retried(
    inbox: Watched, server: DevServer, fake: FakeChatrace
) -> None:
    sender = f"retry-{run_id()}"
    items = open_thread(inbox, server, sender, "price?", age_seconds=30)
    # Given Chatrace refuses the next send
    fake.fail("error200")
    inbox.expect_error(r"status of 502")
    send(inbox.page, "It is 20 EUR.")
    # Then the reply shows as failed with Chatrace's reason, and a Retry
    expect(items.nth(1)).to_contain_text("Failed: Temporary failure, try again")
    # When it is retried
    items.nth(1).get_by_role("button", name="Retry").click()
    # Then the same reply is sent (no second message) and shows as sent
    expect(items.nth(1)).to_contain_text("Sent")
    expect(items).to_have_count(2)
    assert [s["body"]["text"] for s in fake.sent if s["contactId"] == sender] == ["It is 20 EUR."]


# ------------------------------------------------------------------------------------ search, export


def test_search_finds_a_message_by_word_and_by_sender_and_opens_it(inbox: Watched, server: DevServer) -> None:
    run = run_id()
    deliver(server, text_message(f"s-{run}", f"do you have the zebra{run} scarf?", username=f"sasha_{run}"))
    deliver(server, text_message(f"t-{run}", "something else", username=f"tom_{run}"))
    page = logged_in(inbox)
    search = page.get_by_role("searchbox", name="Search")
    results = page.get_by_role("list", name="Search results")
    # When searching a word of the text
    search.fill(f"ZEBRA{run}")
    search.press("Enter")
    # Then the message is found (and only it)
    expect(results.get_by_role("listitem")).to_have_count(1)
    expect(results).to_contain_text(f"@sasha_{run}")
    # When searching by the sender's username
    search.fill(f"@tom_{run}")
    search.press("Enter")
    expect(results.get_by_role("listitem")).to_have_count(1)
    expect(results).to_contain_text("something else")
    # And opening the result shows that conversation
    results.get_by_role("button").click()
    expect(page.get_by_role("heading", name=f"@tom_{run}")).to_be_visible()
    expect(page.get_by_role("list", name="Messages")).to_contain_text("something else")


def test_a_conversation_exports_as_csv_and_json(inbox: Watched, server: DevServer) -> None:
    run = run_id()
    sender = f"x-{run}"
    deliver(server, text_message(sender, "=1+1 Привет", username=f"xena_{run}", age_seconds=20))
    deliver(server, text_message(sender, "second", age_seconds=10))
    page = logged_in(inbox)
    conversation(page, f"@xena_{run}").click()
    expect(page.get_by_role("list", name="Messages").get_by_role("listitem")).to_have_count(2)
    # When the operator exports the conversation as CSV, then as JSON
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Export CSV").click()
    with page.expect_download() as json_download:
        page.get_by_role("button", name="Export JSON").click()
    # Then the files are named after the conversation, the CSV with a BOM and the formula defused
    csv_file = csv_download.value
    assert re.fullmatch(rf"conversation-{sender}-\d{{8}}\.csv", csv_file.suggested_filename)
    raw = Path(csv_file.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "'=1+1 Привет" in raw.decode("utf-8")
    exported = json.loads(Path(json_download.value.path()).read_text(encoding="utf-8"))
    assert [m["text"] for m in exported["messages"]] == ["=1+1 Привет", "second"]


# ------------------------------------------------------------------------------------ unreadable, setup


def test_an_unreadable_body_is_shown_and_replayed_after_a_field_map_change(
    inbox: Watched, server: DevServer
) -> None:
    run = run_id()
    # Given a body no adapter knows (kept as unrecognized)
    answer = deliver(server, {"payload": {"contact": {"id": f"fm-{run}"}, "msg": f"kept text {run}"}})
    assert answer["status"] == "unrecognized"
    page = logged_in(inbox)
    # When the operator looks at what could not be read
    page.get_by_role("button", name="Unreadable").click()
    kept = (
        page.get_by_role("list", name="Unreadable deliveries")
        .get_by_role("listitem")
        .filter(has_text=f"kept text {run}")
    )
    expect(kept).to_have_count(1)
    # and, after a field map that knows the body (the existing API), replays it
    token = page.evaluate("sessionStorage.getItem('inbox.token')")
    field_map = {"fieldMap": {"senderId": ["payload.contact.id"], "text": ["payload.msg"]}}
    put = httpx.put(
        f"{server.base_url}/instagram/config",
        json=field_map,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert put.status_code == 200, put.text
    kept.get_by_role("button", name="Replay").click()
    # Then its message is stored, and its conversation is in the inbox
    expect(kept).to_contain_text("Replayed: stored, 1 message(s).")
    page.get_by_role("button", name="Inbox").click()
    expect(conversation(page, f"fm-{run}")).to_contain_text(f"kept text {run}")


def test_the_setup_view_shows_checks_polling_and_token_health_read_only(
    inbox: Watched, tmp_path: Path
) -> None:
    page = logged_in(inbox)
    page.get_by_role("button", name="Setup").click()
    setup = page.locator("#setup")
    expect(setup).to_contain_text("Webhook URL")
    expect(setup).to_contain_text("/instagram/webhook")
    expect(setup).to_contain_text("Check webhookSecret")
    expect(setup).to_contain_text("Polling")
    expect(setup).to_contain_text("Chatrace token health")
    expect(setup).to_contain_text("Secret chatraceToken")
    expect(page.get_by_role("region", name="Setup").get_by_role("textbox")).to_have_count(0)
    screenshot(page, "setup", tmp_path)


# ------------------------------------------------------------------------------------ live updates


def test_new_messages_appear_without_reloading(inbox: Watched, server: DevServer) -> None:
    run = run_id()
    thread = open_thread(inbox, server, f"live-{run}", "first", age_seconds=5)
    page = inbox.page
    expect(thread).to_have_count(1)
    # When the open conversation's customer writes again, and a new customer writes
    deliver(server, text_message(f"live-{run}", f"second {run}"))
    deliver(server, text_message(f"new-{run}", f"I am new {run}"))
    # Then both show up without a reload (the page polls every few seconds while visible)
    expect(thread).to_have_count(2, timeout=20_000)
    expect(thread.nth(1)).to_contain_text(f"second {run}")
    expect(conversation(page, f"new-{run}")).to_contain_text(f"I am new {run}", timeout=20_000)


# ------------------------------------------------------------------------------------ reactions


def test_a_reaction_shows_on_the_message_it_reacts_to_and_is_no_new_message(
    inbox: Watched, server: DevServer
) -> None:
    run = run_id()
    sender = f"react-{run}"
    deliver(
        server,
        meta_message(sender, {"message": {"mid": f"m-{run}", "text": "Here is my order"}}, age_seconds=60),
    )
    page = logged_in(inbox)
    entry = conversation(page, sender)
    expect(entry).to_contain_text("Here is my order")
    # When the customer reacts to that message (and Meta delivers the reaction twice)
    react = {"reaction": {"mid": f"m-{run}", "action": "react", "reaction": "love", "emoji": "😍"}}
    for _ in range(2):
        answer = deliver(server, meta_message(sender, react, age_seconds=30))
        assert answer["status"] == "ignored"
    entry.click()
    thread = page.get_by_role("list", name="Messages").get_by_role("listitem")
    # Then the thread shows it once, on that message, and no message was added
    expect(thread).to_have_count(1)
    expect(thread.nth(0).get_by_label("Reactions")).to_have_text("😍")
    expect(entry).to_contain_text("Here is my order")


def test_a_reply_shows_sending_until_chatrace_answers(
    inbox: Watched, server: DevServer, fake: FakeChatrace
) -> None:
    items = open_thread(inbox, server, f"slow-{run_id()}", "hello?", age_seconds=30)
    page = inbox.page
    expect(items).to_have_count(1)
    # Given Chatrace takes a while to answer
    fake.fail("slow")
    page.get_by_role("textbox", name="Reply").fill("One moment, checking.")
    page.get_by_role("textbox", name="Reply").press("Enter")
    # Then the reply shows as sending, then as sent
    expect(items.nth(1)).to_contain_text("Sending…")
    expect(items.nth(1)).to_contain_text("One moment, checking.")
    expect(items.nth(1)).to_contain_text("Sent", timeout=15_000)
    expect(items).to_have_count(2)


def test_a_reply_whose_outcome_is_unknown_says_so_and_offers_no_retry(
    inbox: Watched, server: DevServer, fake: FakeChatrace
) -> None:
    items = open_thread(inbox, server, f"unknown-{run_id()}", "still there?", age_seconds=30)
    # Given Chatrace answers the send with a 500 (it may or may not have sent it)
    fake.fail("500")
    inbox.expect_error(r"status of 50\d")
    send(inbox.page, "Yes, here.")
    # Then the reply says its outcome is unknown, and nothing invites a second send
    expect(items.nth(1)).to_contain_text("Unknown (not retried: it may have reached the customer)")
    expect(items.nth(1).get_by_role("button", name="Retry")).to_have_count(0)
