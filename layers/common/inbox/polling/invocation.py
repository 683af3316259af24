"""One poller invocation: rounds every ``polling/interval-seconds`` until its time runs short.

EventBridge starts one invocation a minute (:func:`run_invocation`). It reads the settings
(:class:`PollerConfig`; polling off or unconfigured is one INFO line, not an error), takes the
lease (:mod:`inbox.polling.state`) so two invocations never poll at once, and runs a round
(:mod:`inbox.polling.round`) every interval until too little time is left for another.

Faults: a rejected token (401/403) ends the invocation with one error line and the token's health
recorded; 429, 5xx, timeouts, malformed answers or a DynamoDB failure end the *round* — the cursor
stays, so the next round reads the same again — and the next round waits longer (exponential
backoff with jitter, at least ``Retry-After``). Each round's figures are published as it ends.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from inbox.errors import (
    InboxUnavailable,
    LeaseLost,
    OutboundRefused,
    PollingDisabled,
    RoundOutOfTime,
    SettingsUnavailable,
    StoreUnavailable,
    TokenRejected,
)
from inbox.normalize.timestamps import format_ms
from inbox.observability import MetricName, logger, poller_metrics
from inbox.outbound import AllowedHosts
from inbox.polling.inbox_client import InboxClient
from inbox.polling.round import Clock, Poller, RoundResult
from inbox.polling.state import Backlog, PollerState
from inbox.settings import (
    CHATRACE_ACCOUNT_ID,
    CHATRACE_INBOX_URL,
    CHATRACE_TOKEN,
    DEFAULT_CHATRACE_ALLOWED_HOSTS,
    POLLER_READS,
    POLLING_ENABLED,
    FunctionEnvironment,
    Settings,
    load_settings,
    poll_interval,
    polling_enabled,
)
from inbox.storage.protocol import Store

ROUND_MIN_SECONDS = 15.0
"""No round starts with less of the invocation left (a round ends early, cursor kept, if it runs short)."""
MAX_BACKOFF_SECONDS = 60.0
LEASE_MARGIN_MS = 5_000


class _LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


class LambdaClock(NamedTuple):
    """The real clock, bounded by the Lambda context's deadline."""

    context: _LambdaContext

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def remaining_seconds(self) -> float:
        return self.context.get_remaining_time_in_millis() / 1000


class PollerConfig(NamedTuple):
    inbox_url: str
    account_id: str
    token: str
    interval_seconds: int
    allowed_hosts: tuple[str, ...] = DEFAULT_CHATRACE_ALLOWED_HOSTS

    @classmethod
    def from_settings(
        cls, settings: Settings, allowed_hosts: tuple[str, ...] = DEFAULT_CHATRACE_ALLOWED_HOSTS
    ) -> PollerConfig:
        """Raises PollingDisabled naming everything missing (the token's value is never logged)."""
        reasons = []
        if not polling_enabled(settings):
            reasons.append(f"{POLLING_ENABLED} is not true")
        for name in (CHATRACE_TOKEN, CHATRACE_ACCOUNT_ID, CHATRACE_INBOX_URL):
            if settings.get(name) is None:
                reasons.append(f"{name} is not set")
        token, account_id, url = (
            settings.get(CHATRACE_TOKEN),
            settings.get(CHATRACE_ACCOUNT_ID),
            settings.get(CHATRACE_INBOX_URL),
        )
        if reasons or token is None or account_id is None or url is None:
            raise PollingDisabled(reasons)
        return cls(
            inbox_url=url.strip(),
            account_id=account_id.strip(),
            token=token.strip(),
            interval_seconds=poll_interval(settings),
            allowed_hosts=allowed_hosts,
        )


@dataclass
class InvocationSummary:
    status: str
    rounds: int = 0
    failed_rounds: int = 0
    stored: int = 0
    duplicates: int = 0
    detail: str | None = None
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "rounds": self.rounds,
            "failedRounds": self.failed_rounds,
            "stored": self.stored,
            "duplicates": self.duplicates,
            **({"detail": self.detail} if self.detail else {}),
            **({"reasons": self.reasons} if self.reasons else {}),
        }


