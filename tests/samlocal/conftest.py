"""`make sam-local` without Docker: its local AWS over real HTTP, and each function in a process of its own.

``local_aws`` starts ``python -m inbox_dev.sam_local --no-sam`` (what `make sam-local` runs
minus the Docker check, `sam build` and `sam local start-api`): a moto server provisioned as
`make dev` provisions moto, and the env-vars file SAM would get. ``invoke`` then runs one handler
the way SAM's container would: a fresh process whose environment is only that file's variables
for the function (with AWS_ENDPOINT_URL pointing at the moto server, as a container reaches it)
plus what SAM CLI itself adds (samcli/local/lambdafn/env_vars.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from inbox_dev import cfn
from inbox_dev.fake_chatrace import FakeChatrace
from inbox_dev.local_aws import REPO_ROOT, TEMPLATE_PATH, use_fake_credentials

from tests.samlocal.samlocal_support import RUNTIME, Invocation, Invoke, LocalAwsProcess, start_local_aws


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
        spec = specs[function]
        credentials: dict[str, str] = {}
        use_fake_credentials(credentials)  # what `make sam-local` hands SAM, and SAM the container
        environment = {
            **local_aws.env_vars()[function],
            "AWS_ENDPOINT_URL": local_aws.url,
            **credentials,
            "AWS_SAM_LOCAL": "true",
            "AWS_LAMBDA_FUNCTION_NAME": function,
            "AWS_LAMBDA_FUNCTION_HANDLER": spec.handler,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(timeout or spec.timeout),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "PYTHONPATH": os.pathsep.join(
                str(REPO_ROOT / folder) for folder in (spec.code_uri, *spec.layer_dirs)
            ),
        }
        result_file = tmp_path / f"{function}-result.json"
        done = subprocess.run(
            [sys.executable, str(RUNTIME), str(result_file)],
            input=json.dumps(event),
            env=environment,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{function} failed:\n{output}"
        return Invocation(json.loads(result_file.read_text(encoding="utf-8")), output)

    return run
