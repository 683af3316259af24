"""Events function: DynamoDB stream of the messages table → one EventBridge event per newly stored
inbound message (see inbox.events for why a stream and not a publish from the webhook). Wiring only;
failed records are reported back to Lambda (partial batch response) and retried alone."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from inbox.events import EventPublisher, events_environment, handle_record
from inbox.observability import logger, metrics, trace_handler

env = events_environment()
publisher = EventPublisher(env.event_bus_name)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    handle_record(record.raw_event, publisher)


@logger.inject_lambda_context
@metrics.log_metrics
@trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
