"""Rows ↔ domain values: read a train's plan as a ``Plan``, write a ``Plan`` as rows.

Reads and writes go in bulk (one statement per table) so that a 2,000-feature
train loads and imports quickly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from artsync.domain.cadence import PI
from artsync.domain.events import Event
from artsync.domain.plan import (
    Card,
    Dependency,
    Feature,
    Milestone,
    Objective,
    Plan,
    Risk,
    Team,
    Train,
    card_ref,
)
from artsync.domain.wsjf import WsjfInputs
from artsync.store.models import (
    CapacityRow,
    CardRow,
    DependencyRow,
    EventRow,
    FeatureRow,
    MilestoneFeatureRow,
    MilestoneRow,
    ObjectiveFeatureRow,
    ObjectiveRow,
    PIRow,
    RiskRow,
    TeamRow,
    TrainRow,
)


def current_pi(db: Session, train: TrainRow) -> PIRow | None:
    """The train's current PI: the one that starts last, leaving aside PIs still in draft.

    A PI being prepared (draft) becomes current when the RTE opens its planning; until then
    the board keeps showing the PI the train is executing. A train with only drafts shows the latest.
    """
    return db.scalars(
        select(PIRow)
        .where(PIRow.train_id == train.id)
        .order_by((PIRow.state == "draft").asc(), PIRow.start.desc())
        .limit(1)
    ).first()


def pi_value(row: PIRow) -> PI:
    return PI(row.key, row.start, row.iteration_weeks, row.iterations, row.ip_last, row.state)


def load_dependencies(db: Session, pi_id: int, ref_of: Mapping[int, str]) -> tuple[Dependency, ...]:
    """The dependencies of the PI ``pi_id``, by key, their cards named by ``ref_of`` (card id → ref); KeyError for a
    card it does not name."""
    rows = db.execute(
        select(DependencyRow.consumer_id, DependencyRow.provider_id, DependencyRow.state).where(
            DependencyRow.pi_id == pi_id
        )
    )
    found = (Dependency(ref_of[consumer], ref_of[provider], state) for consumer, provider, state in rows)
    return tuple(sorted(found, key=lambda d: d.key))


def load_objectives(
    db: Session, pi_id: int, team_key: Mapping[int, str], feature_key: Mapping[int, str]
) -> tuple[Objective, ...]:
    """The PI objectives of the PI ``pi_id``, by key, their teams and features named by ``team_key`` and
    ``feature_key`` (id → key)."""
    objective_features = links(db, ObjectiveFeatureRow.objective_id, ObjectiveFeatureRow.feature_id, feature_key)
    return tuple(
        Objective(
            o.key,
            team_key.get(o.team_id) if o.team_id else None,
            o.text,
            o.committed,
            o.planned_bv,
            o.actual_bv,
            objective_features.get(o.id, ()),
        )
        for o in db.scalars(select(ObjectiveRow).where(ObjectiveRow.pi_id == pi_id).order_by(ObjectiveRow.key))
    )


def load_risks(db: Session, pi_id: int, team_key: Mapping[int, str]) -> tuple[Risk, ...]:
    """The risks of the PI ``pi_id``, by key, their teams named by ``team_key`` (id → key)."""
    return tuple(
        Risk(r.key, r.text, r.roam, r.owner, team_key.get(r.team_id) if r.team_id else None, r.note)
        for r in db.scalars(select(RiskRow).where(RiskRow.pi_id == pi_id).order_by(RiskRow.key))
    )


def plan_keys(db: Session, train_id: int) -> tuple[dict[int, str], dict[int, str]]:
    """The train's team and feature keys by id."""
    teams = db.execute(select(TeamRow.id, TeamRow.key).where(TeamRow.train_id == train_id))
    features = db.execute(select(FeatureRow.id, FeatureRow.key).where(FeatureRow.train_id == train_id))
    return {team_id: key for team_id, key in teams}, {feature_id: key for feature_id, key in features}


