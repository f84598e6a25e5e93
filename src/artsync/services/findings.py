"""What the analysis says about a train's current plan."""

from __future__ import annotations

from sqlalchemy.orm import Session

from artsync.domain.findings import Finding, analyze, severity_rank
from artsync.domain.permissions import Actor
from artsync.services.trains import get_plan


def list_findings(db: Session, *, actor: Actor, train_key: str | None, severity: str | None = None) -> list[Finding]:
    """The findings of the train's plan; with ``severity``, only those at least that severe."""
    findings = analyze(get_plan(db, actor=actor, train_key=train_key))
    if severity is None:
        return findings
    return [f for f in findings if severity_rank(f.severity) <= severity_rank(severity)]
