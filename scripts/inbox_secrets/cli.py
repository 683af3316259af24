"""`make secrets`: create or rotate the SecureString parameters of a deployed stack.

    make secrets                                   # asks for each secret (nothing is echoed)
    make secrets ARGS="--only jwt-secret --generate-jwt-secret"   # rotate the signing key
    INBOX_ADMIN_PASSWORD=… make secrets ARGS="--from-env --only admin-password"   # CI, no prompts
    make secrets ARGS=--status                     # which are set (names only)
    make secrets ARGS=--end-sessions               # log every operator out, password unchanged

The stack is ``STACK_NAME`` (default ``chatrace-inbox``) or ``--stack``; the region is your AWS
configuration's (``AWS_REGION`` / profile) or ``--region``. Secrets live at
``/<stack>/<folder>/<name>``, in the folder of the functions that read them (``webhook/``,
``auth/``, ``chatrace/``: the secret rows of inbox.settings.SETTINGS); the admin password is stored
only as its scrypt hash (``admin-password-hash``). Interactively, Enter keeps a secret as it is (and
generates a JWT secret that does not exist yet); ``--from-env`` reads ``INBOX_<NAME>`` variables
instead (the same ones `make dev` reads). Values are never printed, only the names of what was set.
The functions pick the new values up within their settings cache's max age (60 s); rotating the JWT
secret ends every operator session, and so does setting the password: each time, after the new hash,
a new random session generation (``auth/session-generation``) is written, and tokens of an older one
are refused.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets as random_tokens
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoRegionError
from inbox.operator.passwords import hash_password
from inbox.operator.tokens import MIN_SECRET_BYTES
from inbox.settings import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD_HASH,
    FIELD_MAP,
    JWT_SECRET,
    SESSION_GENERATION,
    SETTINGS,
)

if TYPE_CHECKING:
    from mypy_boto3_ssm.client import SSMClient

DEFAULT_STACK = "chatrace-inbox"
# The field map's name before the settings moved into per-reader folders (issue 10 item 6).
LEGACY_FIELD_MAP = "fieldmap"
MIN_PASSWORD_CHARS = 12


@dataclass(frozen=True)
class Secret:
    key: str
    """What the user calls it (``--only``)."""
    parameter: str
    """Its name below the prefix."""
    variable: str
    """The environment variable ``--from-env`` and `make dev` read."""
    label: str
    check: Callable[[str], str | None] = field(default=lambda value: None)
    """Returns what is wrong with a value, or None."""


def _jwt_problem(value: str) -> str | None:
    if len(value.encode()) < MIN_SECRET_BYTES:
        return f"must be at least {MIN_SECRET_BYTES} bytes (leave it empty to generate one)"
    return None


def _email_problem(value: str) -> str | None:
    if "@" not in value or any(c.isspace() for c in value) or len(value) > 320:
        return "must be an email address"
    return None


def _password_problem(value: str) -> str | None:
    if len(value) < MIN_PASSWORD_CHARS:
        return f"must be at least {MIN_PASSWORD_CHARS} characters"
    return None


# What each secret's value must be; the rest of what make secrets knows of a secret is its row of
# the settings table (name, variable, description).
_CHECKS: Mapping[str, Callable[[str], str | None]] = {
    JWT_SECRET: _jwt_problem,
    ADMIN_EMAIL: _email_problem,
    ADMIN_PASSWORD_HASH: _password_problem,
}
SECRETS: tuple[Secret, ...] = tuple(
    Secret(
        key=setting.variable.removeprefix("INBOX_").lower().replace("_", "-"),
        parameter=setting.name,
        variable=setting.variable,
        label=setting.about,
        check=_CHECKS.get(setting.name, lambda value: None),
    )
    for setting in SETTINGS
    if setting.secret and setting.variable  # the session generation is written, never asked for
)
_BY_KEY = {secret.key: secret for secret in SECRETS}


class SecretsError(Exception):
    """A refusal to print for the user (exit status 1 or 2)."""


def generate_jwt_secret() -> str:
    return random_tokens.token_urlsafe(48)


def new_session_generation() -> str:
    """Random rather than a counter: no read before the write, and no old value can come back."""
    return random_tokens.token_urlsafe(12)


def stored_value(secret: Secret, value: str) -> str:
    """What goes into Parameter Store: the value, or for the password its hash."""
    return hash_password(value) if secret.parameter == ADMIN_PASSWORD_HASH else value


# ----------------------------------------------------------------------------------- make secrets


@dataclass
class Run:
    client: SSMClient
    prefix: str
    out: Callable[[str], None]


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    ask: Callable[[str], str] = getpass.getpass,
    interactive: bool | None = None,
    client: SSMClient | None = None,
    out: Callable[[str], None] = print,
) -> int:
    parser = argparse.ArgumentParser(
        prog="make secrets", description="Create or rotate the SecureString secrets of a deployed stack."
    )
    parser.add_argument("--stack", default=environ.get("STACK_NAME") or DEFAULT_STACK)
    parser.add_argument("--region", default=None, help="default: your AWS configuration's region")
    parser.add_argument("--only", nargs="+", choices=sorted(_BY_KEY), help="just these secrets")
    parser.add_argument("--from-env", action="store_true", help="read INBOX_<NAME> variables, never prompt")
    parser.add_argument("--generate-jwt-secret", action="store_true", help="set a new random JWT secret")
    parser.add_argument("--status", action="store_true", help="show which secrets are set (names only)")
    parser.add_argument(
        "--end-sessions",
        action="store_true",
        help="only end every operator session (a new session generation)",
    )
    args = parser.parse_args(argv)

    selected = [_BY_KEY[key] for key in args.only] if args.only else list(SECRETS)
    if interactive is None:
        interactive = not args.from_env and sys.stdin.isatty()
    try:
        run = Run(client or _client(args.region), f"/{args.stack.strip('/')}", out)
        _check_stack(run, args.stack)
        if args.status:
            _print_status(run, selected)
            return 0
        if args.end_sessions:
            _end_sessions(run)
            return 0
        if args.from_env or not interactive:
            values = _from_environment(selected, environ, generate_jwt=args.generate_jwt_secret)
        else:
            values = _from_prompts(run, selected, ask, generate_jwt=args.generate_jwt_secret)
        _write(run, values)
    except SecretsError as exc:
        print(f"make secrets: {exc}", file=sys.stderr)
        return 1
    return 0


def _client(region: str | None) -> SSMClient:
    try:
        return boto3.client("ssm", region_name=region)
    except NoRegionError as exc:
        raise SecretsError("no AWS region: set AWS_REGION (or a profile's region) or pass --region") from exc


def _check_stack(run: Run, stack: str) -> None:
    """Refuse to scatter secrets under a misspelt prefix: the stack's own fieldmap parameter must exist
    (or, on a stack not yet upgraded to the per-reader folders, its former name: docs/deploy.md)."""
    try:
        for name in (FIELD_MAP, LEGACY_FIELD_MAP):
            try:
                run.client.get_parameter(Name=f"{run.prefix}/{name}")
                return
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code", "") != "ParameterNotFound":
                    raise
        raise SecretsError(
            f"no stack {stack!r} here ({run.prefix}/{FIELD_MAP} does not exist): deploy it first, "
            "or pass --stack / --region"
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise SecretsError(f"cannot read Parameter Store ({code})") from exc
    except BotoCoreError as exc:
        raise SecretsError(f"cannot reach Parameter Store ({type(exc).__name__})") from exc


def _is_set(run: Run, secret: Secret) -> bool:
    try:
        run.client.get_parameter(Name=f"{run.prefix}/{secret.parameter}", WithDecryption=False)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return False
        raise SecretsError(f"cannot read {secret.parameter}") from exc
    return True


def _print_status(run: Run, selected: Sequence[Secret]) -> None:
    for secret in selected:
        state = "set" if _is_set(run, secret) else "not set"
        run.out(f"{run.prefix}/{secret.parameter:<30} {state}")


def _from_environment(
    selected: Sequence[Secret], environ: Mapping[str, str], *, generate_jwt: bool
) -> dict[Secret, tuple[str, str]]:
    values: dict[Secret, tuple[str, str]] = {}
    for secret in selected:
        if secret.parameter == JWT_SECRET and generate_jwt:
            values[secret] = (generate_jwt_secret(), "generated")
            continue
        value = environ.get(secret.variable, "").strip()
        if value:
            _checked(secret, value)
            values[secret] = (value, f"from {secret.variable}")
    if not values:
        names = ", ".join(secret.variable for secret in selected)
        raise SecretsError(f"nothing to set: export one of {names} (or run it in a terminal)")
    return values


def _from_prompts(
    run: Run, selected: Sequence[Secret], ask: Callable[[str], str], *, generate_jwt: bool
) -> dict[Secret, tuple[str, str]]:
    values: dict[Secret, tuple[str, str]] = {}
    for secret in selected:
        if secret.parameter == JWT_SECRET and generate_jwt:
            values[secret] = (generate_jwt_secret(), "generated")
            continue
        present = _is_set(run, secret)
        generates = secret.parameter == JWT_SECRET and not present
        value = _ask_until_valid(secret, ask, present=present, generates=generates)
        if value is not None:
            values[secret] = (value, "entered")
        elif generates:
            values[secret] = (generate_jwt_secret(), "generated")
    return values


def _ask_until_valid(
    secret: Secret, ask: Callable[[str], str], *, present: bool, generates: bool, attempts: int = 3
) -> str | None:
    """A checked value, or None for Enter (keep it / skip it / generate one, as the prompt says)."""
    if generates:
        state = "not set; Enter generates one"
    else:
        state = "set; Enter keeps it" if present else "not set; Enter skips it"
    for _ in range(attempts):
        value = ask(f"{secret.label} [{state}]: ").strip()
        if not value:
            return None
        problem = secret.check(value)
        confirm = problem is None and secret.parameter == ADMIN_PASSWORD_HASH
        if confirm and ask("the same password again: ").strip() != value:
            problem = "entries differ"
        if problem is None:
            return value
        print(f"  {secret.key} {problem}", file=sys.stderr)
    raise SecretsError(f"{secret.key}: no usable value after {attempts} attempts")


def _checked(secret: Secret, value: str) -> str:
    problem = secret.check(value)
    if problem is not None:
        raise SecretsError(f"{secret.variable}: {secret.key} {problem}")
    return value


def _write(run: Run, values: Mapping[Secret, tuple[str, str]]) -> None:
    if not values:
        run.out("nothing changed")
        return
    for secret, (value, origin) in values.items():
        name = f"{run.prefix}/{secret.parameter}"
        try:
            run.client.put_parameter(
                Name=name, Value=stored_value(secret, value), Type="SecureString", Overwrite=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise SecretsError(f"could not write {name} ({type(exc).__name__})") from exc
        run.out(f"set {name} ({origin})")
    if any(secret.parameter == ADMIN_PASSWORD_HASH for secret in values):
        _end_sessions(run)  # after the hash: a token issued meanwhile needed the new password
    run.out("the functions use the new values within 60 s")


def _end_sessions(run: Run) -> None:
    """A new session generation: every token issued before it is refused (within 60 s)."""
    name = f"{run.prefix}/{SESSION_GENERATION}"
    try:
        run.client.put_parameter(
            Name=name, Value=new_session_generation(), Type="SecureString", Overwrite=True
        )
    except (ClientError, BotoCoreError) as exc:
        raise SecretsError(f"could not write {name} ({type(exc).__name__}): sessions did not end") from exc
    run.out(f"set {name} (new: every operator session ends)")
