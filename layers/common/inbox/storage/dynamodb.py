"""The package's one DynamoDB client and its one mapping of AWS errors to the package's exceptions.

Every read and write of the table goes through :class:`Table`, so what an AWS error means is
decided here alone:

- a conditional write whose condition failed (``ConditionalCheckFailedException``) is an answer,
  not an error: ``put`` and ``update`` return False / None;
- a transaction cancelled only for reasons a caller can act on (a condition, a conflict with a
  concurrent transaction: :data:`RETRYABLE_REASONS`) returns each action's reason;
- an item out of DynamoDB's limits (``ValidationException``, or ``ValidationError`` inside a
  transaction) is :class:`~inbox.errors.RefusedMessage` on a transaction — retrying cannot fix it,
  so it must not become a 503 retried forever;
- everything else, and every ``BotoCoreError`` (no connection, a timeout), is
  :class:`~inbox.errors.StoreUnavailable` carrying the AWS code (503 + Retry-After upstream).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from inbox.aws import aws_client
from inbox.errors import RefusedMessage, StoreUnavailable
from inbox.storage.items import Update
from inbox.storage.table import Item, Key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

CONDITION_FAILED = "ConditionalCheckFailed"
CONFLICT = "TransactionConflict"
RETRYABLE_REASONS = frozenset({"None", CONDITION_FAILED, CONFLICT})
"""Cancellation reasons a caller decides on (``"None"``: that action was fine)."""
BATCH_KEYS = 100
"""The most keys one BatchGetItem may ask for."""
BATCH_ATTEMPTS = 5


def dynamodb_client() -> DynamoDBClient:
    """The container's one DynamoDB client (:func:`inbox.aws.aws_client`)."""
    return cast("DynamoDBClient", aws_client("dynamodb"))


class _ConditionFailed(Exception):
    """A conditional single write whose condition did not hold (internal: callers get False)."""


@contextmanager
def aws_errors(action: str = "write", *, refuse_invalid: bool = False) -> Iterator[None]:
    """The one mapping: ClientError / BotoCoreError → _ConditionFailed, RefusedMessage or StoreUnavailable."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
        if code == "ConditionalCheckFailedException":
            raise _ConditionFailed(code) from exc
        if refuse_invalid and code == "ValidationException":  # an item out of DynamoDB's limits
            raise RefusedMessage(f"DynamoDB refused the message ({code})") from exc
        raise StoreUnavailable(f"DynamoDB refused the {action} ({code})", code=code) from exc
    except BotoCoreError as exc:
        name = type(exc).__name__
        raise StoreUnavailable(f"DynamoDB could not be reached ({name})", code=name) from exc


def cancellation_reasons(exc: BaseException, actions: int) -> list[str] | None:
    """Each action's reason when a transaction was cancelled for reasons a caller decides on."""
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return None
    code = exc.response.get("Error", {}).get("Code", "Unknown")
    if code in ("TransactionConflictException", "TransactionInProgressException"):
        return [CONFLICT] * actions
    if code != "TransactionCanceledException":
        return None
    reasons = [str(reason.get("Code", "None")) for reason in exc.response.get("CancellationReasons", [])]
    if "ValidationError" in reasons:  # an item out of DynamoDB's limits, inside a transaction
        raise RefusedMessage("DynamoDB refused the message (ValidationError)") from exc
    if len(reasons) == actions and set(reasons) <= RETRYABLE_REASONS:
        return reasons
    return None


class Table:
    """One table through the one client; AWS errors mapped by :func:`aws_errors` alone."""

    def __init__(self, name: str, client: DynamoDBClient | None = None) -> None:
        self.name = name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._client or dynamodb_client()

    def get(self, key: Key, *, consistent: bool = False, projection: str | None = None) -> Item | None:
        request: dict[str, Any] = {"TableName": self.name, "Key": key}
        if consistent:
            request["ConsistentRead"] = True
        if projection:
            request["ProjectionExpression"] = projection
        with aws_errors("read"):
            found = self.client.get_item(**request).get("Item")
        return cast(Item, found) if found else None

    def batch_get(self, keys: list[Key], *, consistent: bool = False) -> list[Item]:
        """The items of ``keys`` that exist, in no particular order: BatchGetItem, :data:`BATCH_KEYS` keys
        a call, the keys DynamoDB left unprocessed (throttling) asked again after a short wait."""
        found: list[Item] = []
        for start in range(0, len(keys), BATCH_KEYS):
            pending: dict[str, Any] = {self.name: {"Keys": keys[start : start + BATCH_KEYS]}}
            if consistent:
                pending[self.name]["ConsistentRead"] = True
            for attempt in range(BATCH_ATTEMPTS):
                if attempt:
                    time.sleep(0.05 * 2**attempt)
                with aws_errors("read"):
                    answer = self.client.batch_get_item(RequestItems=pending)
                found += cast(list[Item], answer.get("Responses", {}).get(self.name, []))
                pending = cast(dict[str, Any], answer.get("UnprocessedKeys") or {})
                if not pending:
                    break
            else:
                raise StoreUnavailable(
                    f"DynamoDB left keys unprocessed after {BATCH_ATTEMPTS} attempts", code="UnprocessedKeys"
                )
        return found

    def query(self, request: dict[str, Any]) -> tuple[list[Item], Key | None]:
        """One Query page: its items and where the next one starts (None: the last)."""
        with aws_errors("read"):
            answer = self.client.query(TableName=self.name, **request)
        return cast(list[Item], answer.get("Items", [])), cast(Key | None, answer.get("LastEvaluatedKey"))

    def put(self, item: Item, *, if_new: bool = False) -> bool:
        """Put ``item`` (only if its key is free, with ``if_new``): False when it was not."""
        request: dict[str, Any] = {"TableName": self.name, "Item": item}
        if if_new:
            request["ConditionExpression"] = "attribute_not_exists(pk)"
        try:
            with aws_errors():
                self.client.put_item(**request)
        except _ConditionFailed:
            return False
        return True

    def update(self, key: Key, update: Update) -> Item | None:
        """Run ``update``: the item's attributes after it, or None when its condition failed."""
        request = update.request(self.name, key) | {"ReturnValues": "ALL_NEW"}
        try:
            with aws_errors():
                answer = self.client.update_item(**request)
        except _ConditionFailed:
            return None
        return cast(Item, answer.get("Attributes", {}))

    def transact(self, actions: list[dict[str, Any]]) -> list[str] | None:
        """None when the transaction committed, else each action's cancellation reason (``"None"`` =
        fine, ``TransactionConflict`` for a concurrent transaction) for the caller to decide."""
        from botocore.exceptions import ClientError

        with aws_errors(refuse_invalid=True):
            try:
                self.client.transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
            except ClientError as exc:
                reasons = cancellation_reasons(exc, len(actions))
                if reasons is None:
                    raise
                return reasons
        return None
