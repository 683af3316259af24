"""Events as AWS builds them, for local runs, tests and `events/`: API Gateway HTTP API (payload
format 2.0) requests and EventBridge schedule events."""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

# API Gateway passes these media types as text; everything else arrives base64-encoded.
_TEXT_TYPES = ("text/", "application/json", "application/x-www-form-urlencoded", "application/xml")


def http_api_event(
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    query: str | Mapping[str, str] | None = None,
    body: bytes | None = None,
    route_key: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    source_ip: str = "127.0.0.1",
    stage: str = "$default",
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """An event like the one API Gateway would hand the function for this request.

    ``request_id`` and ``now`` (epoch seconds) are fixed only for files that must not change
    between runs (`make events`); by default every event is new."""
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    raw_query = query if isinstance(query, str) else urlencode(query or {})
    now = time.time() if now is None else now
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key or f"{method.upper()} {path}",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": lowered,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": lowered.get("host", "localhost"),
            "domainPrefix": "localhost",
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": request_id or uuid.uuid4().hex,
            "routeKey": route_key or f"{method.upper()} {path}",
            "stage": stage,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if raw_query:
        pairs: dict[str, str] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            # API Gateway joins repeated parameters with commas.
            pairs[key] = f"{pairs[key]},{value}" if key in pairs else value
        event["queryStringParameters"] = pairs
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body is not None:
        event["body"], event["isBase64Encoded"] = _encode_body(body, lowered.get("content-type", ""))
    return event


def _encode_body(body: bytes, content_type: str) -> tuple[str, bool]:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type.startswith(_TEXT_TYPES) or media_type.endswith("+json"):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def scheduled_event(
    rule: str, *, event_id: str | None = None, now: float | None = None, region: str | None = None
) -> dict[str, Any]:
    """The event an EventBridge schedule rule hands its target (``event_id`` / ``now`` as above)."""
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return {
        "version": "0",
        "id": event_id or os.urandom(8).hex(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region or os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule}"],
        "detail": {},
    }
