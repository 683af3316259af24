"""The package's own exceptions, all of them, so callers never inspect botocore errors or message strings.

Which of them are HTTP answers, and which answers, is said once: :func:`inbox.http.error_answer`.
"""

from __future__ import annotations

import re

BEARER_REALM = "chatrace-inbox"


class InboxError(Exception):
    """Base of everything this package raises on purpose."""


class StoreUnavailable(InboxError):
    """DynamoDB did not take the write (throttled, unavailable, denied): the sender should retry."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class SettingsUnavailable(InboxError):
    """SSM Parameter Store could not be read, so no check can be trusted: fail closed."""


class MissingSecret(InboxError):
    """A feature needs a secret that has not been set (see `make secrets`)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"secret {name!r} is not set")
        self.name = name


class RejectedDelivery(InboxError):
    """A delivery the webhook refuses; carries the HTTP status and a reason safe to show the sender."""

    def __init__(self, status_code: int, reason: str, *, keep_raw: bool = False) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.reason = reason
        self.keep_raw = keep_raw


class Unauthorized(InboxError):
    """The operator API refuses a request: no, a malformed or an invalid bearer token, or bad credentials.

    ``reason`` is safe to show the caller; ``detail`` (never a token or secret) is for the log only.
    ``error_code`` is RFC 6750's: ``invalid_request`` (no or malformed header) or ``invalid_token``.
    """

    def __init__(self, reason: str, *, detail: str | None = None, error_code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail or reason
        self.error_code = error_code

    def challenge(self) -> str:
        """The ``WWW-Authenticate`` value for this refusal (RFC 6750 §3)."""
        if self.error_code is None:
            return f'Bearer realm="{BEARER_REALM}"'
        return f'Bearer realm="{BEARER_REALM}", error="{self.error_code}"'


class TooManyAttempts(InboxError):
    """Too many failed logins from this address or for this account (429): try again in ``retry_after`` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry in {retry_after} s")
        self.retry_after = max(1, retry_after)


class InvalidRequest(InboxError):
    """A request the operator API cannot act on (400): ``field`` names the culprit when there is one."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class RefusedMessage(InvalidRequest):
    """A message the store will not write, and a retry cannot change: an id over its byte limit, an
    inbound id in the replies' reserved ``reply:`` space, or an item DynamoDB itself refuses
    (``ValidationException``). A 4xx for that message alone, never a 503 (docs/security.md §4, §9).
    """


class NotFound(InboxError):
    """What the operator asked for does not exist (404)."""


class UnusableSecret(InboxError):
    """A secret is set but cannot be used (too short, not a hash this package wrote): a setup problem."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"secret {name!r} is set but unusable: {problem}")
        self.name = name
        self.problem = problem


class DuplicateKey(InboxError):
    """A body repeats a key (at any depth) or a form field: refused, since with a hand-written
    template that is how a customer's text forges fields (docs/security.md §1).

    ``reason`` names the key only when it is short and made of plain characters, so an answer or a
    log line never echoes arbitrary attacker text.
    """

    def __init__(self, key: str) -> None:
        shown = f' "{key}"' if _PLAIN_KEY.fullmatch(key) else ""
        super().__init__(f"duplicate key{shown}: each key may appear only once")
        self.reason = str(self)


class MalformedHash(ValueError):
    """The stored hash is not ``scrypt$n$r$p$salt$hash`` with sane parameters: a setup problem."""


class SendFailed(InboxError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InboxApiError(InboxError):
    """The inbox API did not answer with data; ``reason`` is safe to log (never the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenRejected(InboxApiError):
    """The token was refused (HTTP 401/403, or an error answer about the token on HTTP 200)."""

    def __init__(self, reason: str, *, status: int) -> None:
        super().__init__(reason)
        self.status = status


class InboxUnavailable(InboxApiError):
    """Worth retrying later: rate limited, server error, timeout, unreachable, malformed answer."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class BadInboxRow(ValueError):
    """One row of an answer that cannot be read; the caller skips it and goes on."""


class LeaseLost(InboxError):
    """Another invocation holds the lease now (ours expired): stop without touching the cursor."""


class RoundOutOfTime(InboxError):
    """The invocation is about to end: the round stops where it is (the cursor stays)."""


class PollingDisabled(InboxError):
    """Polling is off or not configured: one INFO line per invocation, not an error."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class OutboundRefused(InboxError):
    """A URL the token may not be sent to; ``rule`` says which rule it breaks (never the URL)."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


class EventNotPublished(InboxError):
    """EventBridge did not take the event: the stream record is retried."""


class SendRejected(SendFailed):
    def __init__(self, reason: str, *, status: int) -> None:
        super().__init__(reason)
        self.status = status


class SendNotSent(SendFailed):
    pass


class SendUnknown(SendFailed):
    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.:@$-]{1,40}")
