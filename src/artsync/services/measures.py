"""Measuring a PI honestly, from the baseline and the event log: progress, predictability, drift."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.drift import Drift, DriftTotals, drift, totals
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Plan
from artsync.domain.predictability import Predictability, by_team, planned_as_committed
from artsync.domain.progress import FeatureProgress, Progress, feature_progress, progress
from artsync.services.baselines import baseline_plan, find_baseline_row
from artsync.services.events import events_after
from artsync.services.permissions import authorize
from artsync.services.trains import find_pi, find_train
from artsync.store.mapping import load_plan
from artsync.store.models import PIRow, TrainRow


@dataclass(frozen=True)
class PIPredictability:
    pi: str
    state: str
    measures: tuple[Predictability, ...]  # per team, the train last

    @property
    def train(self) -> Predictability:
        return self.measures[-1]


@dataclass(frozen=True)
class Measures:
    plan: Plan
    baseline: Plan | None
    committed_seq: int | None
    progress: tuple[Progress, ...]
    features: tuple[FeatureProgress, ...]
    predictability: PIPredictability
    trend: tuple[PIPredictability, ...]  # every PI the train has had, oldest first
    drift: tuple[Drift, ...]
    drift_totals: tuple[DriftTotals, ...]


def baseline_of(db: Session, train: TrainRow, pi_key: str) -> tuple[Plan | None, int | None]:
    row = find_baseline_row(db, train, pi_key)
    return (baseline_plan(db, row), row.seq) if row else (None, None)


def pi_predictability(db: Session, train: TrainRow, pi_row: PIRow, plan: Plan | None = None) -> PIPredictability:
    plan = plan or load_plan(db, train, pi_row)
    baseline, _ = baseline_of(db, train, pi_row.key)
    objectives = planned_as_committed(plan.objectives, baseline.objectives if baseline else None)
    return PIPredictability(pi_row.key, pi_row.state, tuple(by_team(objectives, [t.key for t in plan.teams])))


def get_measures(db: Session, *, actor: Actor, train_key: str | None, pi_key: str | None = None) -> Measures:
    """Progress, predictability (with its trend over every PI), and drift from the baseline, for one PI."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    return train_measures(db, train, pi_key)


def train_measures(db: Session, train: TrainRow, pi_key: str | None = None) -> Measures:
    pi_row = find_pi(db, train, pi_key)
    plan = load_plan(db, train, pi_row)
    baseline, seq = baseline_of(db, train, pi_row.key)
    changes: list[Drift] = []
    if baseline is not None and seq is not None:
        events = events_after(db, train, seq)
        changes = drift(baseline, plan, events)
    pis = db.scalars(
        select(PIRow).where(PIRow.train_id == train.id, PIRow.state != "draft").order_by(PIRow.start)
    ).all()
    teams = [t.key for t in plan.teams]
    return Measures(
        plan=plan,
        baseline=baseline,
        committed_seq=seq,
        progress=tuple(progress(plan, baseline)),
        features=tuple(feature_progress(plan, baseline)),
        predictability=pi_predictability(db, train, pi_row, plan),
        trend=tuple(pi_predictability(db, train, p) for p in pis),
        drift=tuple(changes),
        drift_totals=tuple(totals(changes, teams)),
    )
