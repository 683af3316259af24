"""make bench (a) times what Lambda runs: its child processes import only the deployed packages.

The venv holds more than the layer ships (cryptography for the tests, click with moto, …), and
PyJWT and httpx import such packages when they can; a child that could would time work Lambda
never does.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from inbox_dev import bench, deployed
from packaging.requirements import Requirement

PROBE = """
import importlib.metadata, importlib.util, sys
import jwt.algorithms, httpx, inbox
print("find_spec", importlib.util.find_spec("cryptography"))
print("has_crypto", jwt.algorithms.has_crypto)
print("click", "click" in sys.modules)
print("moto_metadata", any(d.metadata["Name"] == "moto" for d in importlib.metadata.distributions()))
print("pydantic_metadata", importlib.metadata.version("pydantic") != "")
for name in ("cryptography", "inbox_dev", "moto"):
    try:
        __import__(name)
    except ModuleNotFoundError as exc:
        print("blocked", exc.name)
"""


def run_child(code: str) -> dict[str, str]:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = [line.split(" ", 1) for line in result.stdout.splitlines()]
    found: dict[str, str] = {}
    for key, value in lines:
        found[key] = f"{found[key]},{value}" if key in found else value
    return found


def test_the_closure_follows_the_layers_requirements_and_the_runtimes_boto3() -> None:
    # Given the layer's requirement files and the runtime's boto3
    found = deployed.deployed_distributions()
    # Then their dependencies are in, transitively (httpx → httpcore, pydantic → pydantic-core,
    # boto3 → botocore → python-dateutil → six), and the no-deps file's packages too
    assert {"httpx", "httpcore", "h11", "pydantic", "pydantic-core", "pyjwt"} <= found
    assert "aws-lambda-powertools" in found
    assert {"boto3", "botocore", "s3transfer", "python-dateutil", "six", "jmespath"} <= found
    assert {"aws-xray-sdk", "wrapt"} <= found
    # And what only the venv has is out: PyJWT's crypto extra, httpx's cli extra, the dev tools
    assert not {"cryptography", "click", "pygments", "moto", "pytest", "packaging"} & found


def test_an_extra_is_followed_only_when_it_is_asked_for() -> None:
    assert "cryptography" not in deployed.closure([Requirement("PyJWT")])
    assert "cryptography" in deployed.closure([Requirement("PyJWT[crypto]")])
    assert "click" not in deployed.closure([Requirement("httpx")])
    assert "click" in deployed.closure([Requirement("httpx[cli]")])


def test_the_importable_names_are_the_packages_the_standard_library_and_inbox() -> None:
    modules = deployed.deployed().modules
    assert {"pydantic_core", "httpcore", "jwt", "dateutil", "aws_lambda_powertools", "inbox"} <= modules
    assert {"json", "asyncio", "_io", "zoneinfo"} <= modules
    assert any(name.startswith("_sysconfigdata") for name in modules)  # zoneinfo needs it
    assert not {"cryptography", "click", "moto", "inbox_dev", "pytest"} & modules


def test_a_child_with_the_prelude_imports_as_lambda_would() -> None:
    # Given the venv, where cryptography and click are installed
    plain = run_child(PROBE)
    assert plain["has_crypto"] == "True"
    assert plain["find_spec"] != "None"
    assert plain["moto_metadata"] == "True"
    # When the same code runs after bench's prelude
    found = run_child(deployed.prelude() + PROBE)
    # Then PyJWT sees no cryptography, httpx no command line, metadata no moto: as in Lambda
    assert found["find_spec"] == "None"
    assert found["has_crypto"] == "False"
    assert found["click"] == "False"
    assert found["moto_metadata"] == "False"
    assert found["pydantic_metadata"] == "True"
    assert found["blocked"] == "cryptography,inbox_dev,moto"


def test_bench_times_every_child_behind_the_prelude() -> None:
    # Given the environment of a timed handler import
    env = bench._import_env("config")
    # When the bench runs an import a deployed function could not do
    with pytest.raises(subprocess.CalledProcessError) as refused:
        bench._fresh_process_seconds("import cryptography", env)
    # Then it fails as it would in Lambda, while a deployed one is timed
    assert "ModuleNotFoundError: No module named 'cryptography'" in refused.value.stderr
    assert bench._seconds("import jwt", env) > 0
