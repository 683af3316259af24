"""One Lambda invocation in a fresh process, the way SAM's container runs one.

    python lambda_runtime.py RESULT_FILE < event.json

The caller gives the process the container's environment and nothing else: the function's
variables from the env-vars file, what SAM CLI adds (AWS_LAMBDA_FUNCTION_*, region, credentials)
and PYTHONPATH = the function's folder and the layer's (the container's /var/task and /opt/python).
The handler is AWS_LAMBDA_FUNCTION_HANDLER; the context's deadline is AWS_LAMBDA_FUNCTION_TIMEOUT
seconds away, as the runtime emulator computes it. The result goes to RESULT_FILE as JSON (stdout
carries the function's log lines).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import uuid
from pathlib import Path


class Context:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline = time.monotonic() + int(os.environ["AWS_LAMBDA_FUNCTION_TIMEOUT"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main(result_file: str) -> int:
    module_name, _, attribute = os.environ["AWS_LAMBDA_FUNCTION_HANDLER"].rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    event = json.load(sys.stdin)
    result = handler(event, Context())
    Path(result_file).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
