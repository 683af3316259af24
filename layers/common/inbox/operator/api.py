"""The operator API behind `functions/config`: one gate for every route, one map from errors to answers.

Every operation runs through :meth:`OperatorApi._run`: read the settings, check the bearer token
(unless the operation is the login — the only public one, so a route added later is protected
unless it says otherwise), act, and turn the package's exceptions into answers:

| exception | answer |
|---|---|
| ``Unauthorized`` | 401 ``{"error"}`` + ``WWW-Authenticate: Bearer …`` |
| ``TooManyAttempts`` | 429 ``{"error"}`` + ``Retry-After`` (the login only) |
| ``InvalidRequest`` | 400 ``{"error", "field"}`` |
| ``NotFound`` | 404 |
| ``MissingSecret`` / ``UnusableSecret`` | 503 ``{"error"}``; one log line names the secret |
| ``SettingsUnavailable`` / ``StoreUnavailable`` | 503 + ``Retry-After`` |

Nothing here logs a header, a body, a token or a setting's value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

import httpx

from inbox.errors import (
    InvalidRequest,
    MissingSecret,
    NotFound,
    RejectedDelivery,
    SettingsUnavailable,
    StoreUnavailable,
    TooManyAttempts,
    Unauthorized,
    UnusableSecret,
)
from inbox.http import Answer, unavailable
from inbox.observability import MetricName, logger, metrics
from inbox.operator import config, conversations, export, login, messages, replies, tokens
from inbox.operator.config import ConfigUpdate, ParameterWriter
from inbox.operator.conversations import ConversationReader
from inbox.operator.login_throttle import LoginThrottle
from inbox.outbound import AllowedHosts
from inbox.polling.state import read_poller_status
from inbox.settings import (
    OPERATOR_READS,
    WEBHOOK,
    FunctionEnvironment,
    Settings,
    load_settings,
    parameter_names,
    session_generation,
    token_lifetime,
)
from inbox.storage.readers import MessageReader
from inbox.storage.store import MessageStore
from inbox.validation import validated
from inbox.webhook import delivery

MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class OperatorRequest:
    """What the operator routes need of an API Gateway HTTP API event (header names lower-cased)."""

    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    is_base64: bool = False
    domain_name: str | None = None
    stage: str | None = None
    source_ip: str | None = None
    """API Gateway's ``requestContext.http.sourceIp``: the TCP peer, never a forwarded header."""


Action = Callable[[Settings], Answer]


