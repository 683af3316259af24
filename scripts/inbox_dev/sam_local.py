"""`make sam-local`: `sam local start-api` (Docker) against a local AWS, as `make dev` provisions it.

SAM runs each function in a Docker container with the template's environment, which points at
real AWS. This starts a moto server provisioned exactly as `make dev` provisions its in-process
moto (inbox_dev.local_aws.provision_dev: template.yaml's table, bus and parameters, the INBOX_*
settings and secrets, the dev operator login), writes an env-vars file giving every function its
template variables plus ``AWS_ENDPOINT_URL`` (declared empty in the template's Globals, so inert
when deployed), and runs ``sam local start-api --env-vars <file>``. Ctrl-C stops both.

    make sam-local                          # the API on http://127.0.0.1:3000
    python -m inbox_dev.sam_local --no-sam  # only the local AWS and the file, for `sam local invoke`
    SAM_LOCAL_DYNAMODB_URL=http://localhost:8000 make sam-local   # the table in DynamoDB Local

Without a Docker engine it stops first, with one line and exit 2: `make dev` needs none.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from inbox_dev import cfn
from inbox_dev.local_aws import (
    REPO_ROOT,
    LocalStack,
    make_moto_writes_atomic,
    provision_dev,
    use_fake_credentials,
)
from inbox_dev.secrets import DevOperator, banner_lines
from inbox_dev.server import webhook_lines

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

NO_DOCKER = "no Docker engine: use `make dev`"
ENV_VARS_PATH = REPO_ROOT / ".aws-sam" / "sam-local-env.json"  # .aws-sam/ is git-ignored
SAM_TOOLS = REPO_ROOT / "scripts" / "sam-tools.sh"
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"
DYNAMODB_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB"  # boto3 prefers it for DynamoDB calls
DEFAULT_AWS_PORT = 5005
# How a container names the machine that runs SAM CLI (Docker Desktop defines it; on Linux the
# engine maps it to the default bridge's gateway when asked with --add-host ...:host-gateway).
CONTAINER_HOST_NAME = "host.docker.internal"


def docker_engine_answers(timeout: float = 20) -> bool:
    """Whether `docker info` reaches an engine (no client, no daemon, no permission: False)."""
    try:
        done = subprocess.run(["docker", "info"], capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@dataclass(frozen=True)
class Network:
    """Where the local AWS listens, the endpoint containers use, and SAM's flags for it."""

    bind_host: str
    endpoint_host: str
    sam_args: tuple[str, ...]


def network_for(system: str, bridge_gateway: str | None = None) -> Network:
    """The network set-up that lets SAM's containers reach the local AWS on this platform.

    Docker Desktop (macOS, Windows) resolves host.docker.internal to the host by itself. A Linux
    engine needs ``--add-host host.docker.internal:host-gateway`` (Docker 20.10+); the gateway is
    the default bridge's address, so the local AWS listens there only (not on every interface)
    when the engine names one this machine has. ``--docker-network host`` is no help: SAM CLI
    leaves a container on the default bridge when asked for the ``host`` network
    (samcli/local/docker/container.py).
    """
    if system == "Linux":
        return Network(
            bind_host=bridge_gateway or "0.0.0.0",
            endpoint_host=CONTAINER_HOST_NAME,
            sam_args=("--add-host", f"{CONTAINER_HOST_NAME}:host-gateway"),
        )
    return Network(bind_host="0.0.0.0", endpoint_host=CONTAINER_HOST_NAME, sam_args=())


