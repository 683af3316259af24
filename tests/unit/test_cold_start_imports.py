"""What a function's cold start imports: modules only its rare paths use stay out of it.

Each handler is imported as Lambda (and ``make bench``'s (a)) imports it, in a fresh process, and the
test reads ``sys.modules`` afterwards. The modules listed here are imported inside the function that
uses them (a local import with a comment saying why); a module-level import of one of them would put
it back into every cold start of that function (docs/performance.md (a)). Asserts modules, never times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from inbox_dev.local_aws import REPO_ROOT

OPERATOR_RECORDS = "inbox.storage.records"
"""Kept bodies, conversations, login counters: only the operator API reads them back."""
ADAPTERS = tuple(
    f"inbox.normalize.{name}"
    for name in (
        "dispatch",
        "fieldmap",
        "meta",
        "nested",
        "manychat",
        "chatrace",
        "flat",
        "wrappers",
        "conflicts",
    )
)
"""The normalizer proper: the webhook (and the operator's replay) read bodies; the poller reads
Chatrace's inbox rows with the helpers only (coerce, context, timestamps)."""
OTHER_FUNCTIONS = ("inbox.operator", "inbox.webhook.ingest", "inbox.polling.invocation", "inbox.events")

NOT_AT_COLD_START: dict[str, tuple[str, ...]] = {
    "webhook": (OPERATOR_RECORDS, "inbox.storage.readers", "inbox.normalize.shapes"),
    "poller": (OPERATOR_RECORDS, "inbox.storage.readers", *ADAPTERS, "inbox.normalize.shapes"),
    "events": (
        OPERATOR_RECORDS,
        "inbox.storage.readers",
        "inbox.storage.store",
        "inbox.storage.fingerprints",
        *ADAPTERS,
        "inbox.normalize.shapes",
    ),
}
OWN_LOGIC = {
    "webhook": "inbox.webhook.ingest",
    "poller": "inbox.polling.invocation",
    "events": "inbox.events",
}
"""A module each handler must load, so a probe that imported nothing cannot pass."""

_PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("lambda_app", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(sorted(sys.modules)))
"""


def modules_after_cold_start(function: str) -> set[str]:
    """``sys.modules`` once ``functions/<function>/app.py`` has run, in a fresh process with the
    environment the template gives the function (fake credentials: nothing is called at import)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_", "INBOX_"))}
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # moto-style fake credentials
        TABLE_NAME="cold-start-table",
        SETTINGS_PREFIX="/cold-start",
        EVENT_BUS_NAME="cold-start-bus",
        POWERTOOLS_SERVICE_NAME=function,
        POWERTOOLS_TRACE_DISABLED="true",
    )
    probe = _PROBE.format(path=str(REPO_ROOT / "functions" / function / "app.py"))
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("function", sorted(NOT_AT_COLD_START))
def test_cold_start_leaves_out_what_only_rare_paths_use(function: str) -> None:
    loaded = modules_after_cold_start(function)

    assert OWN_LOGIC[function] in loaded
    assert sorted(loaded & set(NOT_AT_COLD_START[function])) == []
    others = {name for name in loaded if name.startswith(OTHER_FUNCTIONS) and name != OWN_LOGIC[function]}
    assert sorted(others) == []
