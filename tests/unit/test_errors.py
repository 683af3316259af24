"""Issue 11 item 2: the package's exceptions live in inbox.errors, and one map turns them into answers."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import inbox
import pytest
from inbox import errors
from inbox.http import ANSWERED, error_answer


def package_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(inbox.__path__, "inbox.") if m.name != "inbox.errors"]


def test_every_public_exception_of_the_package_is_defined_in_errors() -> None:
    elsewhere = sorted(
        f"{name}.{cls.__name__}"
        for name in package_modules()
        for _, cls in inspect.getmembers(importlib.import_module(name), inspect.isclass)
        if issubclass(cls, Exception) and cls.__module__ == name and not cls.__name__.startswith("_")
    )
    assert elsewhere == []


@pytest.mark.parametrize(
    ("exc", "status", "body", "headers"),
    [
        (
            errors.RejectedDelivery(413, "body is 9 bytes; the limit is 1"),
            413,
            {"error": "body is 9 bytes; the limit is 1"},
            {},
        ),
        (
            errors.InvalidRequest("limit: too big", field="limit"),
            400,
            {"error": "limit: too big", "field": "limit"},
            {},
        ),
        (
            errors.Unauthorized("token expired", error_code="invalid_token"),
            401,
            {"error": "token expired"},
            {"WWW-Authenticate": 'Bearer realm="chatrace-inbox", error="invalid_token"'},
        ),
        (errors.NotFound("no kept body"), 404, {"error": "no kept body"}, {}),
        (
            errors.TooManyAttempts(30),
            429,
            {"error": "too many failed logins; retry later"},
            {"Retry-After": "30"},
        ),
        (
            errors.MissingSecret("auth/jwt-secret"),
            503,
            {"error": "not configured: secret 'auth/jwt-secret' is not set; see `make secrets`"},
            {},
        ),
        (
            errors.StoreUnavailable("throttled", code="Throttling"),
            503,
            {"error": "temporarily unavailable, retry later", "detail": "throttled"},
            {"Retry-After": "5"},
        ),
    ],
)
def test_one_map_from_exception_to_answer(
    exc: errors.InboxError, status: int, body: dict[str, str], headers: dict[str, str]
) -> None:
    answer = error_answer(exc)
    assert (answer.status_code, answer.body, answer.headers) == (status, body, headers)
    assert isinstance(exc, ANSWERED)


def test_an_exception_that_is_no_answer_is_an_internal_error() -> None:
    assert not isinstance(errors.LeaseLost(), ANSWERED)
    assert error_answer(errors.LeaseLost()).status_code == 500
