"""make bench's DynamoDB meter prices what the client really did, by DynamoDB's metering rules."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from unittest import mock

import boto3
from inbox.observability import logger
from inbox_dev import bench, bench_cost, cfn
from inbox_dev.bench_cost import DynamoDBMeter


def _message(message_id: str, text: str = "hi") -> dict[str, dict[str, str]]:
    return {
        "pk": {"S": f"MSG#{message_id}"},
        "sk": {"S": "MSG"},
        "gsi1pk": {"S": "SENDER#1"},
        "gsi1sk": {"S": f"2024-11-13T12:00:00Z#{message_id}"},
        "gsi2pk": {"S": "MSG"},
        "gsi2sk": {"S": f"2024-11-13T12:00:00Z#{message_id}"},
        "text": {"S": text},
    }


def test_a_put_costs_its_item_once_per_index_it_is_listed_in(table_name: str) -> None:
    client = boto3.client("dynamodb")
    meter = DynamoDBMeter(client, table_name)
    # When a 1.5 KB message is put, then a small fingerprint item that no index lists
    client.put_item(TableName=table_name, Item=_message("a", "x" * 1400))
    client.put_item(TableName=table_name, Item={"pk": {"S": "FP#1"}, "sk": {"S": "2024-11-13T12"}})
    # Then the message costs 2 KB in the table and in each GSI, the fingerprint 1 WRU
    first, second = (call.writes[0] for call in meter.calls)
    assert (first.kind, first.base_units, first.index_units, first.units) == (
        "message",
        2,
        {"gsi1": 2, "gsi2": 2},
        6,
    )
    assert (second.kind, second.units, second.index_units) == ("fingerprint", 1, {})


def test_a_transaction_doubles_each_action_and_a_condition_check_counts(table_name: str) -> None:
    client = boto3.client("dynamodb")
    meter = DynamoDBMeter(client, table_name)
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table_name, "Item": _message("b")}},
            {
                "ConditionCheck": {
                    "TableName": table_name,
                    "Key": {"pk": {"S": "FP#2"}, "sk": {"S": "2024-11-13T13"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
    )
    (call,) = meter.calls
    put, check = call.writes
    assert (put.transactional, put.base_units, put.units) == (True, 1, 2 + 1 + 1)
    assert (check.action, check.units, check.index_units) == ("ConditionCheck", 2, {})


def test_an_update_that_moves_an_index_key_costs_a_delete_and_a_put_there(table_name: str) -> None:
    client = boto3.client("dynamodb")
    client.put_item(TableName=table_name, Item=_message("c"))
    meter = DynamoDBMeter(client, table_name)
    client.update_item(
        TableName=table_name,
        Key={"pk": {"S": "MSG#c"}, "sk": {"S": "MSG"}},
        UpdateExpression="SET gsi2sk = :new",
        ExpressionAttributeValues={":new": {"S": "2024-11-13T12:00:01Z#c"}},
    )
    (write,) = meter.calls[0].writes
    assert write.index_units == {"gsi1": 1, "gsi2": 2}
    assert write.units == 1 + 1 + 2


def test_a_typical_delivery_is_priced_by_item() -> None:
    # When typical deliveries go through the webhook handler (it runs moto of its own, and sets
    # the function's environment as Lambda's init would: restored afterwards)
    with mock.patch.dict(os.environ):
        figures = bench_cost.measure(deliveries=2, senders=1)
    # Then the message, its fingerprint, its conversation and their indexes are all counted
    by_item = figures.write_units_by_item
    assert {"message", "fingerprint", "conversation", "transaction doubling"} <= set(by_item)
    assert by_item["index gsi1 (message)"] >= 1
    assert figures.write_units == sum(by_item.values())
    assert figures.log_lines >= 2  # the handler's line and its EMF line (Lambda's own at WARN: none)
    assert figures.log_bytes > 500


def test_lambdas_own_lines_follow_the_templates_system_log_level() -> None:
    # Given the template as deployed by default, and the same stack with SystemLogLevel INFO
    template = cfn.load_template(Path(__file__).resolve().parents[2] / "template.yaml")
    default = cfn.Context.for_template(template)
    info = cfn.Context.for_template(template, overrides={"LambdaSystemLogLevel": "INFO"})
    # Then the meter counts Lambda's start and report lines only where the stack ships them
    assert bench_cost.system_log_level(template, default) == "WARN"
    assert bench_cost.system_log_level(template, info) == "INFO"


def test_x_ray_is_billed_only_where_the_template_traces() -> None:
    # Given the template as deployed by default, and the same stack with TracingMode PassThrough
    template = cfn.load_template(Path(__file__).resolve().parents[2] / "template.yaml")
    default = cfn.Context.for_template(template)
    untraced = cfn.Context.for_template(template, overrides={"TracingMode": "PassThrough"})
    # Then X-Ray's traces are priced for the default stack only
    assert bench_cost.traced(template, default)
    assert not bench_cost.traced(template, untraced)
    assert bench_cost.also_billed_per_million(batch_size=1, traced_share=0.0)["X-Ray traces"] == 0


def test_the_cost_section_runs_after_the_warm_request_section_in_one_process() -> None:
    """`make bench` runs its sections in one process: (c) writes the functions' lines to a
    /dev/null it closes when done, and (e) must still capture what the function writes."""
    # Given (c) has run, as make bench runs it before (e)
    with mock.patch.dict(os.environ):
        bench.warm_request(requests=2)
        # When (e) runs next
        figures = bench_cost.measure(deliveries=2, senders=1)
    # Then it has captured the handler's lines, and the Logger writes to a stream that is open
    assert figures.log_lines >= 2
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    assert not handler.stream.closed
