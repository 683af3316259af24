"""Start and stop `make dev`'s server as a child process (for `make load` and the end-to-end tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO

import httpx

from inbox_dev.local_aws import REPO_ROOT


@dataclass
class DevServer:
    base_url: str
    process: subprocess.Popen[str] | None
    _output: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        """Everything the server printed so far (read continuously, so its pipe never fills up)."""
        return "".join(self._output)

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/instagram/webhook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_dev_server(extra_env: dict[str, str] | None = None, *, quiet: bool = False) -> DevServer:
    """The dev server on a free port, with only ``extra_env``'s INBOX_* settings; waits until it answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INBOX_", "AWS_"))}
    env.update(extra_env or {})
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "inbox_dev.server", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL if quiet else subprocess.PIPE,
        stderr=subprocess.DEVNULL if quiet else subprocess.STDOUT,
        text=True,
    )
    server = DevServer(f"http://127.0.0.1:{port}", process)
    if process.stdout is not None:
        threading.Thread(target=_drain, args=(process.stdout, server._output), daemon=True).start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            time.sleep(0.2)  # let the drain thread read the last lines
            raise RuntimeError(f"dev server exited with {process.returncode}:\n{server.output}")
        try:
            httpx.get(server.webhook_url, timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    stop_dev_server(server)
    raise RuntimeError("dev server did not start within 60 s")


def stop_dev_server(server: DevServer) -> tuple[int, str]:
    """Ctrl-C, as a user would; returns the exit code and everything the server printed."""
    if server.process is None:
        return 0, ""
    server.process.send_signal(signal.SIGINT)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    time.sleep(0.2)  # let the drain thread read the last lines
    return server.process.returncode, server.output


def _drain(stream: IO[str], into: list[str]) -> None:
    for line in stream:
        into.append(line)