def load_plan(db: Session, train: TrainRow, pi_row: PIRow) -> Plan:
    """The whole plan of ``train`` for ``pi_row``, read in one statement per table."""
    teams_by_id: dict[int, TeamRow] = {t.id: t for t in db.scalars(select(TeamRow).where(TeamRow.train_id == train.id))}
    overrides: dict[int, dict[int, int]] = {}
    for team_id, iteration, points in db.execute(
        select(CapacityRow.team_id, CapacityRow.iteration, CapacityRow.points).where(CapacityRow.pi_id == pi_row.id)
    ):
        overrides.setdefault(team_id, {})[iteration] = points
    teams = tuple(
        Team(t.key, t.name, t.velocity, overrides.get(t.id, {}), t.size)
        for t in sorted(teams_by_id.values(), key=by_key)
    )
    team_key = {i: t.key for i, t in teams_by_id.items()}

    feature_rows = db.execute(
        select(
            FeatureRow.id,
            FeatureRow.key,
            FeatureRow.title,
            FeatureRow.kind,
            FeatureRow.ubv,
            FeatureRow.tc,
            FeatureRow.rroe,
            FeatureRow.size,
        )
        .where(FeatureRow.train_id == train.id)
        .order_by(FeatureRow.key)
    ).all()
    feature_key = {row.id: row.key for row in feature_rows}
    features = tuple(
        Feature(row.key, row.title, row.kind, WsjfInputs(row.ubv, row.tc, row.rroe, row.size)) for row in feature_rows
    )

    card_rows = db.execute(
        select(
            CardRow.id, CardRow.feature_id, CardRow.team_id, CardRow.iteration, CardRow.points, CardRow.status
        ).where(CardRow.pi_id == pi_row.id)
    ).all()
    cards = tuple(
        sorted(
            (Card(feature_key[c.feature_id], team_key[c.team_id], c.iteration, c.points, c.status) for c in card_rows),
            key=lambda c: (c.feature, c.team),
        )
    )
    ref_of = {c.id: card_ref(feature_key[c.feature_id], team_key[c.team_id]) for c in card_rows}

    dependencies = load_dependencies(db, pi_row.id, ref_of)

    milestone_features = links(db, MilestoneFeatureRow.milestone_id, MilestoneFeatureRow.feature_id, feature_key)
    milestones = tuple(
        Milestone(m.key, m.name, m.iteration, m.date, milestone_features.get(m.id, ()))
        for m in db.scalars(select(MilestoneRow).where(MilestoneRow.pi_id == pi_row.id).order_by(MilestoneRow.key))
    )
    objectives = load_objectives(db, pi_row.id, team_key, feature_key)
    risks = load_risks(db, pi_row.id, team_key)
    return Plan(
        train=Train(train.key, train.name),
        pi=pi_value(pi_row),
        teams=teams,
        features=features,
        cards=cards,
        dependencies=dependencies,
        milestones=milestones,
        objectives=objectives,
        risks=risks,
    )


def by_key(row: Any) -> str:
    return str(row.key)


def links(db: Session, owner: Any, feature: Any, feature_key: Mapping[int, str]) -> dict[int, tuple[str, ...]]:
    """Feature keys linked to each milestone or objective, sorted."""
    linked: dict[int, list[str]] = {}
    for owner_id, feature_id in db.execute(select(owner, feature)):
        if feature_id in feature_key:
            linked.setdefault(owner_id, []).append(feature_key[feature_id])
    return {k: tuple(sorted(v)) for k, v in linked.items()}


def insert_plan(db: Session, train: TrainRow, plan: Plan) -> None:
    """Write every part of ``plan`` under ``train`` (which has no plan rows yet)."""
    team_id = bulk_ids(
        db,
        TeamRow,
        [
            {"train_id": train.id, "key": t.key, "name": t.name, "velocity": t.velocity, "size": t.size}
            for t in plan.teams
        ],
    )
    feature_id = bulk_ids(db, FeatureRow, [{"train_id": train.id, **f.record()} for f in plan.features])
    insert_pi_plan(db, train, plan, team_id, feature_id)


def add_pi_plan(db: Session, train: TrainRow, plan: Plan) -> list[str]:
    """Write ``plan``'s PI and its contents under ``train``, which has its teams already; features new to
    the train join its backlog. Returns the keys of the features added."""
    team_id = {key: i for key, i in db.execute(select(TeamRow.key, TeamRow.id).where(TeamRow.train_id == train.id))}
    feature_id = {
        key: i for key, i in db.execute(select(FeatureRow.key, FeatureRow.id).where(FeatureRow.train_id == train.id))
    }
    new = [f for f in plan.features if f.key not in feature_id]
    feature_id |= bulk_ids(db, FeatureRow, [{"train_id": train.id, **f.record()} for f in new])
    insert_pi_plan(db, train, plan, team_id, feature_id)
    return [f.key for f in new]


