"""What the analysis says about a train's current plan."""

from __future__ import annotations

from sqlalchemy.orm import Session

from artsync.domain.findings import Finding, severity_rank
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Plan
from artsync.services.forecast import standing_findings
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.store.mapping import load_plan


def list_findings(
    db: Session, *, actor: Actor, train_key: str | None, severity: str | None = None, plan: Plan | None = None
) -> list[Finding]:
    """The findings of the train's plan and forecast; with ``severity``, only those at least that severe.
    ``plan``: the current PI's plan when the caller has read it already."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    findings = standing_findings(db, train, plan or load_plan(db, train, find_current_pi(db, train)))
    if severity is None:
        return findings
    return [f for f in findings if severity_rank(f.severity) <= severity_rank(severity)]
