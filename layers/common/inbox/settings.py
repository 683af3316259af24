"""Function settings: the environment (validated once per container) and SSM parameters (cached).

Every setting an operator may change lives under ``SETTINGS_PREFIX`` in Parameter Store: plain
``String`` parameters created by the template, and ``SecureString`` secrets created by
``make secrets``, in one folder per set of readers (:data:`WEBHOOK_READS`, :data:`POLLER_READS`,
:data:`OPERATOR_READS`). A function reads only its folders, one GetParametersByPath each (through
Powertools, cached for ``SETTINGS_MAX_AGE_SECONDS``) — template.yaml lets it read nothing else —
so a secret that is absent is *not configured* and a failed read is an error — the two are never
confused.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, cast

from inbox.errors import MissingSecret, SettingsUnavailable

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SSMProvider
    from mypy_boto3_ssm.client import SSMClient

# The template cannot create an empty String parameter: this value means "not set".
UNSET = "-"

# The folders below the prefix, by who reads them (least privilege: the internet-facing webhook
# cannot read the operator's JWT secret or password hash, nor the Chatrace token).
WEBHOOK = "webhook"  # the webhook's checks: webhook only
AUTH = "auth"  # the operator login and its tokens: operator API only
CHATRACE = "chatrace"  # the Chatrace account and token: poller and operator API (replies)
POLLING = "polling"  # poller and operator API
NORMALIZE = "normalize"  # the field map: webhook and operator API (replay, config view)
WEBHOOK_READS = (WEBHOOK, NORMALIZE)
POLLER_READS = (CHATRACE, POLLING)
OPERATOR_READS = (AUTH, CHATRACE, POLLING, NORMALIZE)
"""What each function reads; template.yaml grants exactly these folders to each (and the test
tests/infrastructure/test_settings_access.py proves it, parameter by parameter)."""

# Names of SecureString parameters below the prefix (not their values).
WEBHOOK_SECRET = "webhook/webhook-secret"  # noqa: S105
META_APP_SECRET = "webhook/meta-app-secret"  # noqa: S105
META_VERIFY_TOKEN = "webhook/meta-verify-token"  # noqa: S105
CHATRACE_TOKEN = "chatrace/token"  # noqa: S105
JWT_SECRET = "auth/jwt-secret"  # noqa: S105
ADMIN_EMAIL = "auth/admin-email"
ADMIN_PASSWORD_HASH = "auth/admin-password-hash"  # noqa: S105
# Not a secret, but written with the password by `make secrets`: every token carries it (``gen``),
# so setting a new password (or `make secrets ARGS=--end-sessions`) ends every session.
SESSION_GENERATION = "auth/session-generation"

# Names of the plain String parameters the template creates (the operator API may rewrite them).
CHATRACE_ACCOUNT_ID = "chatrace/account-id"
CHATRACE_INBOX_URL = "chatrace/inbox-url"
CHATRACE_API_URL = "chatrace/api-url"
CHATRACE_REPLY_CHANNEL = "chatrace/reply-channel"
POLLING_ENABLED = "polling/enabled"
POLL_INTERVAL_SECONDS = "polling/interval-seconds"
TOKEN_LIFETIME_SECONDS = "auth/token-lifetime-seconds"  # noqa: S105
FIELD_MAP = "normalize/fieldmap"

type Kind = Literal["secret", "text", "url", "bool", "int", "json"]


class Setting(NamedTuple):
    """One parameter below the prefix, declared once: what every other place reads or is tested against.

    template.yaml's stack parameter (Default, MinValue/MaxValue, AllowedValues, AllowedPattern), its
    ``AWS::SSM::Parameter`` and the operator API's write grant (tests/infrastructure/
    test_settings_table.py); the config view (inbox.operator.config) and ``PUT`` validation
    (inbox.operator.config_update); `make dev`'s seeding (``variable``) and `make secrets` (every
    ``secret``). Who reads it follows from its folder (:data:`WEBHOOK_READS` …).

    Out of range is refused wherever a value comes in — a deploy (the template's constraints), a
    ``PUT`` (400 naming the rule) — and a value written past both (by hand in Parameter Store) is
    never clamped: readers use the default and log a warning (:func:`whole_number`).

    This module's records are named tuples, not frozen dataclasses: every function imports it at
    its cold start, and a frozen dataclass costs about 1.5 ms there to generate and compile its
    methods (a named tuple about 0.3 ms).
    """

    name: str
    """Below the prefix: ``<folder>/<name>``."""
    kind: Kind
    about: str
    default: str | int | bool | None = None
    """What an unset parameter means (None: nothing — stored as :data:`UNSET`)."""
    bounds: tuple[int, int] | None = None
    """An ``int``'s smallest and largest value."""
    pattern: str | None = None
    """A ``text`` value matches it whole (the template's AllowedPattern also allows empty = unset)."""
    rule: str | None = None
    """What a refused value must be: the 400's reason."""
    stack_parameter: str | None = None
    """The template parameter a deploy sets it from (a plain setting the template creates)."""
    field: str | None = None
    """Its name in ``GET``/``PUT /instagram/config`` (None: an operator cannot change it there)."""
    variable: str | None = None
    """The INBOX_* environment variable `make dev` (and `make secrets --from-env`) read."""

    @property
    def folder(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def secret(self) -> bool:
        """A SecureString `make secrets` writes; the template never creates it."""
        return self.kind == "secret"

    @property
    def stored_default(self) -> str:
        """The default as Parameter Store holds it."""
        if self.default is None:
            return UNSET
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        return str(self.default)


SETTINGS: tuple[Setting, ...] = (
    # ------------------------------------------------------------------ secrets (make secrets)
    # In the order make secrets asks for them; ``about`` is its prompt.
    Setting(CHATRACE_TOKEN, "secret", "Chatrace API token (X-ACCESS-TOKEN)", variable="INBOX_CHATRACE_TOKEN"),
    Setting(WEBHOOK_SECRET, "secret", "webhook secret (X-Webhook-Secret)", variable="INBOX_WEBHOOK_SECRET"),
    Setting(META_APP_SECRET, "secret", "Meta app secret", variable="INBOX_META_APP_SECRET"),
    Setting(META_VERIFY_TOKEN, "secret", "Meta webhook verify token", variable="INBOX_META_VERIFY_TOKEN"),
    Setting(JWT_SECRET, "secret", "JWT signing secret", variable="INBOX_JWT_SECRET"),
    Setting(ADMIN_EMAIL, "secret", "operator (admin) email", variable="INBOX_ADMIN_EMAIL"),
    Setting(ADMIN_PASSWORD_HASH, "secret", "operator password", variable="INBOX_ADMIN_PASSWORD"),
    Setting(SESSION_GENERATION, "secret", "the operator sessions' generation (a new one ends them all)",
            default="0"),
    # ---------------------------------------------- plain (the template creates them; PUT /instagram/config)
    Setting(CHATRACE_ACCOUNT_ID, "text", "Chatrace account id (inbox API)",
            pattern="[0-9]{1,20}", rule="must be the Chatrace account id (digits), or null to unset it",
            stack_parameter="ChatraceAccountId", field="accountId", variable="INBOX_CHATRACE_ACCOUNT_ID"),
    Setting(CHATRACE_INBOX_URL, "url", "Chatrace inbox API URL, e.g. https://app.chatrace.com/php/user",
            stack_parameter="ChatraceInboxUrl", field="inboxUrl", variable="INBOX_CHATRACE_INBOX_URL"),
    Setting(CHATRACE_API_URL, "url", "Chatrace REST API base URL (replies are sent through it)",
            default="https://api.chatrace.com",
            stack_parameter="ChatraceApiUrl", field="apiUrl", variable="INBOX_CHATRACE_API_URL"),
    Setting(CHATRACE_REPLY_CHANNEL, "text", "the channel value of Chatrace's send/text for replies",
            default="instagram", pattern="[A-Za-z0-9_.-]{1,64}",
            rule="must be Chatrace's channel name (letters, digits, _ . -; at most 64), e.g. instagram",
            stack_parameter="ChatraceReplyChannel", field="replyChannel"),
    Setting(POLLING_ENABLED, "bool", "whether the poller reads the Chatrace inbox API", default=False,
            stack_parameter="PollingEnabled", field="pollingEnabled", variable="INBOX_POLLING_ENABLED"),
    Setting(POLL_INTERVAL_SECONDS, "int", "seconds between two polls inside one poller invocation",
            default=10, bounds=(1, 60),
            stack_parameter="PollIntervalSeconds", field="pollIntervalSeconds",
            variable="INBOX_POLL_INTERVAL_SECONDS"),
    Setting(TOKEN_LIFETIME_SECONDS, "int", "lifetime of the operator API's JWTs in seconds",
            default=3600, bounds=(60, 86400),
            stack_parameter="TokenLifetimeSeconds", field="tokenLifetimeSeconds"),
    Setting(FIELD_MAP, "json", "operator-defined field aliases (JSON) for bodies no built-in adapter knows",
            default="{}", field="fieldMap"),
)  # fmt: skip
BY_NAME: Mapping[str, Setting] = {setting.name: setting for setting in SETTINGS}
BY_FIELD: Mapping[str, Setting] = {s.field: s for s in SETTINGS if s.field is not None}


def _int_default(name: str) -> int:
    default = BY_NAME[name].default
    assert isinstance(default, int)
    return default


def _bounds(name: str) -> tuple[int, int]:
    bounds = BY_NAME[name].bounds
    assert bounds is not None
    return bounds


def _str_default(name: str) -> str:
    default = BY_NAME[name].default
    assert isinstance(default, str)
    return default


DEFAULT_POLL_INTERVAL_SECONDS = _int_default(POLL_INTERVAL_SECONDS)
POLL_INTERVAL_BOUNDS = _bounds(POLL_INTERVAL_SECONDS)
DEFAULT_TOKEN_LIFETIME_SECONDS = _int_default(TOKEN_LIFETIME_SECONDS)
# The generation of a stack whose password was never set by `make secrets` (e.g. `make dev`).
INITIAL_SESSION_GENERATION = _str_default(SESSION_GENERATION)
# What replies use while their parameter is unset (the template's defaults, for a stack that lost them).
DEFAULT_CHATRACE_API_URL = _str_default(CHATRACE_API_URL)
DEFAULT_REPLY_CHANNEL = _str_default(CHATRACE_REPLY_CHANNEL)

# Where the Chatrace token may be sent (inbox.outbound): template.yaml's ChatraceAllowedHosts default,
# for a function whose environment lacks CHATRACE_ALLOWED_HOSTS.
DEFAULT_CHATRACE_ALLOWED_HOSTS = ("api.chatrace.com", "app.chatrace.com")
_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?")


class FunctionEnvironment(NamedTuple):
    """What template.yaml puts in every function's environment, checked once at cold start.

    A dataclass with explicit checks, not a pydantic model: five values do not justify the ~70 ms
    the first pydantic model adds to every cold start (see models.py).
    """

    table_name: str
    settings_prefix: str
    settings_max_age_seconds: int = 60
    unrecognized_ttl_days: int = 30
    max_body_bytes: int = 256 * 1024
    chatrace_allowed_hosts: tuple[str, ...] = DEFAULT_CHATRACE_ALLOWED_HOSTS
    allow_unauthenticated_webhook: bool = False
    """The stack parameter AllowUnauthenticatedWebhook; anything but "true" keeps the webhook closed."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> FunctionEnvironment:
        """Raises ValueError naming every missing or invalid variable (a broken deploy fails loudly)."""
        problems: list[str] = []
        table_name = environ.get("TABLE_NAME", "").strip()
        if len(table_name) < 3:
            problems.append("TABLE_NAME must name the messages table")
        prefix = environ.get("SETTINGS_PREFIX", "").strip().rstrip("/")
        if not _PREFIX.fullmatch(prefix):
            problems.append(f"SETTINGS_PREFIX must be an SSM path like /my-stack, not {prefix!r}")
        numbers = {
            name: _int_setting(environ, variable, default, low, high, problems)
            for name, variable, default, low, high in _NUMBERS
        }
        hosts = _allowed_hosts(environ, problems)
        allow = environ.get("ALLOW_UNAUTHENTICATED_WEBHOOK", "false").strip().lower()
        if allow not in ("true", "false", ""):
            problems.append(f"ALLOW_UNAUTHENTICATED_WEBHOOK must be true or false, not {allow!r}")
        if problems:
            raise ValueError("invalid function environment: " + "; ".join(problems))
        return cls(
            table_name=table_name,
            settings_prefix=prefix,
            chatrace_allowed_hosts=hosts,
            allow_unauthenticated_webhook=allow == "true",
            **numbers,
        )


_PREFIX = re.compile(r"/[\w.\-/]+")
_NUMBERS = (
    ("settings_max_age_seconds", "SETTINGS_MAX_AGE_SECONDS", 60, 0, 3600),
    ("unrecognized_ttl_days", "UNRECOGNIZED_TTL_DAYS", 30, 1, 3650),
    ("max_body_bytes", "MAX_BODY_BYTES", 256 * 1024, 1024, 10 * 1024 * 1024),
)


def _int_setting(
    environ: Mapping[str, str], variable: str, default: int, low: int, high: int, problems: list[str]
) -> int:
    text = environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        problems.append(f"{variable} must be a whole number from {low} to {high}, not {text!r}")
        return default
    return value


def _allowed_hosts(environ: Mapping[str, str], problems: list[str]) -> tuple[str, ...]:
    text = environ.get("CHATRACE_ALLOWED_HOSTS")
    if text is None:
        return DEFAULT_CHATRACE_ALLOWED_HOSTS
    hosts = tuple(host.strip().lower() for host in text.split(",") if host.strip())
    if not hosts or not all(_HOST_NAME.fullmatch(host) for host in hosts):
        problems.append("CHATRACE_ALLOWED_HOSTS must be comma-separated host names such as api.chatrace.com")
    return hosts


@cache
def function_environment() -> FunctionEnvironment:
    return FunctionEnvironment.from_environ(os.environ)


class Settings(NamedTuple):
    """A snapshot of the parameters a function reads, keyed by their name below the prefix.

    ``listed`` are names known to exist whose values this function may not read (the operator
    API's view of the webhook's secrets): set, but never readable through :meth:`get`.
    """

    values: dict[str, str]
    listed: frozenset[str] = frozenset()

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or value.strip() in ("", UNSET):
            return None
        return value

    def is_set(self, name: str) -> bool:
        return self.get(name) is not None or name in self.listed

    def required(self, name: str) -> str:
        """The value of a setting the request cannot do without; MissingSecret (503) when unset."""
        value = self.get(name)
        if value is None:
            raise MissingSecret(name)
        return value


def polling_enabled(settings: Settings) -> bool:
    return (settings.get(POLLING_ENABLED) or "").strip().lower() == "true"


def session_generation(settings: Settings) -> str:
    """The operator sessions' current generation: the ``gen`` every valid token carries."""
    return (settings.get(SESSION_GENERATION) or INITIAL_SESSION_GENERATION).strip()


def problem(setting: Setting, text: str) -> str | None:
    """What is wrong with ``text`` as the stored value of a plain setting (None when it is fine).

    The table's rule for values that did not come through a deploy or a ``PUT`` (`make dev`'s
    INBOX_* variables, a value written by hand): ``int`` within bounds, ``bool`` true/false,
    ``text`` matching its pattern. URLs are checked against the allow-list where they are used.
    """
    if setting.kind == "int" and setting.bounds is not None:
        low, high = setting.bounds
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            return f"must be a whole number from {low} to {high}"
    elif setting.kind == "bool" and text.strip() not in ("true", "false"):
        return "must be true or false"
    elif setting.kind == "text" and setting.pattern is not None and not re.fullmatch(setting.pattern, text):
        return setting.rule or f"must match {setting.pattern}"
    return None


def whole_number(settings: Settings, name: str) -> int:
    """An ``int`` setting as every reader uses it: the stored value when :func:`problem` finds
    nothing wrong, else the default, with a warning — never clamped (see :class:`Setting`)."""
    setting = BY_NAME[name]
    default = _int_default(name)
    text = (settings.get(name) or "").strip()
    if not text:
        return default
    wrong = problem(setting, text)
    if wrong is None:
        return int(text)
    # Imported here, on this rare path only: the package's modules import settings before observability.
    from inbox.observability import logger

    logger.warning(f"{name} {wrong}; using {default}", extra={"setting": name, "value": text[:20]})
    return default


def poll_interval(settings: Settings) -> int:
    """Seconds between two polls: what the poller uses and the config view shows."""
    return whole_number(settings, POLL_INTERVAL_SECONDS)


def token_lifetime(settings: Settings) -> int:
    """The operator tokens' lifetime in seconds: what a login issues and a token is checked against."""
    return whole_number(settings, TOKEN_LIFETIME_SECONDS)


def read_field_map(settings: Settings) -> tuple[dict[str, Any], str | None]:
    """The stored field map as the normalizer gets it, and what is wrong with it (None when fine).

    Every reader (webhook, replay, config endpoint) goes through here, so all see the same map.
    """
    text = settings.get(FIELD_MAP)
    if text is None:
        return {}, None
    try:
        value = json.loads(text)
    except ValueError:
        return {}, "the stored field map is not valid JSON; the normalizer ignores it"
    if not isinstance(value, dict):
        return {}, "the stored field map is not a JSON object; the normalizer ignores it"
    return value, None


@cache
def _provider() -> SSMProvider:
    """On the container's one SSM client: left alone, the provider builds a boto3 session of its
    own and loads the SSM service model a second time."""
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider(boto3_client=_ssm_client())


def load_settings(env: FunctionEnvironment, folders: tuple[str, ...], *, force: bool = False) -> Settings:
    """The parameters in ``folders`` (one of the ``*_READS``), decrypted; raises SettingsUnavailable
    when SSM can't be read (also when IAM refuses a folder: never read as "not configured")."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    values: dict[str, str] = {}
    try:
        for folder in folders:
            found = _provider().get_multiple(
                f"{env.settings_prefix}/{folder}",
                decrypt=True,
                recursive=True,
                max_age=env.settings_max_age_seconds,
                force_fetch=force,
            )
            values.update({f"{folder}/{name}": str(value) for name, value in (found or {}).items()})
    except GetParameterError as exc:
        raise SettingsUnavailable("could not read settings from SSM Parameter Store") from exc
    return Settings(values)


def parameter_names(env: FunctionEnvironment, folder: str) -> frozenset[str]:
    """Which parameters exist in ``folder`` (names below the prefix), without reading a value:
    ssm:DescribeParameters, so the operator API can say which webhook secrets are set."""
    from botocore.exceptions import BotoCoreError, ClientError

    names: set[str] = set()
    path = f"{env.settings_prefix}/{folder}"
    try:
        pages = (
            _ssm_client()
            .get_paginator("describe_parameters")
            .paginate(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [path]}])
        )
        for page in pages:
            names.update(p["Name"].removeprefix(env.settings_prefix + "/") for p in page["Parameters"])
    except (BotoCoreError, ClientError) as exc:
        raise SettingsUnavailable("could not list settings in SSM Parameter Store") from exc
    return frozenset(names)


def _ssm_client() -> SSMClient:
    from inbox.aws import aws_client

    return cast("SSMClient", aws_client("ssm"))


def clear_caches() -> None:
    """Forget the environment, the SSM clients and cached values (tests, and the dev server's reload)."""
    function_environment.cache_clear()
    _provider.cache_clear()
    from inbox.aws import aws_client

    aws_client.cache_clear()
