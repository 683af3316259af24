"""AWS without an account: moto in-process, provisioned from template.yaml's own definitions.

Used by `make dev` and by the tests, so both run against the table and parameters the stack
would create. Secrets (SecureString parameters the template cannot create) are seeded from
INBOX_* environment variables.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, wraps
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from inbox.settings import AUTH, SETTINGS, problem

from inbox_dev import cfn
from inbox_dev.secrets import DevOperator, dev_operator

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
LOCAL_STACK_NAME = "chatrace-inbox-local"

# Environment variable → secret parameter below the stack's prefix (inbox.settings.SETTINGS), seeded
# as given; the operator login's (auth/) are seeded by ``dev_operator`` (a hash, a generated key).
SECRET_VARIABLES: Mapping[str, str] = {
    s.variable: s.name for s in SETTINGS if s.secret and s.variable and s.folder != AUTH
}

# Environment variable → template parameter (and so its String setting), from the same table; and
# the one stack parameter `make dev` takes that is no setting.
PARAMETER_VARIABLES: Mapping[str, str] = {
    **{s.variable: s.stack_parameter for s in SETTINGS if s.variable and s.stack_parameter},
    "INBOX_ALLOW_UNAUTHENTICATED_WEBHOOK": "AllowUnauthenticatedWebhook",
}

# The loopback addresses the fake Chatrace serves on: a local run adds them to ChatraceAllowedHosts
# (the template refuses them in a deployed stack), so replies and polls may go to it over http.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")

# What every local stack (`make dev`, `make sam-local`, the tests) differs in from a deployed one
# unless told otherwise: a webhook that takes deliveries while no secret is set, so the seed's
# curl works at once. INBOX_ALLOW_UNAUTHENTICATED_WEBHOOK=false tries the deployed default.
LOCAL_PARAMETER_DEFAULTS: Mapping[str, str] = {"AllowUnauthenticatedWebhook": "true", "EnableApiDocs": "true"}
_BOOLEAN_PARAMETERS = (
    *(s.stack_parameter for s in SETTINGS if s.kind == "bool" and s.stack_parameter),
    "AllowUnauthenticatedWebhook",
)

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@dataclass(frozen=True)
class LocalStack:
    """What was provisioned: the template, its resolving context and the names to hand functions."""

    template: dict[str, Any]
    context: cfn.Context
    table_names: dict[str, str]
    settings_prefix: str
    seeded_secrets: tuple[str, ...]
    event_bus_names: dict[str, str] = field(default_factory=dict)


def use_fake_credentials(environ: dict[str, str] | os._Environ[str] = os.environ) -> None:
    """Make sure nothing can reach a real AWS account, whatever the user's shell has configured."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        environ.pop(name, None)
    for name in [name for name in environ if name.startswith("AWS_ENDPOINT_URL")]:  # and _<SERVICE>
        environ.pop(name)
    environ.update(_FAKE_CREDENTIALS)


