"""The PI's milestones: added or changed — by hand, or by a pull from the tracker (Jira's fix versions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from artsync.domain.events import Entity
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Milestone
from artsync.errors import NotFoundError
from artsync.services.writes import writing
from artsync.store.models import FeatureRow, MilestoneFeatureRow, MilestoneRow


def put_milestones(db: Session, *, actor: Actor, train_key: str | None, milestones: Sequence[Milestone]) -> int:
    """Add each milestone the current PI does not have, and bring the others to what is given (name, iteration,
    day, the features it needs): one event for each added or changed; the number of them."""
    if not milestones:
        return 0
    with writing(db, actor=actor, train_key=train_key, may=Action.EDIT_MILESTONE) as w:
        for milestone in milestones:
            w.check_iteration(milestone.iteration)
        wanted = {key for m in milestones for key in m.features}
        query = select(FeatureRow.key, FeatureRow.id).where(
            FeatureRow.train_id == w.train.id, FeatureRow.key.in_(wanted)
        )
        features = {key: id_ for key, id_ in db.execute(query)}
        missing = sorted(wanted - set(features))
        if missing:
            raise NotFoundError(f"no feature {', '.join(missing)} in the backlog")
        rows = {r.key: r for r in db.scalars(select(MilestoneRow).where(MilestoneRow.pi_id == w.pi.id))}
        changes = 0
        for milestone in milestones:
            row = rows.get(milestone.key)
            before = None if row is None else milestone_state(db, row)
            if row is None:
                row = MilestoneRow(pi_id=w.pi.id, key=milestone.key, name=milestone.name,
                                   iteration=milestone.iteration, date=milestone.date)  # fmt: skip
                db.add(row)
                db.flush()
            else:
                row.name, row.iteration, row.date = milestone.name, milestone.iteration, milestone.date
                db.execute(delete(MilestoneFeatureRow).where(MilestoneFeatureRow.milestone_id == row.id))
            db.add_all(MilestoneFeatureRow(milestone_id=row.id, feature_id=features[key]) for key in milestone.features)
            db.flush()
            after = milestone_state(db, row)
            if before is not None and {**before, "version": 0} == {**after, "version": 0}:
                continue
            w.record(Entity.MILESTONE, milestone.key, "added" if before is None else "edited", before=before,
                     after=after)  # fmt: skip
            changes += 1
    return changes


def milestone_state(db: Session, row: MilestoneRow) -> dict[str, Any]:
    """How a milestone is shown in the event log."""
    features = db.scalars(
        select(FeatureRow.key)
        .join(MilestoneFeatureRow, MilestoneFeatureRow.feature_id == FeatureRow.id)
        .where(MilestoneFeatureRow.milestone_id == row.id)
        .order_by(FeatureRow.key)
    )
    day = row.date.isoformat() if row.date else None
    return {"key": row.key, "name": row.name, "iteration": row.iteration, "date": day, "features": list(features),
            "version": row.version}  # fmt: skip
