"""The poller's state: one item, ``pk = POLLER``, ``sk = STATE``, in the messages table.

- **lease** (``leaseOwner``, ``leaseExpiresMs``): taken with a conditional update — free, expired,
  or already ours — so two invocations never poll at once. It is taken until the invocation's own
  deadline (plus a margin), so a crashed or timed-out invocation frees it by itself, and released
  when an invocation ends.
- **cursor** (``cursorMs``): the newest conversation time whose messages are all stored. Written
  only after a round stored everything up to it, and only by the lease holder.
- **backlog** (``backlogFloorMs``, ``backlogFromMs``, ``backlogToMs``): a catch-up's progress while
  rounds cannot finish (:class:`Backlog`); removed when a round moves the cursor.
- **token health** (``tokenStatus`` ``ok`` / ``rejected``, ``tokenCheckedAt``, ``tokenDetail``):
  what the last request with the Chatrace token showed, for ``GET /instagram/config``
  (:func:`read_poller_status`).
- **last error** (``lastError``, ``lastErrorAt``) and ``lastRoundAt``, for the same page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from inbox.errors import LeaseLost
from inbox.normalize.timestamps import format_ms
from inbox.storage.dynamodb import Table, dynamodb_client
from inbox.storage.items import Update, from_item, number_of, text_of
from inbox.storage.table import POLLER_STATE_KEY, Item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["Backlog", "PollerState", "PollerStatus", "TokenStatus", "read_poller_status"]

_BACKLOG_ATTRIBUTES = ("backlogFloorMs", "backlogFromMs", "backlogToMs")
MAX_DETAIL = 300
TokenStatus = Literal["ok", "rejected", "unknown"]


class Backlog(NamedTuple):
    """A catch-up in progress (see inbox.polling.round): every Instagram conversation whose last activity
    lies between ``done_from_ms`` and ``done_to_ms`` has had all its messages newer than
    ``floor_ms`` stored, and has not changed since."""

    floor_ms: int
    done_from_ms: int
    done_to_ms: int

    def covers(self, stamp: int | None) -> bool:
        return stamp is not None and self.done_from_ms <= stamp <= self.done_to_ms

    def to_log(self) -> dict[str, str]:
        return {"floor": format_ms(self.floor_ms), "doneFrom": format_ms(self.done_from_ms)}


class PollerStatus(NamedTuple):
    """The state item as read; defaults when the poller never ran."""

    token_status: TokenStatus = "unknown"  # noqa: S105 - a state, not a password
    token_checked_at: str | None = None
    token_detail: str | None = None
    cursor_ms: int | None = None
    last_round_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    lease_owner: str | None = None
    lease_expires_ms: int | None = None
    backlog: Backlog | None = None

    def to_json(self) -> dict[str, Any]:
        """What the operator API shows (no secret: the token's health, never the token)."""
        return {
            "token": {
                "status": self.token_status,
                "checkedAt": self.token_checked_at,
                "detail": self.token_detail,
            },
            "cursor": format_ms(self.cursor_ms) if self.cursor_ms is not None else None,
            "lastRoundAt": self.last_round_at,
            "catchingUpFrom": format_ms(self.backlog.floor_ms) if self.backlog is not None else None,
            "lastError": {"reason": self.last_error, "at": self.last_error_at} if self.last_error else None,
        }


def read_poller_status(table_name: str, client: DynamoDBClient | None = None) -> PollerStatus:
    """The poller's state for ``GET /instagram/config`` (needs ``dynamodb:GetItem`` on the table)."""
    return PollerState(table_name, client).read()


class PollerState:
    """Reads and conditional writes of the state item; AWS errors become StoreUnavailable."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client or dynamodb_client()
        self._table = Table(table_name, self._client)

    def read(self) -> PollerStatus:
        return _status(self._table.get(POLLER_STATE_KEY, consistent=True) or {})

    def acquire(self, owner: str, *, now_ms: int, expires_ms: int) -> PollerStatus | None:
        """Take the lease (free, expired or ours) until ``expires_ms``; None when another holds it."""
        attributes = self._update(
            "SET leaseOwner = :owner, leaseExpiresMs = :expires, #kind = :kind",
            condition="attribute_not_exists(leaseOwner) OR leaseExpiresMs < :now OR leaseOwner = :owner",
            values={":owner": owner, ":expires": expires_ms, ":now": now_ms, ":kind": "poller"},
            names={"#kind": "kind"},
        )
        return None if attributes is None else _status(attributes)

    def release(self, owner: str) -> None:
        self._update(
            "REMOVE leaseOwner, leaseExpiresMs", condition="leaseOwner = :owner", values={":owner": owner}
        )

    def record_round(
        self, owner: str, *, cursor_ms: int | None, at: str, backlog: Backlog | None = None
    ) -> None:
        """A round stored everything up to ``cursor_ms`` (and what ``backlog`` says) and the token
        worked; raises LeaseLost."""
        values: dict[str, object] = {":owner": owner, ":at": at, ":ok": "ok"}
        expression = "SET lastRoundAt = :at, tokenStatus = :ok, tokenCheckedAt = :at"
        removed = ["tokenDetail"]
        if cursor_ms is not None:
            expression += ", cursorMs = :cursor"
            values[":cursor"] = cursor_ms
        if backlog is None:
            removed += _BACKLOG_ATTRIBUTES
        else:
            bounds = (backlog.floor_ms, backlog.done_from_ms, backlog.done_to_ms)
            for name, value in zip(_BACKLOG_ATTRIBUTES, bounds, strict=True):
                expression += f", {name} = :{name}"
                values[f":{name}"] = value
        expression += " REMOVE " + ", ".join(removed)
        if self._update(expression, condition="leaseOwner = :owner", values=values) is None:
            raise LeaseLost("the poller lease was taken over; the cursor was not moved")

    def record_token_rejected(self, *, at: str, detail: str) -> None:
        self._update(
            "SET tokenStatus = :rejected, tokenCheckedAt = :at, tokenDetail = :detail",
            values={":rejected": "rejected", ":at": at, ":detail": detail[:MAX_DETAIL]},
        )

    def record_error(self, owner: str, *, at: str, reason: str) -> None:
        self._update(
            "SET lastError = :reason, lastErrorAt = :at",
            condition="leaseOwner = :owner",
            values={":owner": owner, ":at": at, ":reason": reason[:MAX_DETAIL]},
        )

    def _update(
        self,
        expression: str,
        *,
        values: dict[str, object],
        condition: str | None = None,
        names: dict[str, str] | None = None,
    ) -> Item | None:
        """The item's attributes after the update, or None when the condition did not hold."""
        return self._table.update(POLLER_STATE_KEY, Update(expression, values, condition, names or {}))


def _status(item: Item) -> PollerStatus:
    fields = from_item(item)

    def text(name: str) -> str | None:
        return text_of(fields, name)

    def number(name: str) -> int | None:
        return number_of(fields, name)

    token = text("tokenStatus")
    return PollerStatus(
        token_status=token if token in ("ok", "rejected") else "unknown",  # type: ignore[arg-type]
        token_checked_at=text("tokenCheckedAt"),
        token_detail=text("tokenDetail"),
        cursor_ms=number("cursorMs"),
        last_round_at=text("lastRoundAt"),
        last_error=text("lastError"),
        last_error_at=text("lastErrorAt"),
        lease_owner=text("leaseOwner"),
        lease_expires_ms=number("leaseExpiresMs"),
        backlog=_backlog(*(number(name) for name in _BACKLOG_ATTRIBUTES)),
    )


def _backlog(floor: int | None, done_from: int | None, done_to: int | None) -> Backlog | None:
    if floor is None or done_from is None or done_to is None:
        return None
    return Backlog(floor, done_from, done_to)
