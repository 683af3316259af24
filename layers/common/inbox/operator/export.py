"""`GET /instagram/conversations/{senderId}/export?format=csv|json`: one conversation as a file.

Oldest first, one message per row (CSV) or entry (JSON), both directions, with ``Content-Disposition:
attachment`` so a browser saves it and ``curl -OJ`` names it. The CSV opens cleanly in a spreadsheet:
UTF-8 with a byte-order mark (Excel reads Cyrillic and emoji right), CRLF rows, and every cell that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) prefixed
with ``'`` — a customer's text is data, never a formula (CSV injection).

The read is bounded like every other: one sender's ``gsi1`` partition, newest first, at most
:data:`MAX_MESSAGES` messages and :data:`MAX_BYTES` of answer (Lambda answers at most 6 MB); when a
conversation is longer, the newest part is exported and marked incomplete (``complete: false``,
``X-Export-Complete: false``).
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from inbox.errors import InvalidRequest, NotFound
from inbox.http import Answer
from inbox.models import NormalizedMessage
from inbox.storage.items import message_from_item
from inbox.storage.readers import MessageReader
from inbox.storage.table import listing_partition

MAX_MESSAGES = 5000
MAX_BYTES = 4 * 1024 * 1024
COLUMNS = (
    "timestamp",
    "direction",
    "senderId",
    "username",
    "text",
    "attachments",
    "source",
    "status",
    "error",
    "messageId",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SENDER = re.compile(r"[^\s/]{1,256}")


class ExportQuery(BaseModel):
    # Built when its route first validates a request, not at the cold start (issue 14).
    model_config = ConfigDict(extra="forbid", defer_build=True)

    format: Literal["csv", "json"] = "csv"


def cell(value: str | None) -> str:
    """A CSV cell a spreadsheet shows as text, never evaluates."""
    text = value or ""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def export_conversation(
    sender_id: str, params: ExportQuery, reader: MessageReader, *, now: datetime
) -> Answer:
    if not _SENDER.fullmatch(sender_id):
        raise InvalidRequest("senderId: not a contact id", field="senderId")
    messages, complete = _read(sender_id, reader)
    if not messages:
        raise NotFound(f"no conversation with {sender_id}")
    name = f"conversation-{re.sub(r'[^A-Za-z0-9_.-]', '_', sender_id)[:64]}-{now:%Y%m%d}.{params.format}"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Export-Complete": "true" if complete else "false",
    }
    if params.format == "json":
        username = next((m.username for m in reversed(messages) if m.username), None)
        body = {
            "senderId": sender_id,
            "username": username,
            "exportedAt": now.isoformat().replace("+00:00", "Z"),
            "complete": complete,
            "count": len(messages),
            "messages": [message.to_json() for message in messages],
        }
        return Answer(200, body, headers)
    return Answer(200, as_csv(messages), {"Content-Type": "text/csv; charset=utf-8", **headers})


def as_csv(messages: list[NormalizedMessage]) -> str:
    import csv  # an export as CSV only, not at the cold start

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for message in messages:
        attachments = " ".join(f"{a.type}:{a.url}" for a in message.attachments)
        writer.writerow(
            cell(value)
            for value in (
                message.timestamp,
                message.direction,
                message.senderId,
                message.username,
                message.text,
                attachments,
                message.source,
                message.status,
                message.error,
                message.messageId,
            )
        )
    return "\ufeff" + out.getvalue()


def _read(sender_id: str, reader: MessageReader) -> tuple[list[NormalizedMessage], bool]:
    """The newest messages that fit, oldest first, and whether that is the whole conversation."""
    newest_first: list[NormalizedMessage] = []
    size = 0
    index, partition = listing_partition(sender_id)
    for item in reader.newest(index, partition, before=None, max_items=MAX_MESSAGES + 1):
        message = message_from_item(item)
        size += len(json.dumps(message.to_json(), ensure_ascii=False).encode("utf-8", "surrogatepass"))
        if len(newest_first) == MAX_MESSAGES or size > MAX_BYTES:
            return newest_first[::-1], False
        newest_first.append(message)
    return newest_first[::-1], True
