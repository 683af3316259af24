"""Run the template's functions in this process the way Lambda would: one warm container each."""

from __future__ import annotations

import importlib.util
import os
import threading
import time
import uuid
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from inbox.settings import function_environment

from inbox_dev import cfn
from inbox_dev.local_aws import REPO_ROOT

_IMPORT_LOCK = threading.Lock()


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalFunction:
    """One function's handler, imported once with its environment; invocations run one at a time,
    as in a single Lambda execution environment (handlers may keep per-request state globally)."""

    def __init__(self, spec: cfn.FunctionSpec) -> None:
        self.spec = spec
        self.name = spec.logical_id
        self._lock = threading.Lock()
        module_name, _, self._attribute = spec.handler.rpartition(".")
        self._module = _import_handler_module(spec, module_name, spec.environment)
        self._handler = getattr(self._module, self._attribute)

        self._log_keys = PerThreadLogKeys.install(getattr(self._module, "logger", None))

    def invoke(self, event: dict[str, Any]) -> Any:
        context = LambdaContext(self.spec.logical_id, self.spec.memory_size, self.spec.timeout)
        with self._lock:
            if self._log_keys is not None:
                self._log_keys.start_invocation(service=self.spec.environment.get("POWERTOOLS_SERVICE_NAME"))
            return self._handler(event, context)


class PerThreadLogKeys(MutableMapping[str, Any]):
    """The Powertools Logger's keys, one copy per thread.

    On AWS every function has its own process and Logger. Here all functions share the one Logger
    of the common package, running at the same time in their threads, and the keys the handlers'
    ``inject_lambda_context`` appends (function name, request id, correlation id) would leak from
    one function's log lines into another's; so would the service name, which Powertools reads
    once per process. Each invocation starts from the Logger's initial keys plus its own service.
    """

    def __init__(self, initial: MutableMapping[str, Any]) -> None:
        self._initial = dict(initial)
        self._local = threading.local()

    @classmethod
    def install(cls, logger: object) -> PerThreadLogKeys | None:
        """Swap the keys of ``logger``'s formatter (a Powertools Logger) for per-thread ones, once."""
        formatter = getattr(logger, "registered_formatter", None)
        keys = getattr(formatter, "log_format", None)
        if keys is None or isinstance(keys, cls):
            return keys
        formatter.log_format = cls(keys)  # type: ignore[union-attr]
        return formatter.log_format  # type: ignore[union-attr,no-any-return]

    def start_invocation(self, **keys: Any) -> None:
        self._local.keys = {**self._initial, **{k: v for k, v in keys.items() if v is not None}}

    @property
    def _keys(self) -> dict[str, Any]:
        keys: dict[str, Any] | None = getattr(self._local, "keys", None)
        if keys is None:
            keys = self._local.keys = dict(self._initial)
        return keys

    def __getitem__(self, key: str) -> Any:
        return self._keys[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._keys[key] = value

    def __delitem__(self, key: str) -> None:
        del self._keys[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _import_handler_module(
    spec: cfn.FunctionSpec, module_name: str, environment: dict[str, str]
) -> ModuleType:
    """Import ``<CodeUri>/<module>.py`` under a name of its own (every function has an ``app``)."""
    path = (REPO_ROOT / spec.code_uri / (module_name.replace(".", "/") + ".py")).resolve()
    unique_name = f"lambda_{spec.logical_id}_{module_name.replace('.', '_')}"
    module_spec = importlib.util.spec_from_file_location(unique_name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"{spec.logical_id}: cannot load handler module {path}")
    module = importlib.util.module_from_spec(module_spec)
    with _IMPORT_LOCK:
        # Module-level code (Powertools Logger, settings) reads the environment at import time, as
        # in Lambda's init phase; values shared by all functions stay set afterwards.
        os.environ.update(environment)
        function_environment.cache_clear()  # each function reads its own, as in its own container
        module_spec.loader.exec_module(module)
    return module
