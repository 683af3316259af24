"""`GET` / `PUT /instagram/config`: the setup an operator checks, the settings they change.

The view shows every plain setting, the webhook URL as the caller reached this API, which webhook
checks are on, polling and the field map; of each secret only whether it is set (the Chatrace token
also by its last 4 characters, when it is long enough for that to give nothing away).

An update is validated with pydantic (unknown fields refused, 400 naming field and reason) and
written to the plain ``String`` parameters the template created — never to a secret: those are
``make secrets``'s. Only the fields sent are written. This container re-reads its settings at once;
the other functions see the change within their cache's max age (``SETTINGS_MAX_AGE_SECONDS``).
A ``sam deploy`` that changes the matching stack parameter writes that parameter again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from inbox.errors import InvalidRequest, SettingsUnavailable
from inbox.observability import logger
from inbox.operator.tokens import secret_is_usable
from inbox.outbound import AllowedHosts, OutboundRefused
from inbox.settings import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD_HASH,
    CHATRACE_ACCOUNT_ID,
    CHATRACE_API_URL,
    CHATRACE_INBOX_URL,
    CHATRACE_REPLY_CHANNEL,
    CHATRACE_TOKEN,
    DEFAULT_CHATRACE_API_URL,
    DEFAULT_POLL_INTERVAL_SECONDS,
    DEFAULT_REPLY_CHANNEL,
    FIELD_MAP,
    JWT_SECRET,
    META_APP_SECRET,
    META_VERIFY_TOKEN,
    POLL_INTERVAL_BOUNDS,
    POLL_INTERVAL_SECONDS,
    POLLING_ENABLED,
    TOKEN_LIFETIME_SECONDS,
    UNSET,
    WEBHOOK_SECRET,
    FunctionEnvironment,
    Settings,
    poll_interval,
    polling_enabled,
    read_field_map,
)
from inbox.webhook.auth import protection

if TYPE_CHECKING:
    from mypy_boto3_ssm.client import SSMClient

WEBHOOK_PATH = "/instagram/webhook"
DEFAULT_TOKEN_LIFETIME = 3600
TOKEN_LIFETIME_RANGE = (60, 86400)
SSM_STANDARD_VALUE_BYTES = 4096
# The Chatrace token's last 4 characters are shown only when they are a small part of it.
LAST4_MIN_LENGTH = 16
INBOX_URL_EXAMPLE = "https://app.chatrace.com/php/user"

# normalize.fieldmap.FIELDS, spelled out for the type checker (a unit test keeps them equal).
FieldName = Literal["senderId", "messageId", "text", "username", "timestamp", "attachments"]

_SECRETS = {
    "chatraceToken": CHATRACE_TOKEN,
    "webhookSecret": WEBHOOK_SECRET,
    "metaAppSecret": META_APP_SECRET,
    "metaVerifyToken": META_VERIFY_TOKEN,
    "jwtSecret": JWT_SECRET,
    "adminEmail": ADMIN_EMAIL,
    "adminPasswordHash": ADMIN_PASSWORD_HASH,
}
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(?::\d{1,5})?")
_ACCOUNT_ID = re.compile(r"[0-9]{1,20}")
_CHANNEL = re.compile(r"[A-Za-z0-9_.-]{1,64}")


# ------------------------------------------------------------------------------------------ view


def config_view(
    settings: Settings,
    env: FunctionEnvironment,
    *,
    base_url: str,
    poller_status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What an operator needs to check the setup; ``poller_status`` is the poller's own record of its
    last round and of the Chatrace token's health (ok / rejected, with the time)."""
    token = settings.get(CHATRACE_TOKEN)
    account_id = settings.get(CHATRACE_ACCOUNT_ID)
    inbox_url = settings.get(CHATRACE_INBOX_URL)
    enabled = polling_enabled(settings)
    missing = [
        name
        for name in (CHATRACE_TOKEN, CHATRACE_ACCOUNT_ID, CHATRACE_INBOX_URL)
        if not settings.is_set(name)
    ]
    field_map, field_map_problem = read_field_map(settings)
    secrets: dict[str, dict[str, Any]] = {
        key: {"set": settings.is_set(name)} for key, name in _SECRETS.items()
    }
    if token is not None:
        secrets["chatraceToken"]["last4"] = (
            token.strip()[-4:] if len(token.strip()) >= LAST4_MIN_LENGTH else None
        )
    jwt_secret = settings.get(JWT_SECRET)
    if jwt_secret is not None:
        secrets["jwtSecret"]["usable"] = secret_is_usable(jwt_secret)
    return {
        "accountId": account_id,
        "webhook": {
            "url": base_url + WEBHOOK_PATH,
            "authentication": protection(
                webhook_secret=settings.is_set(WEBHOOK_SECRET),
                meta_app_secret=settings.is_set(META_APP_SECRET),
                allow_unauthenticated=env.allow_unauthenticated_webhook,
            ),
            "allowUnauthenticated": env.allow_unauthenticated_webhook,
            "checks": {
                "webhookSecret": settings.is_set(WEBHOOK_SECRET),
                "metaSignature": settings.is_set(META_APP_SECRET),
                "metaVerifyToken": settings.is_set(META_VERIFY_TOKEN),
            },
        },
        "polling": {
            "enabled": enabled,
            "intervalSeconds": poll_interval(settings) or DEFAULT_POLL_INTERVAL_SECONDS,
            "source": inbox_url,
            "ready": enabled and not missing,
            "missing": missing,
            "status": poller_status,
        },
        "replies": {
            "apiUrl": settings.get(CHATRACE_API_URL) or DEFAULT_CHATRACE_API_URL,
            "channel": settings.get(CHATRACE_REPLY_CHANNEL) or DEFAULT_REPLY_CHANNEL,
        },
        "fieldMap": field_map,
        "fieldMapProblem": field_map_problem,
        "auth": {"tokenLifetimeSeconds": token_lifetime(settings)},
        "secrets": secrets,
        "settings": {"prefix": env.settings_prefix, "maxAgeSeconds": env.settings_max_age_seconds},
    }


