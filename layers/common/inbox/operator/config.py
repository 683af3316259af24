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
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from inbox.aws import aws_client
from inbox.errors import InvalidRequest, OutboundRefused, SettingsUnavailable
from inbox.operator.tokens import secret_is_usable
from inbox.outbound import AllowedHosts
from inbox.settings import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD_HASH,
    BY_FIELD,
    BY_NAME,
    CHATRACE_ACCOUNT_ID,
    CHATRACE_API_URL,
    CHATRACE_INBOX_URL,
    CHATRACE_REPLY_CHANNEL,
    CHATRACE_TOKEN,
    DEFAULT_CHATRACE_API_URL,
    DEFAULT_REPLY_CHANNEL,
    FIELD_MAP,
    JWT_SECRET,
    META_APP_SECRET,
    META_VERIFY_TOKEN,
    POLL_INTERVAL_SECONDS,
    POLLING_ENABLED,
    TOKEN_LIFETIME_SECONDS,
    WEBHOOK_SECRET,
    FunctionEnvironment,
    Settings,
    poll_interval,
    polling_enabled,
    read_field_map,
    token_lifetime,
)
from inbox.webhook.auth import protection

if TYPE_CHECKING:
    from mypy_boto3_ssm.client import SSMClient

WEBHOOK_PATH = "/instagram/webhook"
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
            "intervalSeconds": poll_interval(settings),
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


# ------------------------------------------------------------------------------------------ update

Path = Annotated[str, Field(min_length=1, max_length=256)]


def _default(name: str) -> Any:
    """The field's default (unused: only the fields sent are written) and its description, from the table."""
    setting = BY_NAME[name]
    return Field(setting.default, description=setting.about)


def _whole_number(name: str) -> Any:
    """An ``int`` field refused outside the table's bounds (the template's MinValue / MaxValue)."""
    setting = BY_NAME[name]
    low, high = setting.bounds or (None, None)
    return Field(setting.default, ge=low, le=high, description=setting.about)


def _matching(name: str, text: str) -> str:
    """``text`` when it matches the table's pattern for ``name``, else ValueError with its rule."""
    setting = BY_NAME[name]
    if setting.pattern is None or not re.fullmatch(setting.pattern, text):
        raise ValueError(setting.rule or "is not allowed")
    return text


class ConfigUpdate(BaseModel):
    """The settings an operator may change (the table's rows with a ``field``); send only those to change.

    Defaults, bounds, patterns and their reasons come from inbox.settings.SETTINGS; a unit test keeps
    these fields equal to the table's. The PUT route validates a body with it (inbox.validation:
    400 naming field and reason, never the value) and writes :func:`checked_update`'s parameters.
    """

    model_config = ConfigDict(extra="forbid")

    accountId: str | None = _default(CHATRACE_ACCOUNT_ID)
    inboxUrl: str | None = _default(CHATRACE_INBOX_URL)
    apiUrl: str | None = _default(CHATRACE_API_URL)
    replyChannel: str | None = _default(CHATRACE_REPLY_CHANNEL)
    pollingEnabled: StrictBool = _default(POLLING_ENABLED)
    pollIntervalSeconds: StrictInt = _whole_number(POLL_INTERVAL_SECONDS)
    tokenLifetimeSeconds: StrictInt = _whole_number(TOKEN_LIFETIME_SECONDS)
    fieldMap: dict[FieldName, Annotated[list[Path], Field(min_length=1, max_length=32)]] = Field(
        default_factory=dict, description=BY_NAME[FIELD_MAP].about
    )

    @field_validator("accountId", mode="before")
    @classmethod
    def _account_id(cls, value: object) -> str | None:
        if value is None:
            return None
        text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
        return _matching(CHATRACE_ACCOUNT_ID, text)

    @field_validator("inboxUrl", "apiUrl")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        """Stripped only: where the token may go is checked against the allow-list (checked_update)."""
        return None if value is None else value.strip()

    @field_validator("replyChannel")
    @classmethod
    def _reply_channel(cls, value: str | None) -> str | None:
        return None if value is None else _matching(CHATRACE_REPLY_CHANNEL, value.strip())

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
        """Parameter name below the prefix → stored value, for the fields that were sent; null (or an
        empty URL) stores the table's default — "not set" for a setting without one."""
        values: dict[str, str] = {}
        for field, setting in BY_FIELD.items():
            if field not in self.model_fields_set:
                continue
            value = getattr(self, field)
            if value is None or value == "":
                values[setting.name] = setting.stored_default
            elif isinstance(value, bool):
                values[setting.name] = "true" if value else "false"
            elif setting.kind == "json":
                values[setting.name] = encoded_field_map(value)
            else:
                values[setting.name] = str(value)
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


def ssm_client() -> SSMClient:
    return cast("SSMClient", aws_client("ssm"))


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
