"""`PUT /instagram/config`: the plain settings an operator changes, validated and written.

An update is validated with pydantic (unknown fields refused, 400 naming field and reason) and
written to the plain ``String`` parameters the template created — never to a secret: those are
``make secrets``'s. Only the fields sent are written. This container re-reads its settings at once;
the other functions see the change within their cache's max age (``SETTINGS_MAX_AGE_SECONDS``).
A ``sam deploy`` that changes the matching stack parameter writes that parameter again.

Imported by the PUT route only (:meth:`inbox.operator.api.OperatorApi.put_config`): building
:class:`ConfigUpdate` from the settings table is the largest piece of the operator package's import,
and no other request needs it.
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
from inbox.outbound import AllowedHosts
from inbox.settings import (
    BY_FIELD,
    BY_NAME,
    CHATRACE_ACCOUNT_ID,
    CHATRACE_API_URL,
    CHATRACE_INBOX_URL,
    CHATRACE_REPLY_CHANNEL,
    DEFAULT_CHATRACE_API_URL,
    FIELD_MAP,
    POLL_INTERVAL_SECONDS,
    POLLING_ENABLED,
    TOKEN_LIFETIME_SECONDS,
)

if TYPE_CHECKING:
    from mypy_boto3_ssm.client import SSMClient

SSM_STANDARD_VALUE_BYTES = 4096
INBOX_URL_EXAMPLE = "https://app.chatrace.com/php/user"

# normalize.fieldmap.FIELDS, spelled out for the type checker (a unit test keeps them equal).
FieldName = Literal["senderId", "messageId", "text", "username", "timestamp", "attachments"]

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