def base_url(headers: Mapping[str, str], *, domain_name: str | None, stage: str | None) -> str:
    """``https://<host>[/<stage>]`` as the caller reached this API (Host and X-Forwarded-Proto).

    A Host that is not a plain host name falls back to API Gateway's own domain name, so a forged
    header cannot put markup or another path into the answer.
    """
    host = headers.get("host", "").strip()
    if not _HOST.fullmatch(host):
        host = domain_name if domain_name and _HOST.fullmatch(domain_name) else "localhost"
    proto = headers.get("x-forwarded-proto", "https").split(",")[0].strip().lower()
    if proto not in ("http", "https"):
        proto = "https"
    prefix = f"/{stage}" if stage and stage != "$default" and re.fullmatch(r"[\w-]{1,128}", stage) else ""
    return f"{proto}://{host}{prefix}"


def read_int(settings: Settings, name: str, default: int, bounds: tuple[int, int]) -> int:
    text = (settings.get(name) or "").strip()
    try:
        value = int(text)
    except ValueError:
        if text:
            logger.warning("setting is not a whole number; using the default", extra={"setting": name})
        return default
    return min(max(value, bounds[0]), bounds[1])


def token_lifetime(settings: Settings) -> int:
    return read_int(settings, TOKEN_LIFETIME_SECONDS, DEFAULT_TOKEN_LIFETIME, TOKEN_LIFETIME_RANGE)


# ------------------------------------------------------------------------------------------ update

Path = Annotated[str, Field(min_length=1, max_length=256)]


