"""DynamoDB Streams for `make dev` and the tests: moto's writes → stream records → the consumer.

moto keeps no stream we can subscribe to for the table's transactions, so the local tooling
watches the writes instead: after moto *committed* a conditional Put of a ``MSG#`` item (a put
with ``attribute_not_exists(pk)``, the only way messages are written — a duplicate fails and is
never seen here), its item becomes an ``INSERT`` record with the new image, exactly as the stream
would carry it, and goes to the same handler the template subscribes to the stream
(``functions/events/app.py``). The dev server prints every event that handler published.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from functools import wraps
from typing import Any

from inbox.storage.table import is_message_item

Sink = Callable[[dict[str, Any]], None]
_SINKS: list[Sink] = []
_LOCK = threading.Lock()
_INSTALLED = "_inbox_stream_hook"
_IN_TRANSACTION = threading.local()


def install_insert_hook() -> None:
    """Wrap moto's put_item / transact_write_items (once) to hand every new MSG# item to the sinks."""
    from moto.dynamodb.models import DynamoDBBackend

    put_item: Callable[..., Any] = DynamoDBBackend.put_item
    transact: Callable[..., Any] = DynamoDBBackend.transact_write_items
    if getattr(put_item, _INSTALLED, False) and getattr(transact, _INSTALLED, False):
        return

    @wraps(put_item)
    def hooked_put(self: Any, table_name: str, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        result = put_item(self, table_name, item_attrs, *args, **kwargs)
        if not getattr(_IN_TRANSACTION, "active", False):  # a transaction's puts count once it commits
            _emit(table_name, item_attrs)
        return result

    @wraps(transact)
    def hooked_transact(self: Any, transact_items: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        _IN_TRANSACTION.active = True
        try:
            result = transact(self, transact_items, *args, **kwargs)
        finally:
            _IN_TRANSACTION.active = False
        for action in transact_items:
            put = action.get("Put")
            if put is not None:
                _emit(put["TableName"], put["Item"])
        return result

    # wraps() copies local_aws's markers (serialized, moto_transactions installed), so a later
    # local_aws() keeps these hooks instead of wrapping or replacing them again.
    if not getattr(put_item, _INSTALLED, False):
        setattr(hooked_put, _INSTALLED, True)
        DynamoDBBackend.put_item = hooked_put  # type: ignore[method-assign]
    if not getattr(transact, _INSTALLED, False):
        setattr(hooked_transact, _INSTALLED, True)
        DynamoDBBackend.transact_write_items = hooked_transact  # type: ignore[method-assign]


def add_sink(sink: Sink) -> None:
    with _LOCK:
        _SINKS.append(sink)


def remove_sink(sink: Sink) -> None:
    with _LOCK:
        if sink in _SINKS:
            _SINKS.remove(sink)


def _emit(table_name: str, item: dict[str, Any]) -> None:
    if not is_message_item(item):
        return
    record = insert_record(table_name, item)
    with _LOCK:
        sinks = list(_SINKS)
    for sink in sinks:
        sink(record)


_SEQUENCE = iter(range(10**20, 10**21))


def insert_record(
    table_name: str,
    item: dict[str, Any],
    *,
    event_id: str | None = None,
    sequence_number: int | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """A DynamoDB Streams record (NEW_IMAGE) for a newly inserted item, as Lambda receives it.

    The id, sequence number and creation time (epoch seconds) are fixed only for files that must
    not change between runs (`make events`)."""
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    return {
        "eventID": event_id or os.urandom(16).hex(),
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": {
            "ApproximateCreationDateTime": int(time.time()) if created is None else created,
            "Keys": {"pk": item["pk"], "sk": item["sk"]},
            "NewImage": item,
            "SequenceNumber": str(next(_SEQUENCE) if sequence_number is None else sequence_number),
            "SizeBytes": len(str(item)),
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": f"arn:aws:dynamodb:{region}:123456789012:table/{table_name}/stream/local",
    }


class StreamFeeder:
    """Feeds captured records to a stream consumer in batches on its own thread (as Lambda polls a
    shard), retrying the records the consumer reported as failed; ``on_published`` sees each
    record the consumer took."""

    def __init__(
        self,
        invoke: Callable[[dict[str, Any]], Any],
        *,
        on_published: Callable[[dict[str, Any]], None] | None = None,
        batch_size: int = 25,
        max_attempts: int = 5,
    ) -> None:
        self._invoke = invoke
        self._on_published = on_published
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stream-feeder", daemon=True)

    def start(self) -> StreamFeeder:
        add_sink(self._queue.put)
        self._thread.start()
        return self

    def stop(self) -> None:
        remove_sink(self._queue.put)
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            batch = [first]
            while len(batch) < self._batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self.deliver(batch)

    def deliver(self, batch: list[dict[str, Any]]) -> None:
        for attempt in range(self._max_attempts):
            try:
                result = self._invoke({"Records": batch})
            except Exception:
                traceback.print_exc()
                failed_ids = {record["dynamodb"]["SequenceNumber"] for record in batch}
            else:
                failures = (result or {}).get("batchItemFailures") or []
                failed_ids = {str(failure.get("itemIdentifier")) for failure in failures}
            for record in batch:
                if record["dynamodb"]["SequenceNumber"] not in failed_ids and self._on_published:
                    self._on_published(record)
            batch = [record for record in batch if record["dynamodb"]["SequenceNumber"] in failed_ids]
            if not batch:
                return
            time.sleep(min(2.0, 0.1 * 2**attempt))
        print(f"[events] {len(batch)} stream record(s) not published after retries", flush=True)
