"""The PI report: one read of everything the train's stakeholders ask after a PI (or during it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from artsync.domain.conflicts import Conflict
from artsync.domain.meetings import Decision
from artsync.domain.permissions import Actor
from artsync.domain.workshop import Problem
from artsync.services.conflicts import search_conflicts
from artsync.services.forecast import TrainForecast, get_forecast
from artsync.services.measures import Measures, get_measures
from artsync.services.meetings import list_decisions
from artsync.services.trains import find_current_pi, find_train
from artsync.services.workshop import list_problems


@dataclass(frozen=True)
class Report:
    measures: Measures
    forecast: TrainForecast | None  # only for the current PI: a past PI has nothing left to forecast
    conflicts: tuple[Conflict, ...]
    decisions: tuple[Decision, ...]
    problems: tuple[Problem, ...]
    made_on: date


def pi_report(
    db: Session, *, actor: Actor, train_key: str | None, pi_key: str | None = None, today: date | None = None
) -> Report:
    """Objectives and business value, predictability and its trend, burn-up, drift, the forecast of open
    milestones, risks, conflicts and decisions, and the workshop's improvement items."""
    today = today or date.today()
    measures = get_measures(db, actor=actor, train_key=train_key, pi_key=pi_key)
    train = find_train(db, train_key)
    current = find_current_pi(db, train).key == measures.plan.pi.key
    return Report(
        measures=measures,
        forecast=get_forecast(db, actor=actor, train_key=train_key, today=today) if current else None,
        conflicts=tuple(search_conflicts(db, actor=actor, train_key=train_key)),
        decisions=tuple(list_decisions(db, actor=actor, train_key=train_key)),
        problems=tuple(list_problems(db, actor=actor, train_key=train_key, pi_key=measures.plan.pi.key)),
        made_on=today,
    )
