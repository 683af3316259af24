"""`make openapi`: docs/openapi.json, the operator API's OpenAPI document generated from its routes.

The document comes from the config function's own resolver (``functions/config/app.py``), so it
cannot say anything the code does not; ``tests/integration/test_openapi.py`` fails when the
committed file drifts from it. Importing the function makes no AWS call (clients are only built).
"""

from __future__ import annotations

import argparse
import importlib
import os
from pathlib import Path

from inbox.operator.routes import openapi_json

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "openapi.json"
_IMPORT_ENV = {
    "TABLE_NAME": "openapi-document",
    "SETTINGS_PREFIX": "/openapi",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def document() -> str:
    """The document as committed: the resolver's JSON, two-space indented, one trailing newline."""
    for name, value in _IMPORT_ENV.items():
        os.environ.setdefault(name, value)
    config_app = importlib.import_module("functions.config.app")
    return openapi_json(config_app.app) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if docs/openapi.json is not up to date")
    args = parser.parse_args()
    fresh = document()
    if args.check:
        if DOCUMENT.read_text(encoding="utf-8") != fresh:
            raise SystemExit("docs/openapi.json is out of date: run `make openapi`")
        return
    DOCUMENT.write_text(fresh, encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
