"""`make sam-local` without Docker: one local AWS for the session (the poller pointed at a fake
Chatrace) and ``invoke``, which runs a function in a process of its own (samlocal_support)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from inbox_dev import cfn
from inbox_dev.fake_chatrace import FakeChatrace
from inbox_dev.local_aws import TEMPLATE_PATH

from tests.samlocal.samlocal_support import (
    Invocation,
    Invoke,
    LocalAwsProcess,
    invoke_function,
    start_local_aws,
)


@pytest.fixture(scope="session")
def fake_chatrace() -> Iterator[FakeChatrace]:
    with FakeChatrace() as fake:
        yield fake


@pytest.fixture(scope="session")
def local_aws(
    tmp_path_factory: pytest.TempPathFactory, fake_chatrace: FakeChatrace
) -> Iterator[LocalAwsProcess]:
    """Started as a user would before `make sam-local`, with the poller pointed at the fake Chatrace."""
    settings = {
        "INBOX_CHATRACE_TOKEN": fake_chatrace.token,
        "INBOX_CHATRACE_ACCOUNT_ID": fake_chatrace.account_id,
        "INBOX_CHATRACE_INBOX_URL": fake_chatrace.inbox_url,
        "INBOX_POLLING_ENABLED": "true",
        "INBOX_POLL_INTERVAL_SECONDS": "2",
    }
    local = start_local_aws(tmp_path_factory.mktemp("sam-local") / "env.json", settings)
    yield local
    local.stop()


@pytest.fixture(scope="session")
def specs() -> dict[str, cfn.FunctionSpec]:
    template = cfn.load_template(TEMPLATE_PATH)
    return {spec.logical_id: spec for spec in cfn.functions(template, cfn.Context.for_template(template))}


@pytest.fixture
def invoke(local_aws: LocalAwsProcess, specs: dict[str, cfn.FunctionSpec], tmp_path: Path) -> Invoke:
    def run(function: str, event: dict[str, Any], *, timeout: int | None = None) -> Invocation:
        return invoke_function(local_aws, specs[function], event, tmp_path, timeout=timeout)

    return run
