"""moto's TransactWriteItems without its copy of the whole table (local runs and tests only).

moto 5 deep-copies every table a transaction names, to put it back if an action fails. That copy
grows with the table: at a few hundred items each write took ~300 ms, and every message the store
writes is a transaction (message + content fingerprint), so `make dev` and `make load` slowed down
the longer they ran. :func:`transact_write_items` does what moto's does — the same validation, the
same condition checks, the same ``TransactionCanceledException`` with one reason per action — but
keeps a copy of only the items it touches and puts those back on failure.

That is enough because local_aws serializes every DynamoDB write (and ``get_item``) on one lock:
nothing else changes the table while a transaction runs. Installed by
``local_aws.make_moto_writes_atomic``.
"""

from __future__ import annotations

import copy
from typing import Any

INSTALLED_FLAG = "_touched_items_only"


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """``DynamoDBBackend.transact_write_items`` (moto 5.x), rolling back only the touched items."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    before: dict[tuple[str, Any, Any], Any] = {}  # (table, hash, range) → a copy of the item, or None

    def roll_back() -> None:
        for (table_name, hash_key, range_key), item in before.items():
            table = self.get_table(table_name)
            if item is None:
                table.delete_item(hash_key, range_key)
            elif range_key is not None:
                table.items[hash_key][range_key] = item
            else:
                table.items[hash_key] = item

    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    for action in transact_items:
        original_item: dict[str, Any] | None = None
        if len(action) > 1:
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(action.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            table = self.get_table(table_name)
            if op_type == "Put":
                attributes = op["Item"]
                key = {table.hash_key_attr: attributes[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attributes[table.range_key_attr]
            else:
                key = op["Key"]
            hash_key, range_key = self.get_keys_value(table, key)
            if (table_name, hash_key, range_key) in before:
                raise MultipleTransactionsException()
            current = table.get_item(hash_key, range_key)
            before[(table_name, hash_key, range_key)] = copy.deepcopy(current)

            condition = op.get("ConditionExpression")
            names = op.get("ExpressionAttributeNames")
            values = op.get("ExpressionAttributeValues")
            if condition is not None and not get_filter_expression(condition, names, values).expr(current):
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    original_item = current.to_json()["Attributes"]
                raise ConditionalCheckFailed(item=original_item)

            common = {
                "condition_expression": condition,
                "expression_attribute_names": names,
                "expression_attribute_values": values,
            }
            if op_type == "Put":
                self.put_item(table_name, op["Item"], **common)
            elif op_type == "Delete":
                self.delete_item(table_name, key, **common)
            elif op_type == "Update":
                self.update_item(table_name, key, update_expression=op["UpdateExpression"], **common)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            roll_back()
            raise
        except ConditionalCheckFailed as exc:
            errors.append(("ConditionalCheckFailed", str(exc.message), original_item))
        except Exception as exc:  # moto's own behaviour: any other failure cancels with its name
            errors.append((type(exc).__name__, str(exc), original_item))

    if any(code is not None for code, _, _ in errors):
        roll_back()
        raise TransactionCanceledException(errors)


setattr(transact_write_items, INSTALLED_FLAG, True)  # a marker on the function object
