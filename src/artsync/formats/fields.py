"""Field types from the one table of limits (``domain/limits.py``), for the API's bodies and the plan format.

Every body model and plan record uses these, so the OpenAPI document and the plan's JSON Schema
promise exactly what the services accept: text has at least one character that is not a space, keys and card references
have their shape, and no value is longer than its limit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from artsync.domain import limits
from artsync.domain.wsjf import SCALE, on_scale

# Somewhere a character that is not a space, spelled out as Python's str.strip() knows spaces (the services strip
# text), because JSON Schema's \s and Python's disagree; patterns search, so one such character is enough.
NOT_BLANK = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
KEY_SHAPE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"  # domain.plan.KEY_PATTERN
CARD_REF_SHAPE = r"^[^@\s][^@]*@[^@\s]+$"  # FEATURE@TEAM

Key = Annotated[str, Field(min_length=1, max_length=limits.KEY, pattern=KEY_SHAPE)]
Ref = Annotated[str, Field(min_length=3, max_length=2 * limits.KEY + 1, pattern=CARD_REF_SHAPE)]
Name = Annotated[str, Field(min_length=1, max_length=limits.NAME, pattern=NOT_BLANK)]
Title = Annotated[str, Field(min_length=1, max_length=limits.TITLE, pattern=NOT_BLANK)]
Text = Annotated[str, Field(min_length=1, max_length=limits.TEXT, pattern=NOT_BLANK)]
Note = Annotated[str, Field(max_length=limits.TEXT)]  # may be empty: an empty note clears it


def on_the_scale(value: int) -> int:
    if not on_scale(value):
        raise ValueError(f"use one of {', '.join(map(str, SCALE))}")
    return value


Scale = Annotated[int, AfterValidator(on_the_scale), WithJsonSchema({"type": "integer", "enum": list(SCALE)})]
Points = Annotated[int, Field(ge=limits.POINTS.low, le=limits.POINTS.high)]
Velocity = Annotated[int, Field(ge=limits.VELOCITY.low, le=limits.VELOCITY.high)]
Capacity = Annotated[int, Field(ge=limits.CAPACITY.low, le=limits.CAPACITY.high)]
TeamSize = Annotated[int, Field(ge=limits.TEAM_SIZE.low, le=limits.TEAM_SIZE.high)]
PlannedValue = Annotated[int, Field(ge=limits.PLANNED_BV.low, le=limits.PLANNED_BV.high)]
ActualValue = Annotated[int, Field(ge=limits.ACTUAL_BV.low, le=limits.ACTUAL_BV.high)]
IterationWeeks = Annotated[int, Field(ge=limits.ITERATION_WEEKS.low, le=limits.ITERATION_WEEKS.high)]
IterationCount = Annotated[int, Field(ge=limits.ITERATIONS.low, le=limits.ITERATIONS.high)]
IterationNumber = Annotated[int, Field(ge=1, le=limits.ITERATIONS.high, description="1-based iteration")]

# A moment as artsync has always written it (``datetime.isoformat()``: ``+00:00``, not ``Z``).
Instant = Annotated[datetime, PlainSerializer(lambda d: d.isoformat(), return_type=str, when_used="json")]


class Record(BaseModel):
    """One shape of a thing, written as plain JSON: a plan record, a stored agenda, an API body."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def json_value(self) -> dict[str, Any]:
        """Plain JSON values: dates as ISO text, vocabularies as their words."""
        return self.model_dump(mode="json")
