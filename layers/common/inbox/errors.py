"""The package's own exceptions, so callers never inspect botocore errors or message strings."""

from __future__ import annotations


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
