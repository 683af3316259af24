"""The common layer ships bytecode: /opt is read-only in Lambda, so a layer of .py files alone is
compiled again at every cold start (measured here: about three times the import time)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from inbox_dev.local_aws import REPO_ROOT

LAYER = REPO_ROOT / "layers" / "common"
HASH_BASED_UNCHECKED = 0b01  # PEP 552 flags: hash-based, source not checked


def test_the_layer_build_compiles_the_package_to_bytecode_that_never_goes_stale(tmp_path: Path) -> None:
    # Given the layer's own build target (what `sam build` runs), with pip stubbed out (no network)
    (tmp_path / "python").mkdir()
    subprocess.run(
        ["make", "-s", "-C", str(LAYER), "build-CommonLayer", f"ARTIFACTS_DIR={tmp_path}", "PIP=true"],
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
    )
    package = tmp_path / "python" / "inbox"
    # Then every module of the package has its bytecode next to it, built by this Python version
    modules = sorted(package.rglob("*.py"))
    assert modules
    tag = sys.implementation.cache_tag
    missing = [m for m in modules if not (m.parent / "__pycache__" / f"{m.stem}.{tag}.pyc").is_file()]
    assert missing == []
    # And it is hash-based and unchecked: file times in the zip cannot make the runtime recompile it
    header = (package / "__pycache__" / f"models.{tag}.pyc").read_bytes()[:8]
    assert int.from_bytes(header[4:8], "little") == HASH_BASED_UNCHECKED
