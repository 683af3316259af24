"""Debian's Chromium under Playwright, for the web inbox's browser tests and `make bench`.

Playwright cannot download its own browsers here (and CI must not depend on a download): it drives
``/usr/bin/chromium``, which ``scripts/bootstrap.sh`` installs when missing. Without the
background-networking flags Chromium keeps calling Google's services, which a closed network answers
with floods of failed requests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = os.environ.get("INBOX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(
            f"{CHROMIUM} is missing: run scripts/bootstrap.sh as root or `apt-get install chromium`"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
