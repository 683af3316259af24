"""What `make sam-local` gives SAM's containers works, proven without Docker (none on these machines).

Each function runs in a process of its own with only the env-vars file's variables (and what SAM
CLI adds), against the local AWS over real HTTP, with the committed events/ files.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from inbox_dev import cfn
from inbox_dev.devprocess import free_port
from inbox_dev.fake_chatrace import FakeChatrace
from inbox_dev.local_aws import REPO_ROOT, TEMPLATE_PATH, LocalStack
from inbox_dev.sam_events import TOKEN_PLACEHOLDER, sam_events, stale_files
from inbox_dev.sam_local import ENV_VARS_PATH, NO_DOCKER, bridge_gateway, env_vars, network_for

from tests.samlocal.samlocal_support import (
    Invoke,
    LocalAwsProcess,
    event_file,
    invoke_function,
    start_local_aws,
)


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def stored(local_aws: LocalAwsProcess, message_id: str) -> dict[str, Any] | None:
    table = local_aws.env_vars()["WebhookFunction"]["TABLE_NAME"]
    item: dict[str, Any] | None = (
        client(local_aws.url, "dynamodb")
        .get_item(TableName=table, Key={"pk": {"S": f"MSG#{message_id}"}, "sk": {"S": "MSG"}})
        .get("Item")
    )
    return item


def answer(invocation_result: dict[str, Any]) -> tuple[int, Any]:
    body = invocation_result.get("body") or ""
    return invocation_result["statusCode"], json.loads(body) if body else None


# ------------------------------------------------------------------ the env-vars file


def test_the_env_vars_file_gives_every_function_every_variable_of_the_template(
    local_aws: LocalAwsProcess, specs: dict[str, cfn.FunctionSpec]
) -> None:
    written = local_aws.env_vars()
    assert set(written) == set(specs)
    for function, spec in specs.items():
        assert set(written[function]) == set(spec.environment), function
        # the containers' name for this machine, on the local AWS's port
        assert written[function]["AWS_ENDPOINT_URL"] == local_aws.url.replace(
            "127.0.0.1", "host.docker.internal"
        )
        assert written[function]["TABLE_NAME"] == "chatrace-inbox-local-MessagesTable"
        assert written[function]["SETTINGS_PREFIX"] == "/chatrace-inbox-local"
    assert written["EventsFunction"]["EVENT_BUS_NAME"] == "chatrace-inbox-local-inbox"
    # the same local defaults as `make dev` (an open webhook while no secret is set), and it says so
    assert {v["ALLOW_UNAUTHENTICATED_WEBHOOK"] for v in written.values()} == {"true"}
    assert "Webhook: OPEN" in local_aws.output


def test_the_env_vars_follow_the_template_not_a_list() -> None:
    # Given the template with one more function and one more Globals variable
    template = cfn.load_template(TEMPLATE_PATH)
    template["Globals"]["Function"]["Environment"]["Variables"]["NEW_SETTING"] = "on"
    template["Resources"]["AnotherFunction"] = {
        "Type": cfn.FUNCTION_TYPE,
        "Properties": {"CodeUri": "functions/other/", "Handler": "app.handler"},
    }
    ctx = cfn.Context.for_template(template, physical_names={"MessagesTable": "t-1"})
    # When the env-vars are generated
    variables = env_vars(LocalStack(template, ctx, {"MessagesTable": "t-1"}, "/x", ()), "http://h:1")
    # Then both are there
    assert variables["AnotherFunction"]["NEW_SETTING"] == "on"
    assert variables["AnotherFunction"]["TABLE_NAME"] == "t-1"
    assert all(v["NEW_SETTING"] == "on" and v["AWS_ENDPOINT_URL"] == "http://h:1" for v in variables.values())


def test_the_env_vars_file_is_git_ignored() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(ENV_VARS_PATH.relative_to(REPO_ROOT))],
        cwd=REPO_ROOT,
        check=False,
    )
    assert ignored.returncode == 0


@pytest.mark.parametrize(
    ("system", "gateway", "bind", "flags"),
    [
        ("Linux", "172.17.0.1", "172.17.0.1", ("--add-host", "host.docker.internal:host-gateway")),
        ("Linux", None, "0.0.0.0", ("--add-host", "host.docker.internal:host-gateway")),  # noqa: S104
        ("Darwin", None, "0.0.0.0", ()),  # noqa: S104
        ("Windows", None, "0.0.0.0", ()),  # noqa: S104
    ],
)
def test_containers_reach_the_local_aws_as_host_docker_internal_on_every_platform(
    system: str, gateway: str | None, bind: str, flags: tuple[str, ...]
) -> None:
    network = network_for(system, gateway)
    assert (network.bind_host, network.endpoint_host, network.sam_args) == (
        bind,
        "host.docker.internal",
        flags,
    )
    assert "--docker-network" not in network.sam_args  # SAM CLI ignores "host" (see network_for)


@pytest.mark.parametrize(
    ("reported", "expected"),
    [("127.0.0.1", "127.0.0.1"), ("198.18.0.1", None), ("<no value>", None)],
    ids=["an-address-here", "an-engine-in-a-vm", "none"],
)
def test_the_local_aws_listens_on_the_bridge_gateway_only_when_this_machine_has_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reported: str, expected: str | None
) -> None:
    docker = tmp_path / "docker"
    docker.write_text(f"#!/bin/sh\necho '{reported}'\n", encoding="utf-8")
    docker.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert bridge_gateway() == expected


# ------------------------------------------------------------------ events/


def test_the_committed_events_are_what_make_events_writes() -> None:
    assert stale_files() == [], "run `make events`"


def test_there_is_an_event_for_every_function(specs: dict[str, cfn.FunctionSpec]) -> None:
    assert {event.function for event in sam_events()} == set(specs)
    committed = {path.name for path in (REPO_ROOT / "events").glob("*.json")}
    assert committed == {event.file_name for event in sam_events()}


# ------------------------------------------------------------------ each function in its own process


def test_the_seed_delivery_is_stored(invoke: Invoke, local_aws: LocalAwsProcess) -> None:
    invocation = invoke("WebhookFunction", event_file("webhook-seed.json"))
    status, body = answer(invocation.result)
    assert (status, body["status"]) == (200, "stored"), invocation.output
    assert [m["messageId"] for m in body["messages"]] == ["test-123"]
    item = stored(local_aws, "test-123")
    assert item is not None
    assert (item["text"]["S"], item["senderId"]["S"]) == ("Тестовое сообщение", "123456789")


def test_the_meta_delivery_is_stored(invoke: Invoke, local_aws: LocalAwsProcess) -> None:
    invocation = invoke("WebhookFunction", event_file("webhook-meta.json"))
    status, body = answer(invocation.result)
    assert (status, body["status"]) == (200, "stored"), invocation.output
    (message,) = body["messages"]
    assert stored(local_aws, message["messageId"]) is not None


def test_the_login_and_the_config_read_work(invoke: Invoke) -> None:
    status, login = answer(invoke("ConfigFunction", event_file("config-login.json")).result)
    assert status == 200, login
    # as events/README.md says: the placeholder replaced by the login's token
    read = event_file("config-read.json")
    header = read["headers"]["authorization"]
    assert header == f"Bearer {TOKEN_PLACEHOLDER}"
    read["headers"]["authorization"] = header.replace(TOKEN_PLACEHOLDER, login["accessToken"])
    status, config = answer(invoke("ConfigFunction", read).result)
    assert status == 200, config
    assert (config["polling"]["enabled"], config["settings"]["prefix"]) == (True, "/chatrace-inbox-local")
    assert config["secrets"]["adminPasswordHash"]["set"] is True


def test_the_config_read_as_committed_is_refused_for_its_placeholder_token(invoke: Invoke) -> None:
    status, body = answer(invoke("ConfigFunction", event_file("config-read.json")).result)
    assert status == 401, body


def test_the_poller_schedule_event_polls_the_fake_chatrace(
    invoke: Invoke, local_aws: LocalAwsProcess, fake_chatrace: FakeChatrace
) -> None:
    # Given a new Instagram message in the fake Chatrace inbox
    sender = f"sam-{uuid.uuid4().hex[:10]}"
    row = fake_chatrace.add_message(sender, "Do you ship to Almaty?", username="dana")
    asked = len(fake_chatrace.inbox_requests())
    # When the poller takes its schedule event (an 18 s deadline: one round, not the template's 70 s)
    invocation = invoke("PollerFunction", event_file("poller-schedule.json"), timeout=18)
    # Then it asked the fake Chatrace and stored the message
    assert len(fake_chatrace.inbox_requests()) > asked, invocation.output
    item = stored(local_aws, row["id"])
    assert item is not None, invocation.output
    assert (item["senderId"]["S"], item["source"]["S"]) == (sender, "poller")
    assert invocation.result["status"] == "ok", invocation.result


def test_the_stream_batch_is_published_to_the_local_bus(invoke: Invoke) -> None:
    invocation = invoke("EventsFunction", event_file("events-stream-batch.json"))
    assert invocation.result == {"batchItemFailures": []}, invocation.output


# ------------------------------------------------------------------ no Docker engine


def _without_docker(tmp_path: Path, docker: str | None) -> dict[str, str]:
    """PATH with a `docker` that fails as a client without an engine does (or with none at all)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if docker is not None:
        fake = bin_dir / "docker"
        fake.write_text(f"#!/bin/sh\n{docker}\n", encoding="utf-8")
        fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), "/usr/bin", "/bin"])
    if docker is None:
        env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent)])
    return env


