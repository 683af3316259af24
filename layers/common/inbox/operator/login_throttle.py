"""Failed operator logins, counted in DynamoDB per source address and per account, with growing delays.

Two counters (items ``LOGIN#address#…`` and ``LOGIN#account#…`` of the messages table, see
:func:`inbox.storage.table.login_counter_key`) decide whether a login may check a password at all:

- **per source address** (an IPv4 address, or an IPv6 /64 — one host's whole range): 5 failures
  are free, then the address is locked 30 s, doubling with each further failure up to 15 min. An
  attacker locks only their own addresses, quickly.
- **per account** (the email as typed, hashed — an unknown email is counted exactly like the real
  one, so the answers never tell which exists): 10 failures are free, then 2 s, doubling up to a
  cap of 60 s. It slows guessing spread over many addresses without keeping the operator out for
  long, and it never holds back an address that logged in successfully in the last 30 days.

A locked login is answered 429 with ``Retry-After`` (seconds) before any password work; it is not
a failure and does not lengthen the lock. An attempt that may check a password is counted as a
failure *before* the check (one conditional transaction on both counters, so concurrent guesses
cannot all slip through between a read and a write), and a correct password resets both counters
(and trusts the address). Failures are forgotten 24 h after the last one; items expire by TTL.
If DynamoDB cannot be read or written, the login fails closed (503), it never skips the count.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from inbox.errors import TooManyAttempts
from inbox.storage.dynamodb import Table
from inbox.storage.items import login_counter_from_item, login_counter_item, to_values
from inbox.storage.records import LoginCounterItem
from inbox.storage.table import LOGIN_BY_ACCOUNT, LOGIN_BY_ADDRESS, Key, login_counter_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

FORGET_FAILURES_AFTER = timedelta(hours=24)
TRUST_ADDRESS_FOR = timedelta(days=30)
_MAX_ATTEMPTS = 4


@dataclass(frozen=True, slots=True)
class Policy:
    """How many failures are free, and how long each further one locks (doubling, capped)."""

    free_failures: int
    first_delay_seconds: int
    max_delay_seconds: int

    def delay_after(self, failures: int) -> int:
        """Seconds of lock after the ``failures``-th consecutive failure."""
        if failures < self.free_failures:
            return 0
        doublings = min(failures - self.free_failures, 32)
        delay: int = self.first_delay_seconds << doublings
        return min(delay, self.max_delay_seconds)


ADDRESS_POLICY = Policy(free_failures=5, first_delay_seconds=30, max_delay_seconds=15 * 60)
ACCOUNT_POLICY = Policy(free_failures=10, first_delay_seconds=2, max_delay_seconds=60)


def address_subject(source_ip: str | None) -> str:
    """The counter's name for a source address: IPv4 as is, IPv6 by its /64, anything else one bucket."""
    try:
        address = ipaddress.ip_address((source_ip or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def account_subject(email: str) -> str:
    """The counter's name for an account: a hash of the email as compared (never the email itself)."""
    return hashlib.sha256(email.strip().casefold().encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Counter:
    """One counter item as read: ``version`` None when there is none."""

    key: Key
    version: int | None
    failures: int
    locked_until: int
    trusted_until: int

    @classmethod
    def read(cls, key: Key, item: dict[str, Any] | None, now: int) -> Counter:
        if not item:
            return cls(key, None, 0, 0, 0)
        stored = login_counter_from_item(item)
        fresh = now - stored.last_failure_at < FORGET_FAILURES_AFTER.total_seconds()
        failures = stored.failures if fresh else 0
        return cls(key, stored.version, failures, stored.locked_until, stored.trusted_until)

    def lock_seconds(self, now: int) -> int:
        return max(0, self.locked_until - now)


@dataclass(frozen=True, slots=True)
class Attempt:
    """An admitted attempt, already counted as a failure; :meth:`LoginThrottle.succeeded` undoes that."""

    address: Counter
    account: Counter


class LoginThrottle:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._table = Table(table_name, client)

    def admit(self, *, source_ip: str | None, email: str, now: datetime) -> Attempt:
        """Count this attempt as a failure and let it check the password, or raise TooManyAttempts."""
        address_key = login_counter_key(LOGIN_BY_ADDRESS, address_subject(source_ip))
        account_key = login_counter_key(LOGIN_BY_ACCOUNT, account_subject(email))
        for attempt in range(_MAX_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 - jitter, not a secret
            moment = int(now.timestamp())
            address = Counter.read(address_key, self._table.get(address_key, consistent=True), moment)
            account = Counter.read(account_key, self._table.get(account_key, consistent=True), moment)
            wait = address.lock_seconds(moment)
            if address.trusted_until <= moment:
                wait = max(wait, account.lock_seconds(moment))
            if wait:
                raise TooManyAttempts(wait)
            if self._reserve([(address, ADDRESS_POLICY), (account, ACCOUNT_POLICY)], moment):
                return Attempt(address, account)
        raise TooManyAttempts(1)  # others are trying the same counters right now

    def succeeded(self, attempt: Attempt, now: datetime) -> None:
        """A correct password: both counters start again, and the address is trusted for 30 days."""
        moment = int(now.timestamp())
        trusted = moment + int(TRUST_ADDRESS_FOR.total_seconds())
        for counter, trusted_until in ((attempt.address, trusted), (attempt.account, 0)):
            version = (counter.version or 0) + 2  # past the reservation's own write
            self._table.put(_item(counter.key, now=moment, trusted_until=trusted_until, version=version))

    # ------------------------------------------------------------------------------ DynamoDB

    def _reserve(self, counters: list[tuple[Counter, Policy]], now: int) -> bool:
        """One failure more on each counter, with the lock it brings, if none changed since it was read."""
        actions = []
        for counter, policy in counters:
            failures = counter.failures + 1
            item = _item(
                counter.key,
                now=now,
                failures=failures,
                locked_until=now + policy.delay_after(failures),
                trusted_until=counter.trusted_until,
                version=(counter.version or 0) + 1,
            )
            put: dict[str, Any] = {"TableName": self.table_name, "Item": item}
            if counter.version is None:
                put["ConditionExpression"] = "attribute_not_exists(pk)"
            else:
                put["ConditionExpression"] = "ver = :ver"
                put["ExpressionAttributeValues"] = to_values({":ver": counter.version})
            actions.append({"Put": put})
        reasons = self._table.transact(actions)
        return reasons is None  # else a condition or a concurrent transaction: read again


def _item(
    key: Key,
    *,
    now: int,
    version: int,
    trusted_until: int,
    failures: int = 0,
    locked_until: int = 0,
) -> dict[str, Any]:
    """A counter item; with no failures it keeps only the trust, and expires with it (or in 24 h)."""
    expires = max(now + int(FORGET_FAILURES_AFTER.total_seconds()), locked_until, trusted_until)
    counter = LoginCounterItem(version, failures, now if failures else 0, locked_until, trusted_until)
    return login_counter_item(key, counter, ttl=expires)
