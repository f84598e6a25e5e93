"""The ``artsync-plan/1`` document as typed records: its published JSON Schema and the API's plan bodies.

``plan_format.dump_plan`` writes documents of this shape and ``plan_format.parse_plan`` reads
them, naming the line and field of every problem; ``docs/plan-format.schema.json`` is
``PlanDocument``'s schema, and the tests hold the examples, the demo trains and every
written plan to it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from artsync.domain.lifecycle import PIState
from artsync.domain.plan import CardStatus, DependencyState, Feature, FeatureKind, Objective, RoamState, check_roam
from artsync.formats.fields import (
    ActualValue,
    Capacity,
    Day,
    Flag,
    IterationCount,
    IterationNumber,
    IterationWeeks,
    Key,
    Name,
    PlannedValue,
    Points,
    Record,
    Scale,
    TeamSize,
    Text,
    Title,
    Velocity,
    one_of,
)

FORMAT = "artsync-plan/1"


class TrainRecord(Record):
    key: Key
    name: Name | None = Field(None, description="defaults to the key")


class PIRecord(Record):
    key: Key
    start: Day
    iteration_weeks: IterationWeeks = 2
    iterations: IterationCount = 5
    ip_last: Flag = True
    state: Annotated[PIState, one_of(PIState)] = PIState.PLANNING


class TeamRecord(Record):
    key: Key
    name: Name | None = Field(None, description="defaults to the key")
    velocity: Velocity
    size: TeamSize | None = None
    capacity: dict[str, Capacity] = Field(
        default_factory=dict, description="points by iteration number where the team's capacity is set by hand"
    )


class FeatureRecord(Record):
    key: Key
    title: Title
    kind: Annotated[FeatureKind, one_of(FeatureKind)] = FeatureKind.BUSINESS
    ubv: Scale
    tc: Scale
    rroe: Scale
    size: Scale

    @classmethod
    def of(cls, f: Feature) -> FeatureRecord:
        return cls.model_validate(f.record())


class CardRecord(Record):
    feature: Key
    team: Key
    iteration: IterationNumber | None = Field(None, description="null: unplanned")
    points: Points
    status: Annotated[CardStatus, one_of(CardStatus)] = CardStatus.NOT_STARTED


class CardEnd(Record):
    feature: Key
    team: Key


class DependencyRecord(Record):
    consumer: CardEnd
    provider: CardEnd
    state: Annotated[DependencyState, one_of(DependencyState)] = DependencyState.REQUESTED


class MilestoneRecord(Record):
    key: Key
    name: Name | None = None
    iteration: IterationNumber | None = None
    date: Day | None = None
    features: list[Key] = Field(default_factory=list)


class ObjectiveRecord(Record):
    key: Key
    team: Key | None = Field(None, description="null: a train objective")
    text: Text
    committed: Flag = True
    planned_bv: PlannedValue | None = None
    actual_bv: ActualValue | None = None
    features: list[Key] = Field(default_factory=list)

    @classmethod
    def of(cls, o: Objective) -> ObjectiveRecord:
        return cls(key=o.key, team=o.team, text=o.text, committed=o.committed, planned_bv=o.planned_bv,
                   actual_bv=o.actual_bv, features=sorted(o.features))  # fmt: skip


class RiskRecord(Record):
    # an owned risk needs an owner (domain.plan.check_roam), said in the schema too
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"roam": {"const": "owned"}}, "required": ["roam"]},
            "then": {"required": ["owner"], "properties": {"owner": {"type": "string"}}},
        }
    )
    key: Key
    text: Text
    roam: Annotated[RoamState, one_of(RoamState)] = RoamState.UNROAMED
    owner: Name | None = None
    team: Key | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def owned_has_owner(self) -> RiskRecord:
        if problem := check_roam(self.roam, self.owner):
            raise ValueError(problem)
        return self


class PlanDocument(Record):
    """A train's plan for one PI: what ``artsync import`` reads and ``artsync export`` writes."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="artsync-plan/1")
    format: Literal["artsync-plan/1"] = "artsync-plan/1"
    train: TrainRecord
    pi: PIRecord
    teams: list[TeamRecord] = Field(default_factory=list)
    features: list[FeatureRecord] = Field(default_factory=list)
    cards: list[CardRecord] = Field(default_factory=list)
    dependencies: list[DependencyRecord] = Field(default_factory=list)
    milestones: list[MilestoneRecord] = Field(default_factory=list)
    objectives: list[ObjectiveRecord] = Field(default_factory=list)
    risks: list[RiskRecord] = Field(default_factory=list)


def json_schema() -> dict[str, object]:
    """The published JSON Schema of ``artsync-plan/1`` (docs/plan-format.schema.json)."""
    schema = PlanDocument.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "artsync-plan/1", **schema}


if __name__ == "__main__":
    import json

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
