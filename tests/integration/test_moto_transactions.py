"""local_aws's TransactWriteItems for moto: DynamoDB's all-or-nothing, without copying the table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from inbox_dev import moto_transactions
from moto.dynamodb.models import DynamoDBBackend

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import ConditionCheckTypeDef, TransactWriteItemTypeDef


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "X"}}


def item(pk: str, **attributes: str) -> dict[str, Any]:
    return {**key(pk), **{name: {"S": value} for name, value in attributes.items()}}


@pytest.fixture
def table(table_name: str) -> str:
    client = boto3.client("dynamodb")
    client.put_item(TableName=table_name, Item=item("kept", v="old"))
    client.put_item(TableName=table_name, Item=item("doomed", v="here"))
    client.put_item(TableName=table_name, Item=item("guard", v="present"))
    return table_name


def everything(table_name: str) -> dict[str, dict[str, Any]]:
    return {i["pk"]["S"]: i for i in boto3.client("dynamodb").scan(TableName=table_name)["Items"]}


def test_it_is_installed_by_local_aws(table_name: str) -> None:
    assert getattr(DynamoDBBackend.transact_write_items, moto_transactions.INSTALLED_FLAG, False)


def four_actions(
    table: str, *, value: str, check: str, return_old: bool = False
) -> list[TransactWriteItemTypeDef]:
    """Put "new", set "kept"'s ``v`` to ``value``, delete "doomed", check that ``check`` does not exist."""
    absent = "attribute_not_exists(pk)"
    condition: ConditionCheckTypeDef = {"TableName": table, "Key": key(check), "ConditionExpression": absent}
    if return_old:
        condition["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return [
        {"Put": {"TableName": table, "Item": item("new", v="1"), "ConditionExpression": absent}},
        {
            "Update": {
                "TableName": table,
                "Key": key("kept"),
                "UpdateExpression": "SET v = :v",
                "ExpressionAttributeValues": {":v": {"S": value}},
            }
        },
        {"Delete": {"TableName": table, "Key": key("doomed")}},
        {"ConditionCheck": condition},
    ]


def test_a_committed_transaction_applies_every_action(table: str) -> None:
    boto3.client("dynamodb").transact_write_items(
        TransactItems=four_actions(table, value="new", check="absent")
    )
    items = everything(table)
    assert set(items) == {"new", "kept", "guard"}
    assert items["kept"]["v"] == {"S": "new"}


def test_a_cancelled_transaction_leaves_every_item_as_it_was(table: str) -> None:
    before = everything(table)
    with pytest.raises(ClientError) as caught:
        boto3.client("dynamodb").transact_write_items(
            TransactItems=four_actions(table, value="changed", check="guard", return_old=True)
        )
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons: list[Any] = list(caught.value.response["CancellationReasons"])
    assert [r["Code"] for r in reasons] == ["None", "None", "None", "ConditionalCheckFailed"]
    assert reasons[3]["Item"]["v"] == {"S": "present"}  # what the check saw, as DynamoDB reports it
    assert everything(table) == before


def test_two_actions_on_one_item_are_refused_and_change_nothing(table: str) -> None:
    before = everything(table)
    with pytest.raises(ClientError) as caught:
        boto3.client("dynamodb").transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": item("kept", v="twice")}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": key("kept"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert everything(table) == before
