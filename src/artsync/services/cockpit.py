"""The RTE's cockpit: what needs attention on the train now, in one read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from artsync.domain.board import DependencyStatus, dependency_statuses, load_status, loads
from artsync.domain.event_text import ADMINISTRATIVE
from artsync.domain.events import Event
from artsync.domain.findings import ERROR, Finding
from artsync.domain.forecast import Outlook
from artsync.domain.impediments import Impediment
from artsync.domain.meetings import ActionItem, Decision
from artsync.domain.permissions import Actor
from artsync.domain.plan import Dependency, Milestone, Plan, Risk
from artsync.services.events import list_events
from artsync.services.forecast import standing_findings, train_forecast
from artsync.services.impediments import list_impediments
from artsync.services.meetings import list_actions, list_decisions
from artsync.services.trains import find_train, get_plan, train_seq


@dataclass(frozen=True)
class Overload:
    """A team-iteration loaded above its capacity."""

    team: str
    iteration: str
    load: int
    capacity: int


@dataclass(frozen=True)
class Cockpit:
    """Findings by severity, dependencies in trouble, overloads, risks not ROAMed, and today's changes."""

    plan: Plan
    seq: int
    errors: list[Finding]
    warnings: list[Finding]
    troubled: list[tuple[Dependency, DependencyStatus]]
    overloaded: list[Overload]
    unroamed: list[Risk]
    today: list[Event]
    aging: list[Impediment] = field(default_factory=list)
    overdue: list[ActionItem] = field(default_factory=list)
    pending: list[Decision] = field(default_factory=list)
    milestones: list[tuple[Milestone, Outlook]] = field(default_factory=list)


def get_cockpit(
    db: Session,
    *,
    actor: Actor,
    train_key: str,
    since: datetime,
    as_of: tuple[int, Plan] | None = None,
    findings: list[Finding] | None = None,
) -> Cockpit:
    """What needs the RTE's attention; ``since`` is the start of today in the caller's eyes. ``as_of``: the seq and
    the current PI's plan as of it, when the caller has read them already (and may read the train); ``findings``:
    that plan's standing findings, when the caller has found them already."""
    if as_of is None:
        seq, plan = train_seq(db, actor=actor, train_key=train_key), get_plan(db, actor=actor, train_key=train_key)
    else:
        seq, plan = as_of
    train = find_train(db, train_key)
    if findings is None:
        findings = standing_findings(db, train, plan, today=since.date())
    outlooks = train_forecast(db, train, today=since.date(), milestones_only=True, plan=plan).forecast.milestones
    statuses = dependency_statuses(plan)
    load = loads(plan.cards)
    quiet = (DependencyStatus.OK, DependencyStatus.PENDING)
    return Cockpit(
        plan=plan,
        seq=seq,
        errors=[f for f in findings if f.severity == ERROR],
        warnings=[f for f in findings if f.severity != ERROR],
        troubled=[(d, statuses[d.key]) for d in plan.dependencies if statuses[d.key] not in quiet],
        overloaded=[
            Overload(team.key, it.label, load.get((team.key, it.index), 0), team.capacity(it.index))
            for team in plan.teams
            for it in plan.pi.iterations
            if load_status(load.get((team.key, it.index), 0), team.capacity(it.index)) == "over"
        ],
        unroamed=[r for r in plan.risks if r.roam == "unroamed"],
        today=[
            e
            for e in list_events(db, actor=actor, train_key=train_key, limit=200, newest_first=True)
            if e.at >= since and e.entity not in ADMINISTRATIVE  # who may sign in is the history's, not the room's
        ],
        aging=[i for i in list_impediments(db, actor=actor, train_key=train_key) if i.aging(since.date())],
        overdue=[a for a in list_actions(db, actor=actor, train_key=train_key) if a.overdue(since.date())],
        pending=list_decisions(db, actor=actor, train_key=train_key, state="pending"),
        milestones=[(m, outlooks[m.key]) for m in plan.milestones if m.key in outlooks],
    )
