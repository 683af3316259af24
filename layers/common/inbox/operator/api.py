"""What the operator routes act on: the config function's services, and one method per operation.

The routes themselves (:mod:`inbox.operator.routes`, one Powertools ``Router`` per area) only read
the request; the bearer token is checked before any of them runs by :mod:`inbox.operator.gate`
(every route but the explicitly public ones), and what an operation raises is turned into an
answer in one place (:func:`inbox.http.error_answer`). Nothing here logs a header, a body, a token
or a setting's value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from inbox.errors import InvalidRequest, RejectedDelivery
from inbox.http import Answer
from inbox.observability import logger
from inbox.operator import conversations, export, messages, tokens
from inbox.operator.conversations import ConversationReader
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

if TYPE_CHECKING:
    import httpx

    from inbox.operator.config_update import ParameterWriter
    from inbox.operator.login_throttle import LoginThrottle
    from inbox.operator.replies import PendingOutcomes
    from inbox.storage.store import MessageStore

MAX_BODY_BYTES = 64 * 1024


class OperatorRequest(NamedTuple):
    """What the operator routes need of an API Gateway HTTP API event (header names lower-cased).

    A named tuple, as :class:`inbox.settings.Settings`: a frozen dataclass costs a cold start more.
    """

    headers: Mapping[str, str] = MappingProxyType({})
    query: Mapping[str, str] = MappingProxyType({})
    body: str | None = None
    is_base64: bool = False
    domain_name: str | None = None
    stage: str | None = None
    source_ip: str | None = None
    """API Gateway's ``requestContext.http.sourceIp``: the TCP peer, never a forwarded header."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OperatorApi:
    """The config function's services (built once per container) and the operations on them.

    Operations raise the package's exceptions; they never build an error answer themselves.
    ``clock`` is what "now" means (tests move it instead of sleeping).

    What only some routes use is imported by their operation, not at the cold start: the login
    (its throttle, scrypt, its body model), the config view and update (the update's pydantic model
    is built from the settings table), replies (httpx, the Chatrace client), replay (the webhook's
    write path), and so on. A cold request pays for its own route, never for all of them.
    """

    def __init__(
        self,
        env: FunctionEnvironment,
        *,
        reader: MessageReader,
        store: MessageStore | None = None,
        parameters: ParameterWriter | None = None,
        chatrace_transport: httpx.BaseTransport | None = None,
        throttle: LoginThrottle | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.env = env
        self._throttle = throttle
        self._store = store
        self.reader = reader
        self.conversations = ConversationReader(reader.table_name, reader._client)
        self.chatrace_transport = chatrace_transport
        self._pending_replies: PendingOutcomes | None = None
        self._parameters = parameters
        self.issuer = tokens.issuer_for(env.settings_prefix)
        self.clock = clock

    @property
    def store(self) -> MessageStore:
        """The write path: replay and replies write, every other route only reads (``reader``)."""
        if self._store is None:
            from inbox.storage.store import MessageStore  # content matching, fingerprints' writes

            self._store = MessageStore(self.env.table_name)
        return self._store

    @property
    def throttle(self) -> LoginThrottle:
        if self._throttle is None:
            from inbox.operator.login_throttle import LoginThrottle  # the login route's only

            self._throttle = LoginThrottle(self.env.table_name)
        return self._throttle

    @property
    def pending_replies(self) -> PendingOutcomes:
        """Reply outcomes not written yet; none exist before this container's first reply."""
        if self._pending_replies is None:
            from inbox.operator.replies import PendingOutcomes  # the reply route's only

            self._pending_replies = PendingOutcomes()
        return self._pending_replies

    def settings(self) -> Settings:
        """The operator API's settings (cached for their max age); SettingsUnavailable if SSM fails."""
        return load_settings(self.env, OPERATOR_READS)

    # ----------------------------------------------------------------------------- the gate

    def authenticate(self, headers: Mapping[str, str]) -> tokens.Claims:
        """The bearer token's claims, or Unauthorized; then retries reply outcomes DynamoDB refused before."""
        settings = self.settings()
        claims = tokens.verify_token(
            tokens.bearer_token(headers),
            secret=tokens.signing_secret(settings),
            issuer=self.issuer,
            generation=session_generation(settings),
            max_lifetime_seconds=token_lifetime(settings),
        )
        if self._pending_replies is not None:
            self._pending_replies.complete(self.store)
        return claims

    # ----------------------------------------------------------------------------- operations

    def login(self, request: OperatorRequest) -> Answer:
        from inbox.operator import login  # scrypt, the throttle and the body's model: this route's only

        return login.login(
            json_body(request),
            self.settings(),
            issuer=self.issuer,
            now=self.clock(),
            throttle=self.throttle,
            source_ip=request.source_ip,
        )

    def get_config(self, request: OperatorRequest) -> Answer:
        return Answer(200, self._config(request, self.settings()))

    def put_config(self, request: OperatorRequest) -> Answer:
        # The update's pydantic model, built from the settings table, and the URL allow-list's
        # module (it imports httpx): only this route uses them.
        from inbox.operator.config_update import ConfigUpdate, ParameterWriter, checked_update
        from inbox.outbound import AllowedHosts
        from inbox.validation import validated

        values = checked_update(
            validated(ConfigUpdate, json_body(request)), AllowedHosts(self.env.chatrace_allowed_hosts)
        )
        if self._parameters is None:
            self._parameters = ParameterWriter(self.env.settings_prefix)
        self._parameters.write(values)
        logger.info("settings updated", extra={"settings": sorted(values)})
        fresh = load_settings(self.env, OPERATOR_READS, force=True)
        return Answer(200, {**self._config(request, fresh), "updated": sorted(values)})

    def list_messages(self, query: messages.MessagesQuery) -> Answer:
        return messages.list_messages(query, self.reader)

    def list_unrecognized(self, query: messages.UnrecognizedQuery) -> Answer:
        return messages.list_unrecognized(query, self.reader)

    def replay(self, raw_id: str) -> Answer:
        return messages.replay(raw_id, reader=self.reader, store=self.store, settings=self.settings())

    def list_conversations(self, query: conversations.ConversationsQuery) -> Answer:
        return conversations.list_conversations(query, self.conversations, now=self.clock())

    def export_conversation(self, sender_id: str, query: export.ExportQuery) -> Answer:
        return export.export_conversation(sender_id, query, self.reader, now=self.clock())

    def reply(
        self, request: OperatorRequest, sender_id: str, *, remaining_seconds: float | None = None
    ) -> Answer:
        from inbox.operator import replies  # httpx and the Chatrace client: this route's only
        from inbox.outbound import AllowedHosts

        return replies.reply(
            sender_id,
            json_body(request),
            request.headers,
            store=self.store,
            reader=self.conversations,
            settings=self.settings(),
            allowed=AllowedHosts(self.env.chatrace_allowed_hosts),
            now=self.clock(),
            pending=self.pending_replies,
            remaining_seconds=remaining_seconds,
            transport=self.chatrace_transport,
        )

    def _config(self, request: OperatorRequest, settings: Settings) -> dict[str, object]:
        from inbox.operator import config  # the config routes' only, as the poller's status
        from inbox.polling.state import read_poller_status

        base = config.base_url(request.headers, domain_name=request.domain_name, stage=request.stage)
        poller = read_poller_status(self.env.table_name).to_json()
        # The webhook's secrets by name only: this function may list them, never read them.
        listed = settings._replace(listed=parameter_names(self.env, WEBHOOK))
        return config.config_view(listed, self.env, base_url=base, poller_status=poller)


def json_body(request: OperatorRequest) -> dict[str, object]:
    """The request's JSON object, whatever content type was declared (curl's ``-d`` says form data)."""
    from inbox.webhook import delivery  # only the routes that take a body (login, PUT, reply)

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
