"""X-Ray: the Powertools Tracer runs inside Lambda only, records the calls, never the customer's text.

Each check runs the webhook handler in a fresh Python process (the tracer is built when
inbox.observability is first imported). "Inside Lambda" is simulated the way Lambda sets it up:
``LAMBDA_TASK_ROOT``, a trace header in ``_X_AMZN_TRACE_ID`` and the X-Ray daemon's address, here
a UDP socket of the test that receives what the SDK sends.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEXT = "words of a customer that no trace may hold"

SCRIPT = f"""
import importlib, json, os, sys
from inbox_dev import cfn
from inbox_dev.events import http_api_event
from inbox_dev.lambdas import LambdaContext
from inbox_dev.local_aws import local_aws, provision

with local_aws():
    stack = provision(secrets={{}}, parameter_overrides=json.loads(os.environ.pop("TEST_PARAMETERS", "{{}}")))
    spec = next(s for s in cfn.functions(stack.template, stack.context) if s.logical_id == "WebhookFunction")
    os.environ.update(spec.environment)
    os.environ.update(json.loads(os.environ.pop("TEST_ENVIRONMENT_AFTER", "{{}}")))
    app = importlib.import_module("functions.webhook.app")
    body = json.dumps({{"senderId": "42", "messageId": "traced-1", "text": {TEXT!r}}}).encode()
    headers = {{"content-type": "application/json"}}
    event = http_api_event("POST", "/instagram/webhook", headers=headers, body=body)
    result = app.lambda_handler(event, LambdaContext("WebhookFunction", 512, 10))
    from inbox import observability
    print(json.dumps({{
        "status": result["statusCode"],
        "tracer": observability.tracer is not None,
        "xray_imported": "aws_xray_sdk" in sys.modules,
    }}))
"""


def run_webhook(
    extra_env: dict[str, str],
    *,
    parameters: dict[str, str] | None = None,
    function_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The webhook of a stack deployed with ``parameters``, its environment as the template sets it
    plus ``function_env`` (a variable set on the function by hand), in ``extra_env``'s Lambda."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_", "_X_AMZN"))}
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    env.update(
        PYTHONPATH=os.pathsep.join(str(ROOT / p) for p in ("", "layers/common", "scripts")),
        TEST_PARAMETERS=json.dumps(parameters or {}),
        TEST_ENVIRONMENT_AFTER=json.dumps(function_env or {}),
        **extra_env,
    )
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def lambda_environment(daemon_port: int) -> dict[str, str]:
    return {
        "LAMBDA_TASK_ROOT": str(ROOT / "functions" / "webhook"),
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon_port}",
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    }


def received_segments(daemon: socket.socket) -> list[dict[str, Any]]:
    segments: list[dict[str, Any]] = []
    daemon.settimeout(0.5)
    while True:
        try:
            datagram = daemon.recv(65536).decode()
        except TimeoutError:
            return segments
        header, _, document = datagram.partition("\n")
        assert json.loads(header) == {"format": "json", "version": 1}
        segments.append(json.loads(document))


def test_inside_lambda_the_handler_and_its_aws_calls_are_traced_without_the_message() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        result = run_webhook(lambda_environment(daemon.getsockname()[1]))
        segments = received_segments(daemon)

    assert result == {"status": 200, "tracer": True, "xray_imported": True}
    names = {segment["name"].lower() for segment in segments}
    assert "## lambda_handler" in names
    assert {"dynamodb", "ssm"} <= names  # the store's write, the settings read
    handler = next(s for s in segments if s["name"] == "## lambda_handler")
    assert handler["annotations"]["ColdStart"] is True
    assert handler["annotations"]["Service"] == "webhook"
    assert all(s["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793" for s in segments)
    assert not [s for s in segments if TEXT in json.dumps(s)]


def test_outside_lambda_the_xray_sdk_is_never_imported() -> None:
    """make dev, the tests and make bench: no tracer, and none of its ~110 ms import."""
    assert run_webhook({}) == {"status": 200, "tracer": False, "xray_imported": False}


@pytest.mark.parametrize(
    "turned_off",
    [
        # TracingMode=PassThrough: Lambda records no trace, and the template sets
        # POWERTOOLS_TRACE_DISABLED so the handler builds no tracer.
        {"parameters": {"TracingMode": "PassThrough"}},
        # The variable set on the function by hand, on a stack that traces.
        {"function_env": {"POWERTOOLS_TRACE_DISABLED": "true"}},
    ],
    ids=["stack-parameter", "variable-by-hand"],
)
def test_tracing_turned_off_inside_lambda_never_loads_the_xray_sdk(
    turned_off: dict[str, dict[str, str]],
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        result = run_webhook(lambda_environment(daemon.getsockname()[1]), **turned_off)
        assert received_segments(daemon) == []
    assert result == {"status": 200, "tracer": False, "xray_imported": False}