def parameter_overrides_from_env(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Template parameter overrides from the INBOX_* variables that are set (for ``provision``)."""
    overrides = {
        parameter: environ[variable].strip()
        for variable, parameter in PARAMETER_VARIABLES.items()
        if environ.get(variable, "").strip()
    }
    for name in _BOOLEAN_PARAMETERS:  # the template allows only "true" / "false"
        if name in overrides:
            enabled = overrides[name].lower() in ("true", "1", "yes", "on")
            overrides[name] = "true" if enabled else "false"
    for setting in SETTINGS:  # refused as a deploy refuses it (the template's constraints)
        wrong = setting.stack_parameter in overrides and problem(setting, overrides[setting.stack_parameter])
        if wrong:
            raise SystemExit(f"{setting.variable} {wrong}")
    return overrides


def provision(
    *,
    stack_name: str = LOCAL_STACK_NAME,
    template_path: Path = TEMPLATE_PATH,
    parameter_overrides: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    extra_secrets: Mapping[str, str] | None = None,
) -> LocalStack:
    """Create the template's tables and parameters in the (already started) moto, seed secrets.

    ``secrets`` maps secret names below the prefix to values; by default they come from the
    INBOX_* environment variables that are set. ``extra_secrets`` are seeded on top (the dev
    server's operator login: see ``inbox_dev.secrets.dev_operator``). ``parameter_overrides`` go on
    top of :data:`LOCAL_PARAMETER_DEFAULTS`.
    """
    template = cfn.load_template(template_path)
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    overrides = {
        "ChatraceAllowedHosts": _with_loopback(template),
        **LOCAL_PARAMETER_DEFAULTS,
        **(parameter_overrides or {}),
    }
    base = cfn.Context.for_template(template, stack_name=stack_name, region=region, overrides=overrides)
    tables = cfn.table_definitions(template, base)
    table_names = {table.logical_id: table.name for table in tables}
    buses = cfn.event_bus_names(template, base)
    context = dataclasses.replace(
        base,
        physical_names={**table_names, **buses},
        attributes={
            f"{table.logical_id}.Arn": f"arn:aws:dynamodb:{region}:123456789012:table/{table.name}"
            for table in tables
        },
    )
    dynamodb = boto3.client("dynamodb", region_name=region)
    for table in tables:
        dynamodb.create_table(**table.create_kwargs)
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=table.name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
    events = boto3.client("events", region_name=region)
    for bus in buses.values():
        events.create_event_bus(Name=bus)
    ssm = boto3.client("ssm", region_name=region)
    for parameter in cfn.ssm_parameters(template, context):
        ssm.put_parameter(**parameter, Overwrite=True)
    prefix = f"/{stack_name}"
    if secrets is None:
        secrets = {name: os.environ[var] for var, name in SECRET_VARIABLES.items() if os.environ.get(var)}
    secrets = {**secrets, **(extra_secrets or {})}
    for name, value in secrets.items():
        ssm.put_parameter(Name=f"{prefix}/{name}", Value=value, Type="SecureString", Overwrite=True)
    return LocalStack(template, context, table_names, prefix, tuple(sorted(secrets)), buses)


def provision_dev(environ: Mapping[str, str] = os.environ) -> tuple[LocalStack, DevOperator]:
    """What `make dev` and `make sam-local` serve: the template's resources with the INBOX_*
    settings and secrets of ``environ``, plus the dev operator login (printed by both)."""
    operator = dev_operator(environ)
    secrets = {name: environ[var] for var, name in SECRET_VARIABLES.items() if environ.get(var)}
    overrides = parameter_overrides_from_env(environ)
    stack = provision(secrets=secrets, extra_secrets=operator.secrets, parameter_overrides=overrides)
    return stack, operator


def _with_loopback(template: Mapping[str, Any]) -> str:
    default = str(template["Parameters"]["ChatraceAllowedHosts"]["Default"])
    return ",".join([*default.split(","), *LOOPBACK_HOSTS])


_WRITE_LOCK = threading.RLock()


def make_moto_writes_atomic() -> None:
    """DynamoDB applies a conditional write atomically; moto checks and writes in Python, so two
    threads could both pass the check. The dev server serves requests concurrently, so its
    emulator must keep the guarantee the code relies on.

    ``get_item`` is serialized too: moto applies a transaction's actions one by one and rolls back
    on failure, so an unguarded read could see a write that never committed (DynamoDB never shows
    one; the store's content dedupe decides on what it reads). Transactions roll back only the
    items they touched (inbox_dev.moto_transactions), not a copy of the whole table."""
    from moto.dynamodb.models import DynamoDBBackend

    from inbox_dev import moto_transactions

    if not getattr(DynamoDBBackend.transact_write_items, moto_transactions.INSTALLED_FLAG, False):
        DynamoDBBackend.transact_write_items = moto_transactions.transact_write_items  # type: ignore[method-assign]
    for name in ("put_item", "update_item", "delete_item", "transact_write_items", "get_item"):
        method: Callable[..., Any] = getattr(DynamoDBBackend, name)
        if getattr(method, "_serialized", False):
            continue
        setattr(DynamoDBBackend, name, _serialized(method))


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _WRITE_LOCK:
            return method(*args, **kwargs)

    locked._serialized = True  # type: ignore[attr-defined]
    return locked


@contextmanager
def local_aws() -> Iterator[None]:
    """moto for every AWS call made inside, with fake credentials and atomic conditional writes."""
    from moto import mock_aws

    use_fake_credentials()
    make_moto_writes_atomic()
    with mock_aws():
        if boto3.DEFAULT_SESSION is None:  # moto dropped the default session; not when nested
            boto3.DEFAULT_SESSION = boto3.Session(botocore_session=_botocore_session())
        yield


@cache
def _service_models() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


def _botocore_session() -> botocore.session.Session:
    """A fresh session (its own credentials and config, read now) that shares this process's loaded
    service models: each moto context would parse the JSON models again (a second per test)."""
    session = botocore.session.get_session()
    session.register_component("data_loader", _service_models())
    return session
