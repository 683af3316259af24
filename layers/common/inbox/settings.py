"""Function settings: the environment (validated once per container) and SSM parameters (cached).

Every setting an operator may change lives under ``SETTINGS_PREFIX`` in Parameter Store: plain
``String`` parameters created by the template, and ``SecureString`` secrets created by
``make secrets``. One GetParametersByPath call (through Powertools, cached for
``SETTINGS_MAX_AGE_SECONDS``) reads them all, so a secret that is absent is *not configured*
and a failed read is an error — the two are never confused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from inbox.errors import SettingsUnavailable

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

# The template cannot create an empty String parameter: this value means "not set".
UNSET = "-"

# Names of SecureString parameters below the prefix (not their values).
WEBHOOK_SECRET = "secrets/webhook-secret"  # noqa: S105
META_APP_SECRET = "secrets/meta-app-secret"  # noqa: S105
META_VERIFY_TOKEN = "secrets/meta-verify-token"  # noqa: S105
FIELD_MAP = "fieldmap"


class FunctionEnvironment(BaseModel):
    """What template.yaml puts in every function's environment."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    table_name: str = Field(alias="TABLE_NAME", min_length=3)
    settings_prefix: str = Field(alias="SETTINGS_PREFIX", pattern=r"^/[\w.\-/]+$")
    settings_max_age_seconds: int = Field(default=60, alias="SETTINGS_MAX_AGE_SECONDS", ge=0, le=3600)
    unrecognized_ttl_days: int = Field(default=30, alias="UNRECOGNIZED_TTL_DAYS", ge=1, le=3650)
    max_body_bytes: int = Field(default=256 * 1024, alias="MAX_BODY_BYTES", ge=1024)


@cache
def function_environment() -> FunctionEnvironment:
    return FunctionEnvironment.model_validate(dict(os.environ))


@dataclass(frozen=True)
class Settings:
    """A snapshot of the parameters under the prefix, keyed by their name below it."""

    values: dict[str, str]

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or value.strip() in ("", UNSET):
            return None
        return value

    def is_set(self, name: str) -> bool:
        return self.get(name) is not None


@cache
def _provider() -> SSMProvider:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider()


def load_settings(env: FunctionEnvironment | None = None, *, force: bool = False) -> Settings:
    """All parameters under the prefix, decrypted; raises SettingsUnavailable when SSM can't be read."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    env = env or function_environment()
    try:
        values = _provider().get_multiple(
            env.settings_prefix,
            decrypt=True,
            recursive=True,
            max_age=env.settings_max_age_seconds,
            force_fetch=force,
        )
    except GetParameterError as exc:
        raise SettingsUnavailable("could not read settings from SSM Parameter Store") from exc
    return Settings({str(k): str(v) for k, v in (values or {}).items()})


def clear_caches() -> None:
    """Forget the environment, the SSM client and cached values (tests, and the dev server's reload)."""
    function_environment.cache_clear()
    _provider.cache_clear()