def insert_pi_plan(
    db: Session, train: TrainRow, plan: Plan, team_id: dict[str, int], feature_id: dict[str, int]
) -> None:
    """Write ``plan``'s PI with its capacities, cards, dependencies, milestones, objectives and risks."""
    pi = plan.pi
    pi_row = PIRow(
        train_id=train.id,
        key=pi.key,
        start=pi.start,
        iteration_weeks=pi.iteration_weeks,
        iterations=pi.iteration_count,
        ip_last=pi.ip_last,
        state=pi.state,
    )
    db.add(pi_row)
    db.flush()
    capacities = [
        {"pi_id": pi_row.id, "team_id": team_id[t.key], "iteration": i, "points": p}
        for t in plan.teams
        for i, p in t.capacity_overrides.items()
    ]
    if capacities:
        db.execute(insert(CapacityRow), capacities)
    card_rows = [
        {
            "pi_id": pi_row.id,
            "feature_id": feature_id[c.feature],
            "team_id": team_id[c.team],
            "iteration": c.iteration,
            "points": c.points,
            "status": c.status,
        }
        for c in plan.cards
    ]
    card_id: dict[str, int] = {}
    if card_rows:
        ids = db.scalars(insert(CardRow).returning(CardRow.id, sort_by_parameter_order=True), card_rows).all()
        card_id = {c.ref: i for c, i in zip(plan.cards, ids, strict=True)}
    if plan.dependencies:
        db.execute(
            insert(DependencyRow),
            [
                {
                    "pi_id": pi_row.id,
                    "consumer_id": card_id[d.consumer],
                    "provider_id": card_id[d.provider],
                    "state": d.state,
                }
                for d in plan.dependencies
            ],
        )
    milestone_id = bulk_ids(
        db,
        MilestoneRow,
        [
            {"pi_id": pi_row.id, "key": m.key, "name": m.name, "iteration": m.iteration, "date": m.date}
            for m in plan.milestones
        ],
    )
    link_rows(db, MilestoneFeatureRow, "milestone_id", milestone_id, plan.milestones, feature_id)
    objective_id = bulk_ids(
        db,
        ObjectiveRow,
        [
            {
                "pi_id": pi_row.id,
                "team_id": team_id[o.team] if o.team else None,
                "key": o.key,
                "text": o.text,
                "committed": o.committed,
                "planned_bv": o.planned_bv,
                "actual_bv": o.actual_bv,
            }
            for o in plan.objectives
        ],
    )
    link_rows(db, ObjectiveFeatureRow, "objective_id", objective_id, plan.objectives, feature_id)
    if plan.risks:
        db.execute(
            insert(RiskRow),
            [
                {
                    "pi_id": pi_row.id,
                    "team_id": team_id[r.team] if r.team else None,
                    "key": r.key,
                    "text": r.text,
                    "roam": r.roam,
                    "owner": r.owner,
                    "note": r.note,
                }
                for r in plan.risks
            ],
        )


def bulk_ids(db: Session, model: Any, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert ``rows`` in one statement and return their new ids by key."""
    if not rows:
        return {}
    ids = db.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows).all()
    return {row["key"]: i for row, i in zip(rows, ids, strict=True)}


def link_rows(
    db: Session, model: Any, owner_column: str, owner_id: dict[str, int], owners: Any, feature_id: dict[str, int]
) -> None:
    rows = [{owner_column: owner_id[o.key], "feature_id": feature_id[f]} for o in owners for f in o.features]
    if rows:
        db.execute(insert(model), rows)


def delete_plan_rows(db: Session, train: TrainRow) -> None:
    """Remove the train's PIs, teams and features (and all that hangs off them); keep the train and its log."""
    pi_ids = select(PIRow.id).where(PIRow.train_id == train.id)
    card_ids = select(CardRow.id).where(CardRow.pi_id.in_(pi_ids))
    # Explicit deletes, children first, rather than relying on each backend's cascade.
    db.execute(delete(DependencyRow).where(DependencyRow.pi_id.in_(pi_ids)))
    db.execute(
        delete(MilestoneFeatureRow).where(
            MilestoneFeatureRow.milestone_id.in_(select(MilestoneRow.id).where(MilestoneRow.pi_id.in_(pi_ids)))
        )
    )
    db.execute(
        delete(ObjectiveFeatureRow).where(
            ObjectiveFeatureRow.objective_id.in_(select(ObjectiveRow.id).where(ObjectiveRow.pi_id.in_(pi_ids)))
        )
    )
    for model in (MilestoneRow, ObjectiveRow, RiskRow, CapacityRow):
        db.execute(delete(model).where(model.pi_id.in_(pi_ids)))
    db.execute(delete(CardRow).where(CardRow.id.in_(card_ids)))
    db.execute(delete(PIRow).where(PIRow.train_id == train.id))
    db.execute(delete(TeamRow).where(TeamRow.train_id == train.id))
    db.execute(delete(FeatureRow).where(FeatureRow.train_id == train.id))


def event_value(row: EventRow) -> Event:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    return Event(row.seq, at, row.actor, row.entity, row.entity_id, row.action, row.before, row.after)


_AS_OF: ContextVar[datetime | None] = ContextVar("artsync_as_of", default=None)


def utc_now() -> datetime:
    """Now — or, inside ``as_of``, the moment being replayed."""
    return _AS_OF.get() or datetime.now(UTC)


@contextmanager
def as_of(moment: datetime) -> Iterator[None]:
    """Write as if at ``moment``: the events and timestamps of what runs inside say it happened then.

    For replaying a train's past (the demo's story) through the same services people use.
    """
    token = _AS_OF.set(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    try:
        yield
    finally:
        _AS_OF.reset(token)
