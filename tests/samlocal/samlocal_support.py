"""Helpers of tests/samlocal: `make sam-local`'s local AWS as a process, a function as a process.

``start_local_aws`` starts ``python -m inbox_dev.sam_local --no-sam`` (what `make sam-local` runs
minus the Docker check, `sam build` and `sam local start-api`): a moto server provisioned as
`make dev` provisions moto, and the env-vars file SAM would get. ``invoke_function`` runs one handler
the way SAM's container would: a fresh process whose environment is only that file's variables
for the function (with AWS_ENDPOINT_URL pointing at the moto server, as a container reaches it)
plus what SAM CLI itself adds (samcli/local/lambdafn/env_vars.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from inbox_dev import cfn
from inbox_dev.devprocess import free_port
from inbox_dev.local_aws import REPO_ROOT, use_fake_credentials
from inbox_dev.sam_events import EVENTS_DIR
from inbox_dev.sam_local import CONTAINER_HOST_NAME

RUNTIME = Path(__file__).with_name("lambda_runtime.py")
READY = "local AWS ready"


@dataclass
class LocalAwsProcess:
    process: subprocess.Popen[str]
    url: str
    env_file: Path
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def env_vars(self) -> dict[str, dict[str, str]]:
        loaded: dict[str, dict[str, str]] = json.loads(self.env_file.read_text(encoding="utf-8"))
        return loaded

    def stop(self) -> int:
        """Ctrl-C, as a user would."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_local_aws(env_file: Path, settings: dict[str, str], *arguments: str) -> LocalAwsProcess:
    """`make sam-local`'s local AWS on a free port with only ``settings``' INBOX_* variables."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INBOX_", "AWS_"))}
    env.update(settings, PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "inbox_dev.sam_local", "--no-sam", "--bind", "127.0.0.1"]
    command += ["--aws-port", str(port), "--env-vars", str(env_file), *arguments]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    local = LocalAwsProcess(process, f"http://127.0.0.1:{port}", env_file)
    assert process.stdout is not None
    threading.Thread(target=_drain, args=(process.stdout, local.lines), daemon=True).start()
    deadline = time.monotonic() + 120
    while READY not in local.output:
        if process.poll() is not None or time.monotonic() > deadline:
            local.stop()
            raise RuntimeError(f"the local AWS did not start:\n{local.output}")
        time.sleep(0.2)
    return local


def _drain(stream: IO[str], into: list[str]) -> None:
    for line in stream:
        into.append(line)


@dataclass(frozen=True)
class Invocation:
    result: Any
    output: str


Invoke = Callable[..., Invocation]


def event_file(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))
    return loaded


def invoke_function(
    local: LocalAwsProcess,
    spec: cfn.FunctionSpec,
    event: dict[str, Any],
    workdir: Path,
    *,
    timeout: int | None = None,
) -> Invocation:
    """``spec``'s handler in a fresh process with the container's environment: the env-vars file's
    variables, what SAM CLI adds, and the layer and function folders on PYTHONPATH. The endpoints
    keep their port; ``host.docker.internal`` (a container's name for this machine) becomes
    127.0.0.1, which is where this process finds the same servers."""
    credentials: dict[str, str] = {}
    use_fake_credentials(credentials)  # what `make sam-local` hands SAM, and SAM the container
    variables = local.env_vars()[spec.logical_id]
    environment = {
        **variables,
        **{
            name: value.replace(f"//{CONTAINER_HOST_NAME}:", "//127.0.0.1:")
            for name, value in variables.items()
            if name.startswith("AWS_ENDPOINT_URL") and value
        },
        **credentials,
        "AWS_SAM_LOCAL": "true",
        "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
        "AWS_LAMBDA_FUNCTION_HANDLER": spec.handler,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(timeout or spec.timeout),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "PYTHONPATH": os.pathsep.join(
            str(REPO_ROOT / folder) for folder in (spec.code_uri, *spec.layer_dirs)
        ),
    }
    assert environment["AWS_ENDPOINT_URL"] == local.url
    result_file = workdir / f"{spec.logical_id}-result.json"
    done = subprocess.run(
        [sys.executable, str(RUNTIME), str(result_file)],
        input=json.dumps(event),
        env=environment,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{spec.logical_id} failed:\n{output}"
    return Invocation(json.loads(result_file.read_text(encoding="utf-8")), output)
