"""`GET /instagram/config`: the setup an operator checks (the changes: :mod:`.config_update`).

The view shows every plain setting, the webhook URL as the caller reached this API, which webhook
checks are on, polling and the field map; of each secret only whether it is set (the Chatrace token
also by its last 4 characters, when it is long enough for that to give nothing away).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from inbox.operator.tokens import secret_is_usable
from inbox.settings import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD_HASH,
    CHATRACE_ACCOUNT_ID,
    CHATRACE_API_URL,
    CHATRACE_INBOX_URL,
    CHATRACE_REPLY_CHANNEL,
    CHATRACE_TOKEN,
    DEFAULT_CHATRACE_API_URL,
    DEFAULT_REPLY_CHANNEL,
    JWT_SECRET,
    META_APP_SECRET,
    META_VERIFY_TOKEN,
    WEBHOOK_SECRET,
    FunctionEnvironment,
    Settings,
    poll_interval,
    polling_enabled,
    read_field_map,
    token_lifetime,
)
from inbox.webhook.auth import protection

WEBHOOK_PATH = "/instagram/webhook"
# The Chatrace token's last 4 characters are shown only when they are a small part of it.
LAST4_MIN_LENGTH = 16

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
