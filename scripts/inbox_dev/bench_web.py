"""`make bench` (f): the web inbox's page weight and how long Chromium takes to show 500 conversations.

The weight is every file the page loads (``inbox.operator.web_inbox.ASSETS``), uncompressed. The timing runs
against a dev server of its own: 500 conversations are written through the webhook, then a fresh
browser logs in and the clock runs from the click on *Log in* to the first page (50) being listed,
and on to all 500 listed (the *More* button, 100 a page, as an operator would).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from inbox.operator.web_inbox import page_weight

TARGET_PAGE_BYTES = 60 * 1024
CONVERSATIONS = 500


def _seed(webhook_url: str, count: int) -> None:
    now = int(time.time())
    run = f"{time.time_ns():x}"[-8:]

    def send(n: int) -> None:
        body = {"senderId": f"bench-{run}-{n:03d}", "messageId": f"bench-{run}-{n}", "text": f"hello {n}"}
        httpx.post(webhook_url, json={**body, "username": f"user_{n:03d}", "timestamp": now - n}, timeout=60)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(send, range(count)))


def show_conversations(count: int = CONVERSATIONS) -> dict[str, float]:
    """Seconds from *Log in* to the first page listed and to all ``count`` conversations listed, and
    how much of it was spent waiting for the *More* pages' answers."""
    from playwright.sync_api import expect

    from inbox_dev.browser import chromium
    from inbox_dev.devprocess import start_dev_server, stop_dev_server
    from inbox_dev.secrets import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD

    server = start_dev_server(quiet=True)
    try:
        started = time.perf_counter()
        _seed(server.webhook_url, count)
        seeded = time.perf_counter() - started
        with chromium() as browser:
            page = browser.new_page()
            api_ms: list[float] = []  # the More pages' answers (the dev server on moto), not the page's work
            page.on(
                "requestfinished",
                lambda r: api_ms.append(r.timing["responseEnd"]) if "cursor=" in r.url else None,
            )
            page.goto(f"{server.base_url}/inbox")
            page.get_by_role("textbox", name="Email").fill(DEV_ADMIN_EMAIL)
            page.get_by_role("textbox", name="Password").fill(DEV_ADMIN_PASSWORD)
            entries = page.get_by_role("list", name="Conversations").get_by_role("listitem")
            clicked = time.perf_counter()
            page.get_by_role("button", name="Log in").click()
            expect(entries).to_have_count(50, timeout=60_000)
            first = time.perf_counter() - clicked
            more = page.get_by_role("button", name="More")
            while entries.count() < count:
                shown = entries.count()
                more.click()
                expect(entries).not_to_have_count(shown, timeout=60_000)
            everything = time.perf_counter() - clicked
    finally:
        stop_dev_server(server)
    return {"seed_s": seeded, "first_page_s": first, "all_s": everything, "more_api_s": sum(api_ms) / 1000}


def report() -> None:
    weight = page_weight()
    ok = weight < TARGET_PAGE_BYTES
    print("(f) web inbox (GET /inbox)")
    verdict = "meets target" if ok else "MISSES target"
    print(f"    page weight, uncompressed   {weight / 1024:7.1f} KB   target < 60 KB  {verdict}")
    timing = show_conversations()
    seeded = f"{timing['seed_s']:.1f} s"
    print(f"    {CONVERSATIONS} conversations written through the webhook in {seeded}; then in Chromium:")
    print(f"    log in → first 50 listed    {timing['first_page_s'] * 1000:7.0f} ms")
    print(f"    log in → all {CONVERSATIONS} listed (More, 5 times) {timing['all_s'] * 1000:5.0f} ms")
    api = timing["more_api_s"] * 1000
    print(f"      of which the 4 More answers took {api:5.0f} ms (moto: a Query reads the whole table)\n")