ClientFactory = Callable[[PollerConfig], InboxClient]


def _default_client(config: PollerConfig) -> InboxClient:
    return InboxClient(
        url=config.inbox_url,
        allowed=AllowedHosts(config.allowed_hosts),
        account_id=config.account_id,
        token=config.token,
    )


def run_invocation(
    *,
    env: FunctionEnvironment,
    store: Store,
    state: PollerState,
    clock: Clock,
    owner: str,
    client_factory: ClientFactory = _default_client,
    rng: random.Random | None = None,
) -> InvocationSummary:
    """Poll until the invocation's time runs short; never raises for an expected fault."""
    try:
        config = PollerConfig.from_settings(load_settings(env, POLLER_READS), env.chatrace_allowed_hosts)
        AllowedHosts(config.allowed_hosts).check(config.inbox_url)
    except OutboundRefused as refused:  # never a round with the token sent elsewhere
        logger.error(
            f"polling refused: {CHATRACE_INBOX_URL} is not an allowed Chatrace URL ({refused.rule})",
            extra={"setting": CHATRACE_INBOX_URL, "rule": refused.rule},
        )
        _count(MetricName.POLL_ERRORS)
        return InvocationSummary("refused", detail=refused.rule)
    except PollingDisabled as disabled:
        logger.info("polling disabled", extra={"reasons": disabled.reasons})
        return InvocationSummary("disabled", reasons=disabled.reasons)
    except SettingsUnavailable as exc:
        logger.error("polling skipped: settings unavailable", extra={"reason": str(exc)})
        _count(MetricName.POLL_ERRORS)
        return InvocationSummary("settings unavailable", detail=str(exc))
    logger.info(
        "starting polling",
        extra={
            "intervalSeconds": config.interval_seconds,
            "inboxUrl": config.inbox_url,
            "accountId": config.account_id,
        },
    )
    with client_factory(config) as client:
        loop = _Invocation(
            Poller(client, store, clock=clock),
            state,
            clock,
            owner,
            config,
            rng or random.Random(),  # noqa: S311 - jitter
        )
        return loop.run()