class ConfigUpdate(BaseModel):
    """The settings an operator may change; send only those to change."""

    model_config = ConfigDict(extra="forbid")

    accountId: str | None = None
    inboxUrl: str | None = None
    apiUrl: str | None = None
    replyChannel: str | None = None
    pollingEnabled: StrictBool = False
    pollIntervalSeconds: StrictInt = Field(
        DEFAULT_POLL_INTERVAL_SECONDS, ge=POLL_INTERVAL_BOUNDS[0], le=POLL_INTERVAL_BOUNDS[1]
    )
    tokenLifetimeSeconds: StrictInt = Field(DEFAULT_TOKEN_LIFETIME, ge=60, le=86400)
    fieldMap: dict[FieldName, Annotated[list[Path], Field(min_length=1, max_length=32)]] = Field(
        default_factory=dict
    )

    @field_validator("accountId", mode="before")
    @classmethod
    def _account_id(cls, value: object) -> str | None:
        if value is None:
            return None
        text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
        if not _ACCOUNT_ID.fullmatch(text):
            raise ValueError("must be the Chatrace account id (digits), or null to unset it")
        return text

    @field_validator("inboxUrl", "apiUrl")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        """Stripped only: where the token may go is checked against the allow-list (checked_update)."""
        return None if value is None else value.strip()

    @field_validator("replyChannel")
    @classmethod
    def _reply_channel(cls, value: str | None) -> str | None:
        if value is None:
            return None
        channel = value.strip()
        if not _CHANNEL.fullmatch(channel):
            raise ValueError(
                "must be Chatrace's channel name (letters, digits, _ . -; at most 64), "
                f"e.g. {DEFAULT_REPLY_CHANNEL}"
            )
        return channel

    @field_validator("fieldMap")
    @classmethod
    def _field_map(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        cleaned: dict[str, list[str]] = {}
        for name, paths in value.items():
            cleaned[name] = []
            for path in paths:
                path = path.strip()
                segments = path.split(".")
                if not path or any(not segment for segment in segments) or len(segments) > 32:
                    raise ValueError(
                        f"{name}: {path!r} is not a dotted path such as payload.contact.id (at most 32 parts)"
                    )
                cleaned[name].append(path)
        if len(encoded_field_map(cleaned).encode()) > SSM_STANDARD_VALUE_BYTES:
            raise ValueError(f"too large: at most {SSM_STANDARD_VALUE_BYTES} bytes as JSON")
        return cleaned

    def parameters(self) -> dict[str, str]:
        """Parameter name below the prefix → value, for the fields that were sent."""
        values: dict[str, str] = {}
        sent = self.model_fields_set
        if "accountId" in sent:
            values[CHATRACE_ACCOUNT_ID] = str(self.accountId) if self.accountId is not None else UNSET
        if "inboxUrl" in sent:
            values[CHATRACE_INBOX_URL] = self.inboxUrl or UNSET
        if "apiUrl" in sent:
            values[CHATRACE_API_URL] = self.apiUrl or DEFAULT_CHATRACE_API_URL
        if "replyChannel" in sent:
            values[CHATRACE_REPLY_CHANNEL] = self.replyChannel or DEFAULT_REPLY_CHANNEL
        if "pollingEnabled" in sent:
            values[POLLING_ENABLED] = "true" if self.pollingEnabled else "false"
        if "pollIntervalSeconds" in sent:
            values[POLL_INTERVAL_SECONDS] = str(self.pollIntervalSeconds)
        if "tokenLifetimeSeconds" in sent:
            values[TOKEN_LIFETIME_SECONDS] = str(self.tokenLifetimeSeconds)
        if "fieldMap" in sent:
            values[FIELD_MAP] = encoded_field_map(self.fieldMap)
        return values


def encoded_field_map(field_map: Mapping[FieldName, list[str]] | Mapping[str, list[str]]) -> str:
    return json.dumps(field_map, ensure_ascii=False, separators=(",", ":"))


def checked_update(update: ConfigUpdate, allowed: AllowedHosts) -> dict[str, str]:
    """The parameters to write; a URL the Chatrace token may not go to is a 400 naming the rule."""
    parameters = update.parameters()
    if not parameters:
        raise InvalidRequest(
            "nothing to update: send one or more of " + ", ".join(ConfigUpdate.model_fields), field=None
        )
    for field, example in (("inboxUrl", INBOX_URL_EXAMPLE), ("apiUrl", DEFAULT_CHATRACE_API_URL)):
        url = getattr(update, field)
        if url is not None:
            try:
                allowed.check(url, example=example)
            except OutboundRefused as refused:
                raise InvalidRequest(f"{field}: {refused.rule}", field=field) from None
    return parameters


# ------------------------------------------------------------------------------------------ writing

_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 3, "mode": "standard"})


@cache
def ssm_client() -> SSMClient:
    return boto3.client("ssm", config=_CLIENT_CONFIG)


class ParameterWriter:
    """Writes plain String parameters below the prefix; AWS errors become SettingsUnavailable."""

    def __init__(self, prefix: str, client: SSMClient | None = None) -> None:
        self.prefix = prefix
        self._client = client

    def write(self, values: Mapping[str, str]) -> None:
        client = self._client or ssm_client()
        for name, value in values.items():
            try:
                client.put_parameter(Name=f"{self.prefix}/{name}", Value=value, Type="String", Overwrite=True)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "Unknown")
                raise SettingsUnavailable(f"could not write {name} to SSM Parameter Store ({code})") from exc
            except BotoCoreError as exc:
                raise SettingsUnavailable(
                    f"could not reach SSM Parameter Store to write {name} ({type(exc).__name__})"
                ) from exc
