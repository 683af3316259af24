"""`make dev`'s operator login: who a new user logs in as, seeded as the secrets a stack would hold.

The production tool that sets a deployed stack's secrets is `make secrets` (scripts/inbox_secrets).
"""

from __future__ import annotations

import secrets as random_tokens
from collections.abc import Mapping
from dataclasses import dataclass

from inbox.operator.passwords import hash_password
from inbox.operator.tokens import MIN_SECRET_BYTES, secret_is_usable
from inbox.settings import ADMIN_EMAIL, ADMIN_PASSWORD_HASH, JWT_SECRET

# The operator a new user logs in as without setting anything.
DEV_ADMIN_EMAIL = "admin@example.com"
DEV_ADMIN_PASSWORD = "dev-password"  # noqa: S105 - a documented dev-only default


@dataclass(frozen=True)
class DevOperator:
    """The operator `make dev` seeds, and how to tell a new user about it (never the JWT secret)."""

    email: str
    password: str
    password_from_env: bool
    jwt_secret_from_env: bool
    secrets: dict[str, str]
    """Secret name below the prefix → value to seed (the password only as its hash)."""


def dev_operator(environ: Mapping[str, str]) -> DevOperator:
    """From INBOX_ADMIN_EMAIL / INBOX_ADMIN_PASSWORD / INBOX_JWT_SECRET, with dev-only defaults."""
    email = environ.get("INBOX_ADMIN_EMAIL", "").strip() or DEV_ADMIN_EMAIL
    given_password = environ.get("INBOX_ADMIN_PASSWORD", "")
    password = given_password or DEV_ADMIN_PASSWORD
    jwt_secret = environ.get("INBOX_JWT_SECRET", "").strip()
    if jwt_secret and not secret_is_usable(jwt_secret):
        raise SystemExit(f"INBOX_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
    return DevOperator(
        email=email,
        password=password,
        password_from_env=bool(given_password),
        jwt_secret_from_env=bool(jwt_secret),
        secrets={
            ADMIN_EMAIL: email,
            ADMIN_PASSWORD_HASH: hash_password(password),
            JWT_SECRET: jwt_secret or random_tokens.token_urlsafe(48),
        },
    )


def banner_lines(operator: DevOperator, base_url: str) -> list[str]:
    """The dev server's operator section: who logs in, and a ready login → config sequence."""
    if operator.password_from_env:
        password_line = "from INBOX_ADMIN_PASSWORD"  # noqa: S105 - a description
        body = f'"{{\\"email\\":\\"{operator.email}\\",\\"password\\":\\"$INBOX_ADMIN_PASSWORD\\"}}"'
    else:
        password_line = f"{operator.password}  (the dev-only default; INBOX_ADMIN_PASSWORD sets another)"
        body = f"""'{{"email":"{operator.email}","password":"{operator.password}"}}'"""
    jwt_line = (
        "from INBOX_JWT_SECRET"
        if operator.jwt_secret_from_env
        else "random for this run (INBOX_JWT_SECRET keeps tokens valid across restarts)"
    )
    read_token = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"accessToken\"])'"  # noqa: S105
    return [
        "Operator API (dev only):",
        f"  admin email                {operator.email}"
        + ("" if operator.email != DEV_ADMIN_EMAIL else "  (INBOX_ADMIN_EMAIL sets another)"),
        f"  admin password             {password_line}",
        f"  JWT signing secret         {jwt_line}",
        "",
        f"The web inbox: open {base_url}/inbox and log in with the email and password above.",
        "",
        "Log in, then read the settings and the stored messages:",
        f"  TOKEN=$(curl -s -X POST {base_url}/auth/login -H 'Content-Type: application/json' \\",
        f"       -d {body} | {read_token})",
        f'  curl -s {base_url}/instagram/config -H "Authorization: Bearer $TOKEN"',
        f'  curl -s "{base_url}/instagram/messages?limit=10" -H "Authorization: Bearer $TOKEN"',
    ]