class OperatorApi:
    def __init__(
        self,
        env: FunctionEnvironment,
        *,
        store: MessageStore,
        reader: MessageReader,
        parameters: ParameterWriter | None = None,
        chatrace_transport: httpx.BaseTransport | None = None,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self.env = env
        self.throttle = throttle or LoginThrottle(env.table_name)
        self.store = store
        self.reader = reader
        self.conversations = ConversationReader(reader.table_name, reader._client)
        self.chatrace_transport = chatrace_transport
        self.pending_replies = replies.PendingOutcomes()
        self.parameters = parameters or ParameterWriter(env.settings_prefix)
        self.issuer = tokens.issuer_for(env.settings_prefix)

    # ----------------------------------------------------------------------------- routes

    def login(self, request: OperatorRequest, *, now: datetime) -> Answer:
        return self._run(
            request,
            lambda settings: login.login(
                json_body(request),
                settings,
                issuer=self.issuer,
                now=now,
                throttle=self.throttle,
                source_ip=request.source_ip,
            ),
            public=True,
        )

    def get_config(self, request: OperatorRequest) -> Answer:
        return self._run(request, lambda settings: Answer(200, self._config(request, settings)))

    def put_config(self, request: OperatorRequest) -> Answer:
        def update(_: Settings) -> Answer:
            values = config.checked_update(
                validated(ConfigUpdate, json_body(request)), AllowedHosts(self.env.chatrace_allowed_hosts)
            )
            self.parameters.write(values)
            logger.info("settings updated", extra={"settings": sorted(values)})
            fresh = load_settings(self.env, OPERATOR_READS, force=True)
            return Answer(200, {**self._config(request, fresh), "updated": sorted(values)})

        return self._run(request, update)

    def list_messages(self, request: OperatorRequest) -> Answer:
        return self._run(request, lambda _: messages.list_messages(request.query, self.reader))

    def list_unrecognized(self, request: OperatorRequest) -> Answer:
        return self._run(request, lambda _: messages.list_unrecognized(request.query, self.reader))

    def replay(self, request: OperatorRequest, raw_id: str) -> Answer:
        return self._run(
            request,
            lambda settings: messages.replay(raw_id, reader=self.reader, store=self.store, settings=settings),
        )

    def list_conversations(self, request: OperatorRequest, *, now: datetime) -> Answer:
        return self._run(
            request, lambda _: conversations.list_conversations(request.query, self.conversations, now=now)
        )

    def export_conversation(self, request: OperatorRequest, sender_id: str, *, now: datetime) -> Answer:
        return self._run(
            request, lambda _: export.export_conversation(sender_id, request.query, self.reader, now=now)
        )

    def reply(
        self,
        request: OperatorRequest,
        sender_id: str,
        *,
        now: datetime,
        remaining_seconds: float | None = None,
    ) -> Answer:
        return self._run(
            request,
            lambda settings: replies.reply(
                sender_id,
                json_body(request),
                request.headers,
                store=self.store,
                reader=self.conversations,
                settings=settings,
                allowed=AllowedHosts(self.env.chatrace_allowed_hosts),
                now=now,
                pending=self.pending_replies,
                remaining_seconds=remaining_seconds,
                transport=self.chatrace_transport,
            ),
        )

    # ----------------------------------------------------------------------------- the gate

    def _run(self, request: OperatorRequest, action: Action, *, public: bool = False) -> Answer:
        try:
            settings = load_settings(self.env, OPERATOR_READS)
            if not public:
                self._authenticate(request, settings)
                self.pending_replies.complete(self.store)  # outcomes DynamoDB refused before
            answer = action(settings)
        except Unauthorized as refusal:
            logger.info("operator request refused", extra={"reason": refusal.detail})
            if not public:  # failed logins are counted by the login itself
                metrics.add_metric(name=MetricName.OPERATOR_AUTH_FAILURES, unit="Count", value=1)
            return Answer(401, {"error": refusal.reason}, {"WWW-Authenticate": tokens.challenge(refusal)})
        except TooManyAttempts as busy:
            logger.warning("operator login throttled", extra={"retryAfter": busy.retry_after})
            metrics.add_metric(name=MetricName.LOGINS_THROTTLED, unit="Count", value=1)
            return Answer(
                429,
                {"error": "too many failed logins; retry later"},
                {"Retry-After": str(busy.retry_after)},
            )
        except InvalidRequest as invalid:
            return Answer(400, {"error": invalid.reason, "field": invalid.field})
        except NotFound as missing:
            return Answer(404, {"error": str(missing)})
        except (MissingSecret, UnusableSecret) as exc:
            logger.warning(f"operator API unavailable: {exc} (set it with `make secrets`)")
            return Answer(503, {"error": f"not configured: {exc}; see `make secrets`"})
        except (SettingsUnavailable, StoreUnavailable) as exc:
            logger.error("operator request failed: dependency unavailable", extra={"reason": str(exc)})
            return unavailable(str(exc))
        return Answer(answer.status_code, answer.body, {"Cache-Control": "no-store", **answer.headers})

    def _authenticate(self, request: OperatorRequest, settings: Settings) -> tokens.Claims:
        secret = login.signing_secret(settings)
        token = tokens.bearer_token(request.headers)
        return tokens.verify_token(
            token,
            secret=secret,
            issuer=self.issuer,
            generation=session_generation(settings),
            max_lifetime_seconds=token_lifetime(settings),
        )

    def _config(self, request: OperatorRequest, settings: Settings) -> dict[str, object]:
        base = config.base_url(request.headers, domain_name=request.domain_name, stage=request.stage)
        poller = read_poller_status(self.env.table_name).to_json()
        # The webhook's secrets by name only: this function may list them, never read them.
        listed = replace(settings, listed=parameter_names(self.env, WEBHOOK))
        return config.config_view(listed, self.env, base_url=base, poller_status=poller)


def json_body(request: OperatorRequest) -> dict[str, object]:
    """The request's JSON object, whatever content type was declared (curl's ``-d`` says form data)."""
    try:
        raw = delivery.raw_bytes(request.body, is_base64=request.is_base64)
    except RejectedDelivery as exc:
        raise InvalidRequest(exc.reason) from exc
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidRequest(f"body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES}")
    try:  # the webhook's parser: its UTF-8, empty-body and nesting checks (no RecursionError)
        value = delivery.parse_delivery(raw, "application/json").body
    except RejectedDelivery as exc:
        raise InvalidRequest(exc.reason) from exc
    if not isinstance(value, dict):
        raise InvalidRequest("expected a JSON object")
    return value
