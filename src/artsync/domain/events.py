"""An entry of the train's event log: who changed what, when, from what to what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from typing_extensions import TypedDict  # the typed payloads are checked by pydantic, which needs this one on 3.11

from artsync.domain import conflicts, plan


@dataclass(frozen=True)
class Event:
    """One change to a train; ``seq`` is gap-free and increasing per train."""

    seq: int
    at: datetime
    actor: str
    entity: str  # card, dependency, risk, train, ...
    entity_id: str  # the item's key or ref, as people write it
    action: str  # moved, added, removed, roamed, imported, replaced, ...
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        """The event as plain JSON values, as the API, the CLI and the live channel show it."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "action": self.action,
            "before": self.before,
            "after": self.after,
        }

    def summary(self) -> str:
        """One line for a person: ``card ART-1@Phoenix moved: iteration 2 → 3``."""
        before, after = self.before or {}, self.after or {}
        if self.before is None or self.after is None:
            shown = after or before  # a creation shows what it made, a removal what it removed
            detail = ", ".join(
                f"{name} {show(value)}" for name, value in shown.items() if is_plain(value) and name not in HIDDEN
            )
        else:
            detail = ", ".join(
                f"{name} {show(before.get(name))} → {show(after.get(name))}"
                for name in sorted(set(before) | set(after))
                if name not in HIDDEN
                and before.get(name) != after.get(name)
                and is_plain(before.get(name))
                and is_plain(after.get(name))
            )
        return f"{self.entity} {self.entity_id} {self.action}" + (f": {detail}" if detail else "")


def is_plain(value: object) -> bool:
    return not isinstance(value, (dict, list))


HIDDEN = {"version", "ref", "key"}  # bookkeeping, or already named by the entity id


def show(value: object) -> str:
    """A value as a person reads it in the log."""
    return "—" if value is None else str(value)


# --- the catalogue: every kind of change the log holds ----------------------------------------------
#
# Producers (services, through services/writes.Write.record) write only what is listed here; consumers
# (the agenda, notifications, drift, the board) match on these names. Each entry says what the event's
# ``after`` holds (its ``before`` for a removal, which has no after): the typed payload of that change.


class Entity(StrEnum):
    """What an event is about."""

    TRAIN = "train"
    PI = "pi"
    TEAM = "team"
    CAPACITY = "capacity"
    CALENDAR = "calendar"
    MEMBER = "member"
    FEATURE = "feature"
    CARD = "card"
    DEPENDENCY = "dependency"
    OBJECTIVE = "objective"
    RISK = "risk"
    WSJF = "wsjf"
    VOTE = "vote"
    MEETING = "meeting"
    ACTION = "action"
    DECISION = "decision"
    IMPEDIMENT = "impediment"
    CONFLICT = "conflict"
    PROBLEM = "problem"
    CONNECTION = "connection"
    MILESTONE = "milestone"
    SCENARIO = "scenario"


class ScenarioState(TypedDict):
    key: str
    name: str
    kind: str
    state: str
    changes: list[str]
    outcome: str | None
    moves: int


class PlanCounts(TypedDict):
    pi: str
    teams: int
    features: int
    cards: int
    dependencies: int
    milestones: int
    objectives: int
    risks: int


class MilestoneState(TypedDict):
    key: str
    name: str
    iteration: int
    date: str | None  # ISO day
    features: list[str]
    version: int


class ConnectionState(TypedDict):
    kind: str
    url: str
    project: str
    teams: list[str]


class PullCounts(TypedDict):
    """What a pull from the tracker brought to the board, counted."""

    features: int
    cards: int
    moves: int
    statuses: int
    estimates: int
    removed: int
    dependencies: int
    milestones: int
    conflicts: int
    problems: int


class PIState(TypedDict):
    key: str
    start: str
    iteration_weeks: int
    iterations: int
    ip_last: bool
    state: str
    version: int


class PIAdvance(TypedDict):
    key: str
    state: str
    version: int


class PICommit(TypedDict):
    state: str
    vote_round: int
    vote_average: float | None
    override_reason: str | None
    overridden: list[str]  # the findings the reason overrode


class TeamState(TypedDict):
    key: str
    size: int | None
    velocity: int
    version: int


class CapacityState(TypedDict):
    team: str
    iteration: int
    points: int | None


class Holiday(TypedDict):
    day: str
    name: str


class Leave(TypedDict):
    team: str
    person: str
    first: str
    last: str


class Grant(TypedDict):
    role: str
    team: str | None


class FeatureState(TypedDict):
    key: str
    title: str
    kind: str
    ubv: int
    tc: int
    rroe: int
    size: int
    version: int


class FeatureScore(TypedDict):
    key: str
    ubv: int
    tc: int
    rroe: int
    size: int
    version: int


# An improvement item from the problem-solving workshop; ``from`` names its problem.
FeatureFromProblem = TypedDict("FeatureFromProblem", {"title": str, "kind": str, "from": str})


class CardState(TypedDict):
    ref: str
    iteration: int | None
    points: int
    status: str
    version: int


class DependencyState(TypedDict):
    consumer: str
    provider: str
    state: str
    version: int


class ObjectiveState(TypedDict):
    key: str
    team: str | None
    text: str
    committed: bool
    planned_bv: int | None
    actual_bv: int | None
    features: list[str]
    version: int