@pytest.mark.parametrize(
    "docker",
    [
        "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2; exit 1",
        None,
    ],
    ids=["engine-down", "no-client"],
)
def test_without_an_engine_it_stops_first_with_one_line_and_exit_2(
    tmp_path: Path, docker: str | None
) -> None:
    aws_sam = REPO_ROOT / ".aws-sam" / "build"
    before = aws_sam.stat().st_mtime_ns if aws_sam.exists() else None
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "inbox_dev.sam_local"],
        cwd=REPO_ROOT,
        env=_without_docker(tmp_path, docker),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr, done.stdout) == (2, NO_DOCKER + "\n", "")
    assert time.monotonic() - started < 30  # no sam build (a minute), no local AWS
    assert (aws_sam.stat().st_mtime_ns if aws_sam.exists() else None) == before


def test_make_sam_local_without_an_engine_answers_the_message(tmp_path: Path) -> None:
    env = _without_docker(tmp_path, "exit 1")
    env["PATH"] = os.pathsep.join([env["PATH"], *os.environ["PATH"].split(os.pathsep)])  # make itself
    make = shutil.which("make", path=env["PATH"])
    assert make is not None
    # .venv up to date first (make reinstalls it after a pyproject.toml change, and says so)
    subprocess.run([make, "-s", "venv"], cwd=REPO_ROOT, capture_output=True, timeout=600, check=True)
    done = subprocess.run(
        [make, "-s", "sam-local"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2  # make's own status for a failed recipe; the script's is 2 too (above)
    assert done.stderr.splitlines()[0] == NO_DOCKER
    assert done.stdout == ""


# ------------------------------------------------------------------ Ctrl-C


def test_ctrl_c_stops_the_local_aws(tmp_path: Path) -> None:
    local = start_local_aws(tmp_path / "env.json", {})
    assert httpx.get(local.url, timeout=5).status_code < 500  # it answers
    assert local.stop() == 0
    assert "local AWS stopped" in local.output
    with pytest.raises(httpx.TransportError):
        httpx.get(local.url, timeout=2)


# ------------------------------------------------------------------ DynamoDB Local instead


@pytest.fixture
def dynamodb_local() -> Iterator[str]:
    """A stand-in for DynamoDB Local (Java, or a Docker image: neither is on these machines): a
    second moto server, which speaks the same DynamoDB API on its own port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the DynamoDB Local stand-in did not start"
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_the_table_can_live_in_dynamodb_local_instead(
    dynamodb_local: str, specs: dict[str, cfn.FunctionSpec], tmp_path: Path
) -> None:
    # Given `SAM_LOCAL_DYNAMODB_URL=http://localhost:<port> make sam-local`
    local = start_local_aws(tmp_path / "env.json", {}, "--dynamodb-url", dynamodb_local)
    try:
        port = dynamodb_local.rsplit(":", 1)[1]
        # Then containers are sent there for DynamoDB (and to moto for the rest)
        assert {f: v["AWS_ENDPOINT_URL_DYNAMODB"] for f, v in local.env_vars().items()} == dict.fromkeys(
            specs, f"http://host.docker.internal:{port}"
        )
        # and the table was created there, not in moto
        dynamodb = client(dynamodb_local, "dynamodb")
        assert dynamodb.list_tables()["TableNames"] == ["chatrace-inbox-local-MessagesTable"]
        assert client(local.url, "dynamodb").list_tables()["TableNames"] == []
        # When the seed's delivery arrives
        invocation = invoke_function(
            local, specs["WebhookFunction"], event_file("webhook-seed.json"), tmp_path
        )
        # Then it is stored in DynamoDB Local, with the settings read from moto's Parameter Store
        assert answer(invocation.result)[0] == 200, invocation.output
        item = dynamodb.get_item(
            TableName="chatrace-inbox-local-MessagesTable",
            Key={"pk": {"S": "MSG#test-123"}, "sk": {"S": "MSG"}},
        )
        assert item["Item"]["senderId"] == {"S": "123456789"}
    finally:
        local.stop()


# ------------------------------------------------------------------ the whole `make sam-local`, SAM CLI faked

FAKE_SAM_TOOLS = """#!{python}
import json, os, sys, time
def record(entry):
    with open(os.environ["FAKE_SAM_RECORD"], "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\\n")
names = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_ENDPOINT_URL")
record({{"argv": sys.argv[1:], "env": {{name: os.environ.get(name) for name in names}}}})
if sys.argv[1:4] == ["sam", "local", "start-api"]:
    try:
        while True:
            time.sleep(0.1)
    except KeyboardInterrupt:
        record("interrupted")
        sys.exit(130)
"""

RUN_WITH_AN_ENGINE = """
import sys
from pathlib import Path
from inbox_dev import sam_local
sam_local.docker_engine_answers = lambda: True
sam_local.bridge_gateway = lambda: "127.0.0.1"
sam_local.platform.system = lambda: "Linux"
sam_local.SAM_TOOLS = Path(sys.argv[1])
sys.exit(sam_local.main(sys.argv[2:]))
"""


def test_make_sam_local_builds_then_serves_the_local_aws_to_sam_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    # Given an engine that answers and a stand-in for scripts/sam-tools.sh that records its calls
    fake = tmp_path / "sam-tools"
    fake.write_text(FAKE_SAM_TOOLS.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)
    calls = tmp_path / "calls.jsonl"
    env_file, aws_port, api_port = tmp_path / "env.json", free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INBOX_", "AWS_"))}
    env.update(FAKE_SAM_RECORD=str(calls), AWS_PROFILE="my-real-account", PYTHONUNBUFFERED="1")
    arguments = ["--port", str(api_port), "--aws-port", str(aws_port), "--env-vars", str(env_file)]
    # When `make sam-local` runs
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_WITH_AN_ENGINE, str(fake), *arguments],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )

    def recorded() -> list[Any]:
        text = calls.read_text(encoding="utf-8") if calls.exists() else ""
        return [json.loads(line) for line in text.splitlines()]

    try:
        deadline = time.monotonic() + 120
        while len(recorded()) < 2:
            if process.poll() is not None:
                pytest.fail(f"it stopped early:\n{process.communicate()[0]}")
            assert time.monotonic() < deadline, "SAM CLI was not started within 120 s"
            time.sleep(0.2)
        build, serve = recorded()
        # Then it built, and started the API with the env-vars file and Linux's flags
        assert build["argv"] == ["build"]
        assert serve["argv"] == [
            "sam", "local", "start-api", "--env-vars", str(env_file), "--port", str(api_port),
            "--add-host", "host.docker.internal:host-gateway",
        ]  # fmt: skip
        # with moto's fake credentials, never the laptop's profile, and no endpoint of its own
        assert serve["env"] == {"AWS_ACCESS_KEY_ID": "testing", "AWS_PROFILE": None, "AWS_ENDPOINT_URL": None}
        # while the local AWS serves what the env-vars file points at
        written = json.loads(env_file.read_text(encoding="utf-8"))
        assert written["WebhookFunction"]["AWS_ENDPOINT_URL"] == f"http://host.docker.internal:{aws_port}"
        tables = client(f"http://127.0.0.1:{aws_port}", "dynamodb").list_tables()["TableNames"]
        assert tables == [written["WebhookFunction"]["TABLE_NAME"]]
        # When the user presses Ctrl-C
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # Then SAM stopped, and so did the local AWS
    assert recorded()[-1] == "interrupted"
    assert "local AWS stopped" in output
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{aws_port}", timeout=2)
