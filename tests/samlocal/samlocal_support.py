"""Helpers of tests/samlocal: `make sam-local`'s local AWS as a process, events/ files.

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
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from inbox_dev.devprocess import free_port
from inbox_dev.local_aws import REPO_ROOT
from inbox_dev.sam_events import EVENTS_DIR

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


def start_local_aws(env_file: Path, settings: dict[str, str]) -> LocalAwsProcess:
    """`make sam-local`'s local AWS on a free port with only ``settings``' INBOX_* variables."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INBOX_", "AWS_"))}
    env.update(settings, PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "inbox_dev.sam_local", "--no-sam", "--bind", "127.0.0.1"]
    command += ["--aws-port", str(port), "--env-vars", str(env_file)]
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
