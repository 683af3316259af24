"""The dev server must not create the functions' Powertools objects before their environment is set."""

from __future__ import annotations

import os
import subprocess
import sys

from inbox_dev.local_aws import REPO_ROOT


def test_starting_the_dev_server_does_not_import_the_observability_module() -> None:
    # inbox.observability builds Metrics() at import; imported before the template's Globals are in
    # the environment it has no namespace, and every metric flush under `make dev` is a 500.
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")}
    probe = "import sys, inbox_dev.server; print('inbox.observability' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False", found.stderr