class _Invocation:
    def __init__(
        self,
        poller: Poller,
        state: PollerState,
        clock: Clock,
        owner: str,
        config: PollerConfig,
        rng: random.Random,
    ) -> None:
        self.poller, self.state, self.clock, self.owner = poller, state, clock, owner
        self.interval = float(config.interval_seconds)
        self.rng = rng
        self.summary = InvocationSummary("ok")
        self.failures = 0
        self.holding = False
        self.cursor_ms: int | None = None
        self.backlog: Backlog | None = None
        self.waited_for_lease = False

    def run(self) -> InvocationSummary:
        try:
            while True:
                started = self.clock.now()
                delay = self._tick()
                if delay is None:
                    break
                resume_at = started + delay
                if (
                    self.clock.remaining_seconds() - max(0.0, resume_at - self.clock.now())
                    < ROUND_MIN_SECONDS
                ):
                    break
                self.clock.sleep(max(0.0, resume_at - self.clock.now()))
        finally:
            if self.holding:
                self._release()
            _flush()
        return self.summary

    def _tick(self) -> float | None:
        """One round (or one try at the lease); the seconds until the next, or None to stop."""
        now_ms = self._now_ms()
        if not self.holding:
            expires = now_ms + int(self.clock.remaining_seconds() * 1000) + LEASE_MARGIN_MS
            try:
                lease = self.state.acquire(self.owner, now_ms=now_ms, expires_ms=expires)
            except StoreUnavailable as exc:
                return self._failed(exc)
            if lease is None:
                if not self.waited_for_lease:
                    logger.info("another invocation is polling; waiting for its lease")
                    self.waited_for_lease = True
                return self.interval
            self.holding, self.cursor_ms, self.backlog = True, lease.cursor_ms, lease.backlog
        try:
            result = self.poller.run_round(self.cursor_ms, self.backlog)
        except TokenRejected as exc:
            logger.error(
                "Chatrace rejected the token: polling stops until the next invocation "
                "(set a valid chatrace/token)",
                extra={"status": exc.status, "reason": exc.reason},
            )
            _count(MetricName.POLL_ERRORS)
            self.summary.status, self.summary.detail = "token rejected", exc.reason
            try:
                self.state.record_token_rejected(at=self._iso(), detail=exc.reason)
            except StoreUnavailable as store_error:
                logger.warning("could not record the token's health", extra={"reason": str(store_error)})
            return None
        except (InboxUnavailable, StoreUnavailable) as exc:
            return self._failed(exc)
        except RoundOutOfTime:
            logger.info("round cut short: the invocation is ending (cursor kept)")
            return None
        if result.cut_short:
            logger.info(
                "round cut short: the invocation is ending (cursor kept, progress kept)",
                extra={"backlog": result.backlog.to_log() if result.backlog is not None else None},
            )
            self._completed(result)
            return None
        return self._completed(result)

    def _completed(self, result: RoundResult) -> float | None:
        self.failures = 0
        try:
            self.state.record_round(
                self.owner, cursor_ms=result.cursor_ms, backlog=result.backlog, at=self._iso()
            )
        except LeaseLost as exc:
            logger.warning(str(exc))
            self.holding = False
            self.summary.status = "lease lost"
            return None
        except StoreUnavailable as exc:  # stored, but the cursor did not move: the next round re-reads
            return self._failed(exc)
        self.cursor_ms, self.backlog = result.cursor_ms, result.backlog
        self.summary.rounds += 1
        self.summary.stored += result.stored
        self.summary.duplicates += result.duplicates
        _count(MetricName.POLL_ROUNDS)
        _count(MetricName.MESSAGES_POLLED, result.messages_read)
        _count(MetricName.MESSAGES_STORED, result.stored)
        _count(MetricName.DELIVERY_GAP, result.stored)  # poller-stored = no webhook delivery had it
        _count(MetricName.DUPLICATES, result.duplicates)
        _flush()
        logger.info("poll round", extra=result.to_log())
        return self.interval

    def _failed(self, exc: InboxUnavailable | StoreUnavailable) -> float:
        self.failures += 1
        self.summary.failed_rounds += 1
        ceiling = min(MAX_BACKOFF_SECONDS, self.interval * 2**self.failures)
        delay = self.rng.uniform(self.interval, max(self.interval, ceiling))
        retry_after = exc.retry_after if isinstance(exc, InboxUnavailable) else None
        if retry_after is not None:
            delay = max(delay, retry_after)
        _count(MetricName.POLL_ERRORS)
        _flush()
        logger.warning(
            "poll round failed; backing off (cursor kept)",
            extra={"reason": str(exc), "failures": self.failures, "retryInSeconds": round(delay, 1)},
        )
        try:
            self.state.record_error(self.owner, at=self._iso(), reason=str(exc))
        except StoreUnavailable as store_error:
            logger.warning("could not record the poll error", extra={"reason": str(store_error)})
        return delay

    def _release(self) -> None:
        try:
            self.state.release(self.owner)
        except StoreUnavailable as exc:  # it expires at the invocation's deadline anyway
            logger.warning("could not release the poller lease", extra={"reason": str(exc)})

    def _now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def _iso(self) -> str:
        return format_ms(self._now_ms())


def _count(name: str, value: int = 1) -> None:
    if value:
        poller_metrics.add_metric(name=name, unit="Count", value=value)


def _flush() -> None:
    """Publish what was counted (EMF) now: a round's figures should not wait for the end of a
    minute-long invocation. Nothing counted, nothing printed (Powertools would warn)."""
    if poller_metrics.metric_set:
        poller_metrics.flush_metrics()
