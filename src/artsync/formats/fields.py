"""Field types from the one table of limits (``domain/limits.py``), for the API's bodies and the plan format.

Every body model and plan record uses these, so the OpenAPI document and the plan's JSON Schema
promise exactly what the services accept: text has at least one character that is not a space, keys and card references
have their shape, and no value is longer than its limit.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic_core import ErrorDetails

from artsync.domain import limits
from artsync.domain.wsjf import SCALE, SCALE_TEXT, on_scale

# Somewhere a character that is not a space, spelled out as Python's str.strip() knows spaces (the services strip
# text), because JSON Schema's \s and Python's disagree; patterns search, so one such character is enough.
NOT_BLANK = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
KEY_SHAPE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"  # domain.plan.KEY_PATTERN
CARD_REF_SHAPE = r"^[^@\s][^@]*@[^@\s]+$"  # FEATURE@TEAM


def shown(value: Any) -> str:
    """A refused value as the person wrote it, cut short."""
    return json.dumps(value, default=str, ensure_ascii=False)[:60]


def says(message: Callable[[Any], str]) -> WrapValidator:
    """Refuse a value with ``message(value)``, in the person's words rather than pydantic's."""

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise ValueError(message(value)) from None

    return WrapValidator(check)


def text_message(limit: int) -> Callable[[Any], str]:
    def message(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            return f"{shown(value)} must be a non-empty string"
        return f"is {len(value):,} characters long; at most {limit:,}"

    return message


def key_message(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        return f"{shown(value)} must be a non-empty string"
    return f"{value!r} is not a valid key (letters, digits, '.', '_', '-'; at most {limits.KEY})"


def whole(bounds: limits.Range) -> WrapValidator:
    """Refuse anything but a whole number in one of the ranges of ``domain/limits.py``."""
    return says(lambda v: f"{shown(v)} must be a whole number from {bounds.low} to {bounds.high}")


def on_the_scale(value: int) -> int:
    if not on_scale(value):
        raise ValueError(f"{value} is not on the scale {SCALE_TEXT}")
    return value


def one_of(words: Iterable[str]) -> WrapValidator:
    """Refuse a word outside a vocabulary, naming the vocabulary."""
    listed = ", ".join(words)
    return says(lambda v: f"{shown(v)} must be one of {listed}")


Key = Annotated[str, Field(min_length=1, max_length=limits.KEY, pattern=KEY_SHAPE), says(key_message)]
Ref = Annotated[str, Field(min_length=3, max_length=2 * limits.KEY + 1, pattern=CARD_REF_SHAPE)]
Name = Annotated[str, Field(min_length=1, max_length=limits.NAME, pattern=NOT_BLANK), says(text_message(limits.NAME))]
Title = Annotated[
    str, Field(min_length=1, max_length=limits.TITLE, pattern=NOT_BLANK), says(text_message(limits.TITLE))
]
Text = Annotated[str, Field(min_length=1, max_length=limits.TEXT, pattern=NOT_BLANK), says(text_message(limits.TEXT))]
Note = Annotated[str, Field(max_length=limits.TEXT)]  # may be empty: an empty note clears it
Scale = Annotated[
    int,
    AfterValidator(on_the_scale),
    WithJsonSchema({"type": "integer", "enum": list(SCALE)}),
    says(lambda v: f"{shown(v)} is not on the scale {SCALE_TEXT}"),
]


def day_of(value: Any) -> dt.date:
    """A date written YYYY-MM-DD (parsed here: a strict read takes no text for a date, JSON has no other)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{shown(value)} is not a date written YYYY-MM-DD")


Day = Annotated[dt.date, BeforeValidator(day_of)]
Flag = Annotated[bool, says(lambda v: f"{shown(v)} must be true or false")]
Points = Annotated[int, Field(ge=limits.POINTS.low, le=limits.POINTS.high), whole(limits.POINTS)]
Velocity = Annotated[int, Field(ge=limits.VELOCITY.low, le=limits.VELOCITY.high), whole(limits.VELOCITY)]
Capacity = Annotated[int, Field(ge=limits.CAPACITY.low, le=limits.CAPACITY.high), whole(limits.CAPACITY)]
TeamSize = Annotated[int, Field(ge=limits.TEAM_SIZE.low, le=limits.TEAM_SIZE.high), whole(limits.TEAM_SIZE)]
PlannedValue = Annotated[int, Field(ge=limits.PLANNED_BV.low, le=limits.PLANNED_BV.high), whole(limits.PLANNED_BV)]
ActualValue = Annotated[int, Field(ge=limits.ACTUAL_BV.low, le=limits.ACTUAL_BV.high), whole(limits.ACTUAL_BV)]
IterationWeeks = Annotated[
    int, Field(ge=limits.ITERATION_WEEKS.low, le=limits.ITERATION_WEEKS.high), whole(limits.ITERATION_WEEKS)
]
IterationCount = Annotated[int, Field(ge=limits.ITERATIONS.low, le=limits.ITERATIONS.high), whole(limits.ITERATIONS)]
IterationNumber = Annotated[
    int,
    Field(ge=1, le=limits.ITERATIONS.high, description="1-based iteration"),
    whole(limits.Range(1, limits.ITERATIONS.high)),
]


def describe(error: ErrorDetails) -> str:
    """One problem pydantic found, as a person reads it (the field types above word their own)."""
    kind = error["type"]
    if kind == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "literal_error":
        return f"{shown(error['input'])} is not supported; expected {error.get('ctx', {}).get('expected')}"
    if kind == "list_type":
        return "must be a list"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be an object"
    return str(error["msg"])


# A moment as artsync has always written it (``datetime.isoformat()``: ``+00:00``, not ``Z``).
Instant = Annotated[dt.datetime, PlainSerializer(lambda d: d.isoformat(), return_type=str, when_used="json")]


class Record(BaseModel):
    """One shape of a thing, written as plain JSON: a plan record, a stored agenda, an API body."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def json_value(self) -> dict[str, Any]:
        """Plain JSON values: dates as ISO text, vocabularies as their words."""
        return self.model_dump(mode="json")
