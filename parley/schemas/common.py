"""What every noun's wire models share: the base models, the envelopes, the limits and the storable-text checks.

Keys are camelCase exactly as in the seed's examples; absent relations are `null`, never missing.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")

MAX_LIST_LIMIT = 100
MAX_CURSOR = 2**62
# Free-form JSON (an end user's `meta`): how deep it may nest and how large it may be, encoded as compact UTF-8.
META_MAX_DEPTH = 32
META_MAX_BYTES = 65_536


def _storable(value: str) -> str:
    """Refuse what no database can store: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def storable_json_problem(value: object) -> str | None:
    """Why free-form JSON would not come back as it was sent, on either database, or None when it would.

    Refused: text no database can store (at any depth, keys too), numbers that are not finite (Python's JSON
    parser takes `NaN`, `Infinity` and `1e400`, which are not JSON), nesting deeper than `META_MAX_DEPTH` (encoders
    give up far below what a parser accepts) and more than `META_MAX_BYTES`. Walked with a stack, not recursion,
    so that a hostile depth costs no Python frames. `parley port-db` applies the same rule to rows stored before.
    """
    pending: list[tuple[object, str, int]] = [(value, "", 1)]
    while pending:
        node, where, depth = pending.pop()
        try:
            if isinstance(node, dict | list):
                if depth > META_MAX_DEPTH:
                    raise ValueError(f"must not nest deeper than {META_MAX_DEPTH} levels")
                items = node.items() if isinstance(node, dict) else enumerate(node)
                for key, item in items:
                    if isinstance(key, str):
                        _storable(key)
                    pending.append((item, f"{where}.{key}" if isinstance(key, str) else f"{where}[{key}]", depth + 1))
            elif isinstance(node, str):
                _storable(node)
            elif isinstance(node, float) and not math.isfinite(node):
                raise ValueError("numbers must be finite (NaN, Infinity and 1e400 are not JSON numbers)")
        except ValueError as exc:
            return f"{where.lstrip('.') or 'the value'}: {exc}"
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > META_MAX_BYTES:
        return f"must be at most {META_MAX_BYTES} bytes as JSON, not {size}"
    return None


def _storable_json(value: dict[str, Any]) -> dict[str, Any]:
    if (problem := storable_json_problem(value)) is not None:
        raise ValueError(problem)
    return value


StorableStr = Annotated[str, AfterValidator(_storable)]
StorableJsonObject = Annotated[dict[str, Any], AfterValidator(_storable_json)]
Name = Annotated[StorableStr, Field(min_length=1, max_length=200)]
ClientUuid = Annotated[StorableStr, Field(min_length=1, max_length=100, description="The client's idempotency key.")]


class WireModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True)


class RequestModel(WireModel):
    model_config = ConfigDict(extra="ignore")


class Deleted(WireModel):
    id: str
    deleted: Literal[True] = True


class Envelope(WireModel, Generic[T]):
    status: int = 200
    data: T


class ErrorDetail(WireModel):
    code: str
    message: str


class ErrorEnvelope(WireModel):
    status: int
    error: ErrorDetail
