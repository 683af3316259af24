"""The one write path for messages, shared by the webhook and the poller.

Table design (one table, on demand; see docs/architecture.md):

- message: ``pk = MSG#<messageId>``, ``sk = MSG``, written with ``attribute_not_exists(pk)`` so a
  redelivery — or the same message seen by webhook and poller — is stored once, also when two
  writers race (DynamoDB decides, not a read-then-write).
- per sender: GSI ``gsi1`` (``SENDER#<senderId>``, ``<timestamp>#<messageId>``).
- per day: GSI ``gsi2`` (``DAY#<yyyy-mm-dd>``, ``<timestamp>#<messageId>``).
- unrecognized or malformed bodies: ``pk = RAW#<sha256 of the bytes>`` — keyed by content rather
  than a random uuid, so a sender retrying the same broken body keeps one copy — on their own day
  partition ``RAWDAY#<date>`` (listing messages never has to filter them out), expiring via ``ttl``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from inbox.errors import StoreUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from inbox.models import NormalizedMessage

WriteOutcome = Literal["stored", "duplicate"]

# A DynamoDB item may hold 400 KB; keep the raw body well inside that.
MAX_RAW_BYTES = 300 * 1024

_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 3, "mode": "standard"})


@cache
def dynamodb_client() -> DynamoDBClient:
    """One client per container (clients are thread-safe and costly to build)."""
    return boto3.client("dynamodb", config=_CLIENT_CONFIG)


class MessageStore:
    """DynamoDB access for messages and kept bodies; AWS errors become StoreUnavailable."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client or dynamodb_client()

    def put_message(self, message: NormalizedMessage) -> WriteOutcome:
        stored = self._put_if_new(_message_item(message))
        return "stored" if stored else "duplicate"

    def keep_raw(
        self,
        raw: bytes,
        *,
        reason: str,
        media_type: str,
        received_at: datetime,
        ttl_days: int,
        request_id: str | None = None,
    ) -> str:
        """Keep a body no adapter could read, so an operator can see it; returns its id."""
        raw_id = hashlib.sha256(raw).hexdigest()
        body, truncated = raw[:MAX_RAW_BYTES], len(raw) > MAX_RAW_BYTES
        stamp = _iso(received_at)
        item: dict[str, Any] = {
            "pk": {"S": f"RAW#{raw_id}"},
            "sk": {"S": "RAW"},
            "kind": {"S": "raw"},
            "gsi2pk": {"S": f"RAWDAY#{stamp[:10]}"},
            "gsi2sk": {"S": f"{stamp}#{raw_id}"},
            "reason": {"S": reason},
            "mediaType": {"S": media_type},
            "size": {"N": str(len(raw))},
            "truncated": {"BOOL": truncated},
            "receivedAt": {"S": stamp},
            "ttl": {"N": str(int((received_at + timedelta(days=ttl_days)).timestamp()))},
        }
        try:
            item["body"] = {"S": body.decode("utf-8")}
        except UnicodeDecodeError:
            item["body"] = {"B": body}
        if request_id:
            item["requestId"] = {"S": request_id}
        self._put_if_new(item)
        return raw_id

    def _put_if_new(self, item: dict[str, Any]) -> bool:
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item=item,
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            if code == "ConditionalCheckFailedException":
                return False
            raise StoreUnavailable(f"DynamoDB refused the write ({code})", code=code) from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(
                f"DynamoDB could not be reached ({type(exc).__name__})", code=type(exc).__name__
            ) from exc
        return True


def _message_item(message: NormalizedMessage) -> dict[str, Any]:
    sort_key = f"{message.timestamp}#{message.messageId}"
    item: dict[str, Any] = {
        "pk": {"S": f"MSG#{message.messageId}"},
        "sk": {"S": "MSG"},
        "kind": {"S": "message"},
        "gsi1pk": {"S": f"SENDER#{message.senderId}"},
        "gsi1sk": {"S": sort_key},
        "gsi2pk": {"S": f"DAY#{message.timestamp[:10]}"},
        "gsi2sk": {"S": sort_key},
        "messageId": {"S": message.messageId},
        "senderId": {"S": message.senderId},
        "timestamp": {"S": message.timestamp},
        "source": {"S": message.source},
        "format": {"S": message.format},
        "receivedAt": {"S": message.receivedAt},
        "attachments": {
            "L": [{"M": {"type": {"S": a.type}, "url": {"S": a.url}}} for a in message.attachments]
        },
    }
    if message.username is not None:
        item["username"] = {"S": message.username}
    if message.text is not None:
        item["text"] = {"S": message.text}
    return item


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
