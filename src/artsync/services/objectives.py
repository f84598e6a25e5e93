"""PI objectives: teams write them; business owners give planned business value (and actual at I&A)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from artsync.domain.events import Entity
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Objective, next_key
from artsync.errors import InvalidInputError, NotFoundError
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.services.writes import Changed, writing
from artsync.store.models import FeatureRow, ObjectiveFeatureRow, ObjectiveRow, PIRow, TeamRow, TrainRow


def objective_value(db: Session, row: ObjectiveRow) -> Objective:
    team = db.get(TeamRow, row.team_id) if row.team_id else None
    features = db.scalars(
        select(FeatureRow.key)
        .join(ObjectiveFeatureRow, ObjectiveFeatureRow.feature_id == FeatureRow.id)
        .where(ObjectiveFeatureRow.objective_id == row.id)
        .order_by(FeatureRow.key)
    ).all()
    return Objective(
        row.key, team.key if team else None, row.text, row.committed, row.planned_bv, row.actual_bv, tuple(features)
    )


def objective_state(db: Session, row: ObjectiveRow) -> dict[str, Any]:
    """How an objective is written in the event log and in a stale-version refusal."""
    o = objective_value(db, row)
    return {
        "key": o.key,
        "team": o.team,
        "text": o.text,
        "committed": o.committed,
        "planned_bv": o.planned_bv,
        "actual_bv": o.actual_bv,
        "features": list(o.features),
        "version": row.version,
    }


def find_objective(db: Session, train: TrainRow, key: str) -> tuple[ObjectiveRow, str | None]:
    """An objective of the current PI and the key of its team (None for a train objective)."""
    pi = find_current_pi(db, train)
    row = db.scalars(select(ObjectiveRow).where(ObjectiveRow.pi_id == pi.id, ObjectiveRow.key == key)).first()
    if row is None:
        raise NotFoundError(f"no objective {key!r} in {train.key} {pi.key}")
    team = db.get(TeamRow, row.team_id) if row.team_id else None
    return row, team.key if team else None


def link_features(db: Session, train: TrainRow, row: ObjectiveRow, features: list[str]) -> None:
    """Make ``features`` the objective's linked features; every key must be in the backlog."""
    found = dict(
        db.execute(
            select(FeatureRow.key, FeatureRow.id).where(FeatureRow.train_id == train.id, FeatureRow.key.in_(features))
        ).all()
    )
    missing = [f for f in features if f not in found]
    if missing:
        raise InvalidInputError(f"no feature {', '.join(missing)} in the backlog")
    db.execute(delete(ObjectiveFeatureRow).where(ObjectiveFeatureRow.objective_id == row.id))
    if features:
        db.execute(
            insert(ObjectiveFeatureRow), [{"objective_id": row.id, "feature_id": found[f]} for f in set(features)]
        )


def objective_key(db: Session, pi: PIRow) -> str:
    """``O<n>``, after the highest number an objective of the PI uses."""
    return next_key("O", db.scalars(select(ObjectiveRow.key).where(ObjectiveRow.pi_id == pi.id)))


def get_objective(db: Session, *, actor: Actor, train_key: str, key: str) -> Changed[Objective]:
    """One objective of the current PI, with its version."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    row, _ = find_objective(db, train, key)
    return Changed(objective_value(db, row), row.version)


def check_text(text: str) -> str:
    if not text.strip():
        raise InvalidInputError("an objective needs its text: what the team will achieve, in business terms")
    if len(text) > 2000:
        raise InvalidInputError("an objective's text is at most 2,000 characters")
    return text.strip()


def add_objective(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    team: str | None,
    text: str,
    committed: bool = True,
    features: list[str] | None = None,
) -> Changed[Objective]:
    """A team (or the train, with ``team=None``) writes a PI objective."""
    text = check_text(text)
    with writing(db, actor=actor, train_key=train_key) as w:
        train, pi = w.train, w.pi
        team_row = None
        if team is not None:
            team_row = db.scalars(select(TeamRow).where(TeamRow.train_id == train.id, TeamRow.key == team)).first()
            if team_row is None:
                raise NotFoundError(f"no team {team!r} in {train.key}")
        w.authorize(Action.EDIT_OBJECTIVE, [team])
        w.check_open("objectives")
        row = ObjectiveRow(
            pi_id=pi.id,
            team_id=team_row.id if team_row else None,
            key=objective_key(db, pi),
            text=text,
            committed=committed,
        )
        db.add(row)
        db.flush()
        link_features(db, train, row, features or [])
        event = w.record(Entity.OBJECTIVE, row.key, "added", before=None, after=objective_state(db, row))
    return Changed(objective_value(db, row), row.version, event)


def edit_objective(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    key: str,
    text: str | None = None,
    committed: bool | None = None,
    features: list[str] | None = None,
    version: int | None = None,
) -> Changed[Objective]:
    """The team changes its objective's text, whether it is committed, or its linked features."""
    with writing(db, actor=actor, train_key=train_key) as w:
        row, team = find_objective(db, w.train, key)
        w.authorize(Action.EDIT_OBJECTIVE, [team])
        w.check_open("objectives")
        before = w.claim(row, what=f"objective {key}", expected=version, state=lambda row: objective_state(db, row))
        if text is not None:
            row.text = check_text(text)
        if committed is not None:
            row.committed = committed
        if features is not None:
            link_features(db, w.train, row, features)
        db.flush()
        after = objective_state(db, row)
        if {**after, "version": 0} == {**before, "version": 0}:
            return Changed(objective_value(db, row), row.version)
        row.version += 1
        event = w.record(Entity.OBJECTIVE, key, "edited", before=before, after=objective_state(db, row))
    return Changed(objective_value(db, row), row.version, event)


def set_business_value(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    key: str,
    planned: int | None = None,
    actual: int | None = None,
    version: int | None = None,
) -> Changed[Objective]:
    """A business owner gives an objective its planned business value (1–10) or, at I&A, its actual (0–10)."""
    if planned is None and actual is None:
        raise InvalidInputError("give the planned business value (1–10) or the actual (0–10)")
    if planned is not None and not 1 <= planned <= 10:
        raise InvalidInputError(f"planned business value is 1 to 10, not {planned}")
    if actual is not None and not 0 <= actual <= 10:
        raise InvalidInputError(f"actual business value is 0 to 10, not {actual}")
    with writing(db, actor=actor, train_key=train_key) as w:
        row, team = find_objective(db, w.train, key)
        w.authorize(Action.SET_BUSINESS_VALUE, [team])
        event = w.update(
            row, entity=Entity.OBJECTIVE, entity_id=key, action="valued", expected=version,
            state=lambda row: objective_state(db, row),
            changes=lambda row: {"planned_bv": planned if planned is not None else row.planned_bv,
                                 "actual_bv": actual if actual is not None else row.actual_bv},
        )  # fmt: skip
    return Changed(objective_value(db, row), row.version, event)