def bridge_gateway(timeout: float = 10) -> str | None:
    """The default bridge network's gateway address, as the Docker engine reports it."""
    try:
        done = subprocess.run(
            ["docker", "network", "inspect", "bridge", "--format", "{{(index .IPAM.Config 0).Gateway}}"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    address = done.stdout.strip()
    if done.returncode != 0 or not address or address == "<no value>":
        return None
    return address if _is_local(address) else None  # an engine in a VM (Docker Desktop, WSL 2)


def _is_local(address: str) -> bool:
    """Whether this machine has ``address`` (only then can the local AWS listen on it)."""
    with socket.socket() as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True


def env_vars(
    stack: LocalStack, endpoint: str, dynamodb_endpoint: str | None = None
) -> dict[str, dict[str, str]]:
    """SAM's --env-vars content: for every function of the template, every variable the template
    gives it (resolved as for the local stack), with ``AWS_ENDPOINT_URL`` set to ``endpoint`` and,
    for DynamoDB Local, ``AWS_ENDPOINT_URL_DYNAMODB`` to ``dynamodb_endpoint``.

    SAM applies a value only to a variable the template declares for that function, hence the
    empty overrides in Globals."""
    overrides = {ENDPOINT_VARIABLE: endpoint}
    if dynamodb_endpoint:
        overrides[DYNAMODB_ENDPOINT_VARIABLE] = dynamodb_endpoint
    return {
        spec.logical_id: {**spec.environment, **overrides}
        for spec in cfn.functions(stack.template, stack.context)
    }


def container_url(url: str, endpoint_host: str) -> str:
    """``url`` as a container reaches it: this machine's loopback becomes ``endpoint_host``."""
    parts = urlsplit(url)
    if parts.hostname not in ("localhost", "127.0.0.1", "0.0.0.0"):
        return url
    netloc = endpoint_host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def write_env_vars(path: Path, variables: Mapping[str, Mapping[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(variables, indent=2, sort_keys=True) + "\n", encoding="utf-8")


@dataclass
class LocalAws:
    """The running moto server and what was provisioned in it."""

    server: ThreadedMotoServer
    stack: LocalStack
    operator: DevOperator
    url: str
    """How this machine reaches it (containers use the Network's endpoint host instead)."""
    dynamodb_url: str | None = None
    """DynamoDB Local, when the table is there instead."""

    def stop(self) -> None:
        self.server.stop()


def start_local_aws(
    bind_host: str, port: int, environ: Mapping[str, str] = os.environ, dynamodb_url: str | None = None
) -> LocalAws:
    """A moto server on ``bind_host:port``, provisioned over HTTP as `make dev` provisions moto
    (the table in DynamoDB Local at ``dynamodb_url`` instead, when given).

    This process's own AWS calls go there from now on (fake credentials, endpoint overrides)."""
    from moto.server import ThreadedMotoServer

    _check_free(bind_host, port)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    make_moto_writes_atomic()
    server = ThreadedMotoServer(ip_address=bind_host, port=port, verbose=False)
    server.start()
    url = f"http://{'127.0.0.1' if bind_host == '0.0.0.0' else bind_host}:{port}"
    use_fake_credentials()
    os.environ[ENDPOINT_VARIABLE] = url
    if dynamodb_url:
        os.environ[DYNAMODB_ENDPOINT_VARIABLE] = dynamodb_url
    try:
        stack, operator = provision_dev(environ)
    except BaseException:
        server.stop()
        raise
    return LocalAws(server, stack, operator, url, dynamodb_url)


def _check_free(host: str, port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SystemExit(
                f"cannot listen on {host}:{port} for the local AWS: {exc.strerror} (use --aws-port)"
            ) from None


def banner(local: LocalAws, endpoint: str, env_file: Path, network: Network, api_port: int | None) -> str:
    file = env_file.relative_to(REPO_ROOT) if env_file.is_relative_to(REPO_ROOT) else env_file
    flags = " ".join(("--env-vars", str(file), *network.sam_args))
    lines = [
        "",
        f"Local AWS (moto) on {local.url}; SAM's containers reach it as {endpoint}",
        f"  table {', '.join(local.stack.table_names.values())}"
        + (f" in DynamoDB Local at {local.dynamodb_url}" if local.dynamodb_url else "")
        + f", settings {local.stack.settings_prefix}",
        f"  env-vars file {file} (every function of template.yaml)",
        "",
        *webhook_lines(local.stack),
        "",
        "Invoke one function with a ready event (events/README.md), in another terminal:",
        f"  sam local invoke WebhookFunction -e events/webhook-seed.json {flags}",
        f"  sam local invoke PollerFunction -e events/poller-schedule.json {flags}",
        "",
    ]
    if api_port is not None:
        lines += [*banner_lines(local.operator, f"http://127.0.0.1:{api_port}"), ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="sam local start-api against a local AWS (moto server).")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", "3000")), help="the API's port"
    )
    parser.add_argument(
        "--aws-port", type=int, default=int(os.environ.get("SAM_LOCAL_AWS_PORT", DEFAULT_AWS_PORT))
    )
    parser.add_argument("--bind", default=os.environ.get("SAM_LOCAL_AWS_BIND"), help="where moto listens")
    parser.add_argument("--env-vars", type=Path, default=ENV_VARS_PATH)
    parser.add_argument(
        "--dynamodb-url",
        default=os.environ.get("SAM_LOCAL_DYNAMODB_URL"),
        help="DynamoDB Local as this machine reaches it (e.g. http://localhost:8000); the table goes there",
    )
    parser.add_argument(
        "--no-sam", action="store_true", help="no Docker, no sam: only the local AWS and the env-vars file"
    )
    args = parser.parse_args(argv)

    if not args.no_sam and not docker_engine_answers():
        print(NO_DOCKER, file=sys.stderr)
        return 2
    system = platform.system()
    network = network_for(system, bridge_gateway() if system == "Linux" and not args.bind else None)
    if not args.no_sam:
        built = subprocess.run([str(SAM_TOOLS), "build"], cwd=REPO_ROOT, check=False)
        if built.returncode != 0:
            return built.returncode
    bind_host = args.bind or network.bind_host

    local = start_local_aws(bind_host, args.aws_port, dynamodb_url=args.dynamodb_url)
    endpoint = f"http://{network.endpoint_host}:{args.aws_port}"
    dynamodb = container_url(args.dynamodb_url, network.endpoint_host) if args.dynamodb_url else None
    try:
        write_env_vars(args.env_vars, env_vars(local.stack, endpoint, dynamodb))
        api_port = None if args.no_sam else args.port
        print(banner(local, endpoint, args.env_vars, network, api_port), flush=True)
        if args.no_sam:
            print("local AWS ready (Ctrl-C stops it)", flush=True)
            return _wait_for_interrupt()
        return _run_sam(args.env_vars, args.port, network)
    finally:
        local.stop()
        print("local AWS stopped", flush=True)


def _run_sam(env_file: Path, port: int, network: Network) -> int:
    """`sam local start-api` in the foreground with fake credentials (SAM hands the containers the
    credentials it finds: never the laptop's real ones here); Ctrl-C reaches it and then us."""
    environ = dict(os.environ)
    environ.pop(ENDPOINT_VARIABLE, None)  # SAM itself talks to Docker only
    use_fake_credentials(environ)
    command = [
        str(SAM_TOOLS),
        "sam",
        "local",
        "start-api",
        "--env-vars",
        str(env_file),
        "--port",
        str(port),
        *network.sam_args,
    ]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=environ)
    try:
        return process.wait()
    except KeyboardInterrupt:
        return process.wait()


def _wait_for_interrupt() -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
