"""The local server (`make dev`) started as a user would start it, on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class DevServer:
    base_url: str
    process: subprocess.Popen[str] | None

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/instagram/webhook"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_dev_server(extra_env: dict[str, str] | None = None) -> DevServer:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INBOX_", "AWS_"))}
    env.update(extra_env or {})
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "inbox_dev.server", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = DevServer(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"dev server exited with {process.returncode}:\n{output}")
        try:
            httpx.get(server.webhook_url, timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    stop_dev_server(server)
    raise RuntimeError("dev server did not start within 60 s")


def stop_dev_server(server: DevServer) -> tuple[int, str]:
    """Ctrl-C, as a user would; returns the exit code and everything the server printed."""
    assert server.process is not None
    server.process.send_signal(signal.SIGINT)
    try:
        output, _ = server.process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        output, _ = server.process.communicate()
    return server.process.returncode, output


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
