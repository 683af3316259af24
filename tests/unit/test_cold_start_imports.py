"""What a function's cold start imports: modules only its rare paths use stay out of it.

Each handler is imported as ``make bench``'s (a) imports it (tests/unit/test_config_cold_start.py
does the same for the config function), and the test reads ``sys.modules`` afterwards. The modules
listed here are imported inside the function that uses them (a local import with a comment saying
why); a module-level import of one of them would put it back into every cold start of that function
(docs/performance.md (a)). Asserts modules, never times.
"""

from __future__ import annotations

import json

import pytest
from inbox_dev import bench

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


def modules_after_cold_start(function: str) -> set[str]:
    """``sys.modules`` once ``functions/<function>/app.py`` has run, as make bench (a) runs it: a fresh
    process with the function's environment that can import only what the deployed stack has."""
    statement = bench._handler_statement(function) + "\nimport sys\nprint(json.dumps(sorted(sys.modules)))"
    found = bench._fresh_process_seconds("import json\n" + statement, bench._import_env(function))
    return set(json.loads(found.stdout.splitlines()[-2]))


@pytest.mark.parametrize("function", sorted(NOT_AT_COLD_START))
def test_cold_start_leaves_out_what_only_rare_paths_use(function: str) -> None:
    loaded = modules_after_cold_start(function)

    assert OWN_LOGIC[function] in loaded
    assert sorted(loaded & set(NOT_AT_COLD_START[function])) == []
    others = {name for name in loaded if name.startswith(OTHER_FUNCTIONS) and name != OWN_LOGIC[function]}
    assert sorted(others) == []
