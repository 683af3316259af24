"""Outside input into pydantic models, with a 400 that names the field and the reason — never the value.

Pydantic's own message (``str(ValidationError)``) quotes the input, which may be a password; the
reason given back is built from the error's location and message only.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ValidationError

from inbox.errors import InvalidRequest


def validated[M: BaseModel](model: type[M], data: Mapping[str, object]) -> M:
    """``model`` built from ``data``; raises InvalidRequest(field, reason) for the first problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_request(exc) from None


def invalid_request(exc: ValidationError) -> InvalidRequest:
    first = exc.errors(include_url=False, include_input=False, include_context=False)[0]
    field = ".".join(str(part) for part in first["loc"] if part != "[key]") or None
    reason = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "missing":
        reason = "is required"
    elif first["type"] == "extra_forbidden":
        reason = "is not a known field"
    return InvalidRequest(f"{field}: {reason}" if field else reason, field=field)
