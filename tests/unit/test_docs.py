"""docs/ says only what the code and the template do.

Every log line a doc cites (inline code of the form ``"message": "…"``, ``"reason": "…"``, …) is a
string the code writes; every saved query, alarm, metric, make target, output and table key it
names exists; every link between the docs lands on a heading; the Chatrace body is the README's.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any, get_args

import pytest
from inbox.errors import RejectedDelivery
from inbox.observability import MetricName
from inbox.storage import store
from inbox.webhook import auth as webhook_auth
from inbox_dev import cfn

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("deploy.md", "chatrace.md", "troubleshooting.md", "architecture.md")
CODE_DIRS = (ROOT / "layers/common/inbox", ROOT / "functions")


def doc(name: str) -> str:
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


def inline_code(text: str) -> list[str]:
    """Single-backtick spans outside fenced code blocks."""
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return re.findall(r"`([^`\n]+)`", prose)


def code_strings() -> list[str]:
    """Every string constant of the package and the functions (adjacent literals already joined,
    f-strings as their literal parts)."""
    found = []
    for folder in CODE_DIRS:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found.append(node.value)
    return found


def _runtime_values() -> set[str]:
    """Values assembled at run time from several literals, as the code really words them."""
    reasons = {f"message {outcome}" for outcome in get_args(store.WriteOutcome)}
    for secret, app_secret in (("s", None), (None, "m"), (None, None)):
        try:
            webhook_auth.authenticate(b"{}", {}, {}, webhook_secret=secret, meta_app_secret=app_secret)
        except RejectedDelivery as rejection:
            reasons.add(rejection.reason)
    return reasons


CITED = re.compile(r'^"(message|reason|outcome|source|format|level|status)": "([^"]+)"$')
"""A cited log field; other ``"key": "value"`` spans are bodies or settings."""


@pytest.mark.parametrize("name", DOCS)
def test_every_cited_log_value_is_written_by_the_code(name: str) -> None:
    strings = code_strings()
    runtime = _runtime_values()
    cited = [m.groups() for span in inline_code(doc(name)) if (m := CITED.match(span))]
    missing = [
        f'"{key}": "{value}"'
        for key, value in cited
        if value not in runtime and not any(value in s for s in strings)
    ]
    assert missing == [], f"{name} cites log values the code never writes"


def test_the_troubleshooting_guide_cites_the_lines_of_every_problem() -> None:
    cited = [m.groups() for span in inline_code(doc("troubleshooting.md")) if (m := CITED.match(span))]
    messages = {value for key, value in cited if key == "message"}
    assert {
        "delivery received",
        "message stored",
        "delivery rejected",
        "delivery not taken: dependency unavailable",
        "unexpected error",
        "polling disabled",
        "poll round failed; backing off (cursor kept)",
        "kept body replayed",
    } <= messages
    assert any(m.startswith("Chatrace rejected the token") for m in messages)


# ------------------------------------------------------------------ names of things in the template


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return cfn.load_template(ROOT / "template.yaml")


def _names(template: dict[str, Any], kind: str, key: str, prefix: str) -> set[str]:
    return {
        r["Properties"][key]["Fn::Sub"].removeprefix(prefix)
        for r in template["Resources"].values()
        if r["Type"] == kind
    }


@pytest.mark.parametrize("name", DOCS)
def test_cited_saved_queries_and_alarms_exist(template: dict[str, Any], name: str) -> None:
    text = doc(name)
    queries = _names(template, "AWS::Logs::QueryDefinition", "Name", "${AWS::StackName}/")
    alarms = _names(template, "AWS::CloudWatch::Alarm", "AlarmName", "${AWS::StackName}-")
    assert set(re.findall(r"`<stack>/([\w-]+)`", text)) <= queries
    assert set(re.findall(r"`<stack>-([\w-]+)`", text)) <= alarms


def test_the_troubleshooting_guide_lists_every_alarm_and_saved_query(template: dict[str, Any]) -> None:
    text = doc("troubleshooting.md")
    assert set(re.findall(r"`<stack>/([\w-]+)`", text)) == _names(
        template, "AWS::Logs::QueryDefinition", "Name", "${AWS::StackName}/"
    )
    assert set(re.findall(r"`<stack>-([\w-]+)`", text)) == _names(
        template, "AWS::CloudWatch::Alarm", "AlarmName", "${AWS::StackName}-"
    )


def test_the_architecture_metrics_table_is_metric_name() -> None:
    text = doc("architecture.md")
    table = text.split("| metric | service | counts |", 1)[1].split("\n\n", 1)[0]
    cited = set()
    for row in table.splitlines()[2:]:
        cited |= set(re.findall(r"`(\w+)`", row.split("|")[1]))
    assert cited == {value for key, value in vars(MetricName).items() if key.isupper()}


def test_cited_outputs_exist(template: dict[str, Any]) -> None:
    outputs = set(template["Outputs"])
    table = doc("deploy.md").split("| output | use |", 1)[1].split("\n\n", 1)[0]
    for row in table.splitlines()[2:]:
        for name in re.findall(r"`([\w*]+)`", row.split("|")[1]):
            pattern = re.compile("^" + name.replace("*", r"\w+") + "$")
            assert [o for o in outputs if pattern.match(o)], name


@pytest.mark.parametrize("name", DOCS)
def test_cited_make_targets_exist(name: str) -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.M))
    text = doc(name)
    commands = inline_code(text) + re.findall(r"^```\w*\n(.*?)^```", text, flags=re.M | re.S)
    cited = {target for command in commands for target in re.findall(r"\bmake ([a-z][a-z-]+)", command)}
    assert cited
    assert cited <= targets


# ------------------------------------------------------------------ links


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}


@pytest.mark.parametrize("name", DOCS)
def test_links_between_docs_land_on_a_heading(name: str) -> None:
    for target, anchor in re.findall(r"\]\(([\w./-]*\.md|)(?:#([\w-]+))?\)", doc(name)):
        path = (ROOT / "docs" / target).resolve() if target else ROOT / "docs" / name
        assert path.is_file(), f"{name} links to {target}"
        if anchor:
            assert anchor in anchors(path), f"{name} links to {target}#{anchor}"


# ------------------------------------------------------------------ the Chatrace body


def _marked_json(text: str, marker: str) -> dict[str, Any]:
    block = text.split(f"<!-- {marker} -->", 1)[1].split(f"<!-- /{marker} -->", 1)[0]
    body: dict[str, Any] = json.loads(block.split("```json", 1)[1].split("```", 1)[0])
    return body


def test_the_chatrace_body_is_the_readmes_and_the_samples() -> None:
    documented = _marked_json(doc("chatrace.md"), "recommended-body")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    readme_body = json.loads(
        readme.split("## Connect Chatrace", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    )
    assert documented == readme_body
    sample = json.loads((ROOT / "samples/webhook/02-chatrace-recommended.json").read_text())
    assert set(documented) <= set(sample["request"]["body"])
    assert "X-Webhook-Secret" in doc("chatrace.md")
    assert webhook_auth.SECRET_HEADER == "x-webhook-secret"


# ------------------------------------------------------------------ the key layout


def test_every_key_in_the_architecture_table_is_in_the_code() -> None:
    text = doc("architecture.md")
    table = text.split("<!-- key-layout -->", 1)[1].split("<!-- /key-layout -->", 1)[0]
    code = "".join(
        (ROOT / "layers/common/inbox" / name).read_text(encoding="utf-8") for name in ("storage/table.py",)
    )
    literals = set()
    for row in table.strip().splitlines()[2:]:
        pk, sk, index = row.split("|")[2:5]
        for span in re.findall(r"`([^`]+)`", pk + sk + index):
            literal = span.split("<", 1)[0].rstrip("#")
            if literal and not literal.startswith("gsi"):
                literals.add(literal)
    assert {"MSG", "SENDER", "RAW", "FP", "CONV", "POLLER", "STATE"} <= literals
    assert [literal for literal in literals if f'"{literal}' not in code] == []