class RiskRaised(TypedDict):
    key: str
    text: str
    team: str | None
    roam: str


class RiskState(TypedDict):
    key: str
    roam: str
    owner: str | None
    note: str | None
    version: int


class WsjfStarted(TypedDict):
    features: int


class WsjfScored(TypedDict):
    column: str
    scores: dict[str, int]


class WsjfFinished(TypedDict):
    order: list[str]
    scorers: dict[str, dict[str, str]]


class VoteOpened(TypedDict):
    round: int
    state: str


class Ballot(TypedDict):
    voter: str


class VoteClosed(TypedDict):
    state: str
    round: int
    average: float | None
    votes: int
    histogram: dict[str, int]
    passes: bool


class MeetingState(TypedDict):
    id: int
    kind: str
    title: str
    day: str
    iteration: int | None
    state: str
    version: int


class TeamReport(TypedDict):
    team: str
    status: str
    note: str


class Outcome(TypedDict):
    text: str
    item: str | None
    team: str | None
    feedback: str | None


class ActionState(TypedDict):
    text: str
    owner: str
    due: str
    state: str


class DecisionPending(TypedDict):
    question: str
    conflict: str | None


class DecisionTaken(TypedDict):
    state: str
    decision: str
    rationale: str | None
    links: list[str]


class ImpedimentState(TypedDict):
    key: str
    text: str
    team: str | None
    level: str
    owner: str | None
    state: str
    note: str | None
    version: int


class ConflictState(TypedDict):
    kind: str
    summary: str
    parties: list[str]
    options: list[str]
    mediator: str | None
    status: str
    decision: str | None
    rationale: str | None
    links: list[str]
    version: int


class ProblemRaised(TypedDict):
    text: str
    team: str | None


class Cause(TypedDict):
    category: str
    text: str


CONFLICT_MOVES = tuple(s for s in conflicts.STATUSES if s != "decided")  # a move of status other than the decision


def same(payload: type, *actions: str) -> dict[str, type]:
    return dict.fromkeys(actions, payload)


CATALOGUE: dict[Entity, dict[str, type]] = {
    Entity.TRAIN: same(PlanCounts, "imported", "replaced"),
    Entity.PI: {"created": PIState, "imported": PlanCounts, "advanced": PIAdvance, "committed": PICommit},
    Entity.TEAM: {"edited": TeamState},
    Entity.CAPACITY: {"adjusted": CapacityState},
    Entity.CALENDAR: same(Holiday, "holiday-added", "holiday-removed") | same(Leave, "leave-added", "leave-removed"),
    Entity.MEMBER: same(Grant, "granted", "revoked"),
    Entity.FEATURE: {"edited": FeatureState, "scored": FeatureScore, "added": FeatureFromProblem}
    | {
        "imported": FeatureState  # from the team tracker, by a pull
    },
    Entity.CARD: same(CardState, "added", "moved", "status", "estimated", "removed"),
    Entity.DEPENDENCY: same(DependencyState, "added", "removed", *plan.DEPENDENCY_STATES),
    Entity.OBJECTIVE: same(ObjectiveState, "added", "edited", "valued"),
    Entity.RISK: {"raised": RiskRaised, "roamed": RiskState},
    Entity.WSJF: {"started": WsjfStarted, "scored": WsjfScored, "finished": WsjfFinished},
    Entity.VOTE: {"opened": VoteOpened, "cast": Ballot, "changed": Ballot, "closed": VoteClosed},
    Entity.MEETING: same(MeetingState, "scheduled", "started", "ended")
    | {"team status": TeamReport, "outcome": Outcome},
    Entity.ACTION: same(ActionState, "added", "done", "open"),
    Entity.DECISION: {"pending": DecisionPending, "decided": DecisionTaken},
    Entity.IMPEDIMENT: same(ImpedimentState, "raised", "updated", "escalated", "resolved"),
    Entity.CONFLICT: same(ConflictState, "reported", "updated", "decided", *CONFLICT_MOVES),
    Entity.PROBLEM: {"raised": ProblemRaised, "cause": Cause},
    Entity.CONNECTION: {"connected": ConnectionState, "pulled": PullCounts},
    Entity.MILESTONE: same(MilestoneState, "added", "edited"),
    Entity.SCENARIO: same(ScenarioState, "created", "changed", "solving", "solved", "accepted"),
}


# The card changes whose ``after`` is the card's whole state: a board applies them to the card it shows.
CARD_CHANGES_IN_PLACE = ("moved", "status", "estimated")

# What the planning board does not show: a change to one of these leaves the board as it was. Whatever such a change
# does to the board's own items is logged as their own events (a scenario accepted logs each card it moves; a WSJF
# session finished, each feature it scores).
OFF_THE_BOARD = frozenset(
    {
        Entity.MEMBER, Entity.RISK, Entity.WSJF, Entity.VOTE, Entity.MEETING, Entity.ACTION, Entity.DECISION,
        Entity.IMPEDIMENT, Entity.CONFLICT, Entity.PROBLEM, Entity.CONNECTION, Entity.SCENARIO,
    }
)  # fmt: skip


def payload_of(entity: str, action: str) -> type | None:
    """The payload type of a change, or None when the catalogue has no such change."""
    try:
        return CATALOGUE[Entity(entity)].get(action)
    except ValueError:
        return None
