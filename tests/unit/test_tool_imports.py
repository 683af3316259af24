"""Issue 11 item 5: the production tool under scripts/ (`make secrets`, scripts/inbox_secrets) is
tested in the e2e tier only, and the layer and the dev tools never import it.

What "tests import scripts/ only in the e2e tier" means here: the tools a user runs are tested
end to end; the dev harness in scripts/inbox_dev (moto provisioned from template.yaml, the template
reader, Lambda events and contexts, the fake Chatrace) is test infrastructure every tier's fixtures
use (tests/conftest.py), as the dev server does.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPORTS_TOOL = re.compile(r"^\s*(from|import)\s+inbox_secrets\b", re.MULTILINE)


def importers(folder: Path) -> set[str]:
    return {
        str(path.relative_to(ROOT))
        for path in folder.rglob("*.py")
        if IMPORTS_TOOL.search(path.read_text(encoding="utf-8"))
    }


def test_only_e2e_tests_import_the_production_tool() -> None:
    found = importers(ROOT / "tests")
    assert found, "the production tool is tested somewhere"
    assert {path for path in found if not path.startswith("tests/e2e/")} == set()


def test_neither_the_layer_nor_the_dev_tools_import_the_production_tool() -> None:
    assert importers(ROOT / "layers") == set()
    assert importers(ROOT / "functions") == set()
    assert importers(ROOT / "scripts" / "inbox_dev") == set()
