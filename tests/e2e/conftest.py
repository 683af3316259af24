"""The local server (`make dev`) started as a user would start it, on a free port."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from inbox_dev.browser import chromium
from inbox_dev.devprocess import DevServer, start_dev_server, stop_dev_server
from inbox_dev.fake_chatrace import FakeChatrace
from playwright.sync_api import Browser

from tests.e2e.web_inbox_support import Watched, close_and_check, open_inbox

# The operator API in-process, for the production tool's tests (test_make_secrets*.py).
from tests.integration.conftest import call, config_module, token  # noqa: F401 - fixtures


@pytest.fixture(scope="session")
def dev_server() -> Iterator[DevServer]:
    """The local server; with INBOX_E2E_BASE_URL set, a deployed stack instead (nothing is started)."""
    deployed = os.environ.get("INBOX_E2E_BASE_URL")
    if deployed:
        yield DevServer(deployed.rstrip("/"), None)
        return
    server = start_dev_server()
    yield server
    stop_dev_server(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole run (each test opens its own context, which is cheap)."""
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeChatrace]:
    """A fake Chatrace API for one module's server (a module wanting other faults overrides it)."""
    with FakeChatrace() as running:
        yield running


@pytest.fixture
def inbox(browser: Browser, server: DevServer) -> Iterator[Watched]:
    """The web inbox of the module's own ``server`` in a fresh browser context; the test fails on a
    console error or a request to another origin (web_inbox_support)."""
    watched = open_inbox(browser, server.base_url)
    yield watched
    close_and_check(watched)
