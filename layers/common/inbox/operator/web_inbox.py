"""`GET /inbox` and `GET /inbox/{asset}`: the operator's web inbox, served by the config function.

The page is static (``inbox/operator/web/``: HTML, CSS and JavaScript modules, no build step, nothing from
another origin) and public — it holds no data; everything it shows comes from the JWT-protected
JSON API, with the token kept in ``sessionStorage``. Each answer carries:

- a strict Content-Security-Policy: scripts and styles only from this origin (no inline script),
  Trusted Types required (so a string can never reach an HTML sink such as ``innerHTML``), requests
  only to this origin; images and players only from http(s) URLs (the customers' CDN links);
- ``Cache-Control: no-cache`` with a strong ``ETag``: the browser revalidates every load (a deploy
  is seen at once) and an unchanged file costs a 304 without a body;
- ``Referrer-Policy: no-referrer`` (customer links never learn the inbox's URL) and
  ``X-Frame-Options: DENY`` (with ``frame-ancestors 'none'``); ``X-Content-Type-Options: nosniff``
  comes with every answer (:data:`inbox.http.SECURITY_HEADERS`).

Only the files listed in :data:`ASSETS` are served: an asset name is looked up, never joined to a path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import NamedTuple

from inbox.http import Answer

PAGE = "index.html"
ASSETS: dict[str, str] = {
    PAGE: "text/html; charset=utf-8",
    "inbox.css": "text/css; charset=utf-8",
    "inbox.js": "text/javascript; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "dom.js": "text/javascript; charset=utf-8",
    "views.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: http:",
        "media-src https: http:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    ]
)


class StaticFile(NamedTuple):
    content: str
    content_type: str
    etag: str

    @property
    def size(self) -> int:
        return len(self.content.encode("utf-8"))


@cache
def static_file(name: str) -> StaticFile | None:
    content_type = ASSETS.get(name)
    if content_type is None:
        return None
    content = resources.files("inbox.operator").joinpath("web", name).read_text(encoding="utf-8")
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]
    return StaticFile(content, content_type, f'"{digest}"')


def page_weight() -> int:
    """Bytes of every file the page loads, uncompressed (``make bench`` holds it under 60 KB)."""
    return sum(found.size for name in ASSETS if (found := static_file(name)) is not None)


def serve(name: str, headers: Mapping[str, str]) -> Answer:
    """One file of the page; ``headers`` are the request's, names lower-cased."""
    found = static_file(name)
    if found is None:
        return Answer(404, {"error": "not found"})
    common = {
        "Cache-Control": "no-cache",
        "ETag": found.etag,
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }
    if found.etag in (tag.strip() for tag in headers.get("if-none-match", "").split(",")):
        return Answer(304, "", common)
    return Answer(200, found.content, {"Content-Type": found.content_type, **common})
