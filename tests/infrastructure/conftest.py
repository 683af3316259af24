"""Fixtures for the template tests: the real template.yaml, raw and resolved."""

from pathlib import Path
from typing import Any

import pytest
from inbox_dev import cfn

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return cfn.load_template(TEMPLATE_PATH)


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = template["Resources"]
    return found


@pytest.fixture
def ctx(template: dict[str, Any]) -> cfn.Context:
    return cfn.Context.for_template(
        template,
        stack_name="inbox-test",
        physical_names={"MessagesTable": "inbox-test-messages", "HttpApi": "abc123"},
        attributes={"MessagesTable.Arn": "arn:aws:dynamodb:us-east-1:123456789012:table/inbox-test-messages"},
    )
