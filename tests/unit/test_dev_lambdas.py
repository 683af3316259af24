"""`make dev` runs every function in one process: each function's log lines keep their own keys."""

from __future__ import annotations

import io
import json
import threading
import uuid

from aws_lambda_powertools import Logger
from inbox_dev.lambdas import PerThreadLogKeys


def fresh_logger(out: io.StringIO) -> Logger:
    """Powertools reuses a Logger's handler by service name: a name of its own for each test."""
    return Logger(service=f"test-{uuid.uuid4().hex}", stream=out)


def test_keys_appended_in_one_thread_never_reach_another_threads_lines() -> None:
    out = io.StringIO()
    logger = fresh_logger(out)
    keys = PerThreadLogKeys.install(logger)
    assert keys is not None
    assert PerThreadLogKeys.install(logger) is keys  # once
    both_appended = threading.Barrier(2)

    def invocation(service: str, function_name: str) -> None:
        keys.start_invocation(service=service)
        logger.append_keys(function_name=function_name)
        both_appended.wait()
        logger.info("done")

    threads = [
        threading.Thread(target=invocation, args=("poller", "PollerFunction")),
        threading.Thread(target=invocation, args=("events", "EventsFunction")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {(line["service"], line["function_name"]) for line in lines} == {
        ("poller", "PollerFunction"),
        ("events", "EventsFunction"),
    }


def test_a_new_invocation_starts_from_the_loggers_initial_keys() -> None:
    out = io.StringIO()
    logger = fresh_logger(out)
    keys = PerThreadLogKeys.install(logger)
    assert keys is not None
    keys.start_invocation(service="config")
    logger.append_keys(correlation_id="request-1")
    keys.start_invocation(service="config")
    logger.info("second request")

    (line,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert line["service"] == "config"
    assert "correlation_id" not in line


def test_anything_but_a_powertools_logger_is_left_alone() -> None:
    assert PerThreadLogKeys.install(None) is None
    assert PerThreadLogKeys.install(object()) is None
