"""`make events`: the ready events under events/ for `sam local invoke <Function> -e events/<file>`.

One event per function and case, built by the code that builds `make dev`'s events
(inbox_dev.events, inbox_dev.streams) from the bodies `make send-samples` sends, so the files and
the dev server never drift apart. Ids and times are fixed, so the files change only when the code
does; `--check` (and tests/samlocal) fails when the committed files differ from this output.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inbox_dev import cfn
from inbox_dev.events import http_api_event, scheduled_event
from inbox_dev.local_aws import REPO_ROOT, TEMPLATE_PATH
from inbox_dev.samples import load_samples
from inbox_dev.secrets import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD

EVENTS_DIR = REPO_ROOT / "events"

# config-read.json carries this instead of a token (events/README.md says how to get a real one).
TOKEN_PLACEHOLDER = "REPLACE_WITH_ACCESS_TOKEN"  # noqa: S105 - a placeholder, not a secret

# The seed's own time (2024-11-13T12:00:00Z): every event is dated a few seconds after it.
_EPOCH = 1731499200
_REGION = "us-east-1"  # the local AWS's region (inbox_dev.local_aws)
_HOST = "localhost:3000"  # what `sam local start-api --port 3000` puts in the Host header


@dataclass(frozen=True)
class SamEvent:
    file_name: str
    function: str
    """The template's logical id of the function that takes this event."""
    event: dict[str, Any]

    def text(self) -> str:
        return json.dumps(self.event, indent=2, ensure_ascii=False) + "\n"


def sam_events(template_path: Path = TEMPLATE_PATH) -> list[SamEvent]:
    """Every ready event; the function of each is the one template.yaml routes it to."""
    template = cfn.load_template(template_path)
    ctx = cfn.Context.for_template(template)
    samples = {sample.name: sample for sample in load_samples()}
    seed, meta = samples["01-seed-flat"], samples["05-meta-instagram-text"]
    json_headers = {"content-type": "application/json", "host": _HOST, "x-forwarded-proto": "http"}

    def http(file_name: str, method: str, path: str, second: int, **kwargs: Any) -> SamEvent:
        (route,) = [r for r in cfn.http_routes(template, ctx) if (r.method, r.path) == (method, path)]
        event = http_api_event(
            method,
            path,
            route_key=f"{route.method} {route.path}",
            request_id=f"sam-local-{Path(file_name).stem}",
            now=_EPOCH + second,
            **kwargs,
        )
        return SamEvent(file_name, route.function.logical_id, event)

    login = json.dumps({"email": DEV_ADMIN_EMAIL, "password": DEV_ADMIN_PASSWORD}).encode()
    bearer = {"host": _HOST, "x-forwarded-proto": "http", "authorization": f"Bearer {TOKEN_PLACEHOLDER}"}
    (schedule,) = cfn.schedules(template, ctx)
    (consumer,) = cfn.stream_consumers(template, ctx)
    return [
        http("webhook-seed.json", "POST", "/instagram/webhook", 1, headers=json_headers, body=seed.body),
        http("webhook-meta.json", "POST", "/instagram/webhook", 2, headers=json_headers, body=meta.body),
        http("config-login.json", "POST", "/auth/login", 3, headers=json_headers, body=login),
        http("config-read.json", "GET", "/instagram/config", 4, headers=bearer),
        SamEvent(
            "poller-schedule.json",
            schedule.function.logical_id,
            scheduled_event(
                schedule.event_name, event_id="sam-local-poller-schedule", now=_EPOCH + 5, region=_REGION
            ),
        ),
        SamEvent("events-stream-batch.json", consumer.logical_id, {"Records": [_seed_record(seed.body)]}),
    ]


def _seed_record(body: bytes) -> dict[str, Any]:
    """The stream record of the seed's message as the shared write path stores it (in moto)."""
    import boto3
    from inbox.normalize.dispatch import normalize
    from inbox.storage.store import MessageStore
    from inbox.storage.table import message_key

    from inbox_dev.local_aws import local_aws, provision
    from inbox_dev.streams import insert_record

    (message,) = normalize(json.loads(body), received_at=datetime.fromtimestamp(_EPOCH + 1, UTC)).messages
    with local_aws():
        (table,) = provision(secrets={}).table_names.values()
        client = boto3.client("dynamodb")
        MessageStore(table, client).put_message(message)
        item = client.get_item(TableName=table, Key=message_key(message.messageId))["Item"]
    return insert_record(
        table, item, event_id="sam-local-events-stream-batch", sequence_number=10**20, created=_EPOCH + 1
    )


def stale_files(directory: Path = EVENTS_DIR) -> list[str]:
    """The event files that are missing or differ from what `make events` writes."""
    return [
        event.file_name
        for event in sam_events()
        if not (directory / event.file_name).is_file()
        or (directory / event.file_name).read_text(encoding="utf-8") != event.text()
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write events/*.json for sam local invoke.")
    parser.add_argument("--check", action="store_true", help="only report files that differ (exit 1)")
    parser.add_argument("--dir", type=Path, default=EVENTS_DIR)
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.dir)
        for name in stale:
            print(f"{args.dir / name} differs from `make events`' output", file=sys.stderr)
        return 1 if stale else 0
    args.dir.mkdir(parents=True, exist_ok=True)
    for event in sam_events():
        (args.dir / event.file_name).write_text(event.text(), encoding="utf-8")
        print(f"wrote {args.dir / event.file_name}  ({event.function})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
