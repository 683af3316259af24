"""Outside input into pydantic models, with a 400 that names the field and the reason — never the value.

Pydantic's own message (``str(ValidationError)``) quotes the input, which may be a password; the
reason given back is built from the error's location and message only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
    return _invalid(first["loc"], first)


_SOURCES = frozenset({"query", "path", "header", "body"})


def invalid_from(errors: Sequence[Any]) -> InvalidRequest:
    """The 400 for Powertools' ``RequestValidationError.errors()`` (the route's declared parameters):
    the first error, named by its field (``loc`` ends with it: ``("query", "limit")``, or
    ``("query", <the model's parameter>, "limit")`` for a query model), without the value."""
    first = errors[0] if errors else {"loc": (), "msg": "invalid request", "type": "value_error"}
    loc = tuple(first.get("loc") or ())
    return _invalid(loc[-1:] if loc and loc[0] in _SOURCES and len(loc) > 1 else loc, first)


def _invalid(loc: Sequence[Any], first: Mapping[str, Any]) -> InvalidRequest:
    field = ".".join(str(part) for part in loc if part != "[key]") or None
    reason = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "missing":
        reason = "is required"
    elif first["type"] == "extra_forbidden":
        reason = "is not a known field"
    return InvalidRequest(f"{field}: {reason}" if field else reason, field=field)
