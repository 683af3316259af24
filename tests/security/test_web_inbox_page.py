"""§10 of docs/security.md: the web inbox's files (inbox/operator/web/) — small, self-contained, and with no
way to turn data into HTML or code."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from inbox.operator import web_inbox

WEB = resources.files("inbox.operator").joinpath("web")


def text(name: str) -> str:
    return WEB.joinpath(name).read_text(encoding="utf-8")


def test_the_page_weighs_under_60_kb_uncompressed() -> None:
    assert 10_000 < web_inbox.page_weight() < 60 * 1024


def test_every_file_the_page_loads_is_served_and_every_served_file_exists() -> None:
    html = text(web_inbox.PAGE)
    linked = set(re.findall(r'(?:href|src)="/inbox/([^"]+)"', html))
    imported = {
        name
        for asset in web_inbox.ASSETS
        if asset.endswith(".js")
        for name in re.findall(r'from "\./([^"]+)"', text(asset))
    }
    assert linked | imported <= set(web_inbox.ASSETS)
    assert all(web_inbox.static_file(name) is not None for name in web_inbox.ASSETS)
    assert not re.search(r'(?:href|src)="(?!/inbox/)', html), "nothing from another origin"


def test_the_html_has_no_inline_script_style_or_handler() -> None:
    html = text(web_inbox.PAGE)
    assert re.findall(r"<script[^>]*>", html) == ['<script type="module" src="/inbox/inbox.js">']
    assert '<script type="module" src="/inbox/inbox.js"></script>' in html  # empty: no inline code
    assert not re.search(r"\s(?:on\w+|style)=", html)
    assert "<style" not in html


@pytest.mark.parametrize("name", [name for name in web_inbox.ASSETS if name.endswith(".js")])
def test_no_script_turns_a_string_into_html_or_code(name: str) -> None:
    source = text(name)
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "srcdoc",
    ):
        assert sink not in source, f"{name} uses {sink}"


def test_the_policy_allows_no_inline_or_foreign_script_and_requires_trusted_types() -> None:
    policy = dict(part.split(" ", 1) for part in web_inbox.CONTENT_SECURITY_POLICY.split("; "))
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'none'"
    assert policy["connect-src"] == "'self'"
    assert policy["require-trusted-types-for"] == "'script'"
    assert "unsafe" not in web_inbox.CONTENT_SECURITY_POLICY


def test_an_unknown_or_path_like_asset_is_404_and_an_unchanged_one_304() -> None:
    assert web_inbox.serve("../web_inbox.py", {}).status_code == 404
    assert web_inbox.serve("secrets.txt", {}).status_code == 404
    found = web_inbox.serve("inbox.js", {})
    assert found.status_code == 200
    assert found.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert web_inbox.serve("inbox.js", {"if-none-match": found.headers["ETag"]}).status_code == 304
