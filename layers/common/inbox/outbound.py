"""Where the Chatrace token may be sent: only to the hosts of the allow-list, over https.

Every outbound call carries ``X-ACCESS-TOKEN``, so whoever can choose its URL can take the token.
The URLs are settings an operator may change (``PUT /instagram/config``) and that anyone with
``ssm:PutParameter`` can rewrite, so the same check runs twice: when a URL is set (400 naming the
rule) and right before each call (:func:`inbox.operator.chatrace_client.send_text`,
:class:`inbox.polling.inbox_client.InboxClient`), so a value stored before this check existed, or put
straight into Parameter Store, still cannot send the token elsewhere.

The list is the stack parameter ``ChatraceAllowedHosts`` (the functions' ``CHATRACE_ALLOWED_HOSTS``,
read by :class:`inbox.settings.FunctionEnvironment`); its default is Chatrace's API and app hosts.
The template refuses a loopback host in it, and ``http`` is accepted only for a loopback host, so
only ``make dev`` (which adds the loopback addresses its fake Chatrace uses) can send over http.

A refusal names the rule, never the value: the value may be a URL with a password in it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx

from inbox.errors import OutboundRefused

MAX_URL_CHARS = 2048
# RFC 3986's characters only: no space, backslash, non-ASCII or control character for two URL
# parsers (ours and the HTTP client's) to read differently.
_URL_CHARS = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+")
_CONTACT_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


@dataclass(frozen=True, slots=True)
class AllowedHosts:
    """The hosts outbound calls may go to (lower-case names, any port)."""

    hosts: tuple[str, ...]

    def check(self, url: str, *, example: str = "https://api.chatrace.com") -> str:
        """``url`` stripped when the token may go there; raises OutboundRefused naming the rule."""
        url = url.strip()
        if not url or len(url) > MAX_URL_CHARS or not _URL_CHARS.fullmatch(url):
            raise OutboundRefused(
                f"must be an absolute URL such as {example} (at most {MAX_URL_CHARS} characters)"
            )
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise OutboundRefused(f"must be an absolute URL such as {example}")
        if "@" in parts.netloc:
            raise OutboundRefused("must not carry user info (user:password@)")
        if "?" in url:
            raise OutboundRefused("must not carry a query (?…)")
        if "#" in url:
            raise OutboundRefused("must not carry a fragment (#…)")
        host = (parts.hostname or "").lower()
        try:
            port = parts.port
        except ValueError:
            port = -1
        if not host or "%" in parts.netloc or port == -1:
            raise OutboundRefused(f"must be an absolute URL such as {example}")
        if host not in self.hosts:
            raise OutboundRefused(
                "host is not on the allow-list (stack parameter ChatraceAllowedHosts: "
                + ", ".join(self.hosts)
                + ")"
            )
        if parts.scheme != "https" and not is_loopback(host):
            raise OutboundRefused("must use https (http only for make dev's loopback addresses)")
        # The HTTP client must read the same scheme and host as this check did.
        parsed = httpx.URL(url)
        if (parsed.scheme, parsed.host.lower(), parsed.userinfo, parsed.query, parsed.fragment) != (
            parts.scheme,
            host,
            b"",
            b"",
            "",
        ):
            raise OutboundRefused(f"must be an absolute URL such as {example}")
        return url


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def contact_segment(contact_id: str) -> str:
    """A contact id as one path segment: Chatrace's ids are digits, so only ``[A-Za-z0-9_-]`` pass
    (no ``/``, ``..``, ``?`` or ``#`` to change the path), and the result is percent-encoded anyway."""
    if not _CONTACT_ID.fullmatch(contact_id):
        raise OutboundRefused("a contact id is 1 to 128 letters, digits, _ or -")
    return quote(contact_id, safe="")
