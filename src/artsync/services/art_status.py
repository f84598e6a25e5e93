"""The train's status for the ART sync, on one screen: each team red, amber or green with its reasons,
the dependencies in trouble, and each milestone's chance (domain/art_status.py says what each colour means)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from artsync.domain.art_status import ArtStatus, art_status
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Plan
from artsync.services.forecast import current_iteration, train_forecast
from artsync.services.measures import baseline_of
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.store.mapping import load_plan


def get_art_status(
    db: Session, *, actor: Actor, train_key: str | None, today: date | None = None, plan: Plan | None = None
) -> ArtStatus:
    """The current PI's status as of ``today``: against its committed baseline, with the forecast's chances.
    ``plan``: the current PI's plan when the caller has read it already."""
    today = today or date.today()
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    pi_row = find_current_pi(db, train)
    plan = plan or load_plan(db, train, pi_row)
    baseline, _ = baseline_of(db, train, pi_row.key)
    outlooks = train_forecast(db, train, today=today, milestones_only=True, plan=plan).forecast.milestones
    chances = [(m.key, m.name, outlooks[m.key].probability if m.key in outlooks else None) for m in plan.milestones]
    return art_status(plan, baseline, current_iteration(pi_row, today), chances)
