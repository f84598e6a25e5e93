"""Impediments: anyone raises one; its team's PO or SM (or the RTE) owns, escalates and resolves it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.events import Entity
from artsync.domain.impediments import LEVELS, STATES, Impediment, check_level
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import next_key
from artsync.errors import InvalidInputError, NotFoundError
from artsync.services.permissions import authorize
from artsync.services.trains import find_train
from artsync.services.writes import Changed, writing
from artsync.store.mapping import utc_now
from artsync.store.models import ImpedimentRow, TeamRow, TrainRow


def impediment_value(row: ImpedimentRow) -> Impediment:
    return Impediment(
        row.key, row.text, row.level, row.raised_by, row.raised_at, row.team_key, row.owner, row.state, row.note,
        row.resolved_at,
    )  # fmt: skip


def impediment_state(row: ImpedimentRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "text": row.text,
        "team": row.team_key,
        "level": row.level,
        "owner": row.owner,
        "state": row.state,
        "note": row.note,
        "version": row.version,
    }


def find_impediment(db: Session, train: TrainRow, key: str) -> ImpedimentRow:
    row = db.scalars(select(ImpedimentRow).where(ImpedimentRow.train_id == train.id, ImpedimentRow.key == key)).first()
    if row is None:
        raise NotFoundError(f"no impediment {key!r} in {train.key}")
    return row


def list_impediments(
    db: Session, *, actor: Actor, train_key: str | None, state: str | None = "open"
) -> list[Impediment]:
    """The train's impediments (open ones by default), oldest first."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    query = select(ImpedimentRow).where(ImpedimentRow.train_id == train.id)
    if state is not None:
        if state not in STATES:
            raise InvalidInputError(f"an impediment is {' or '.join(STATES)}, not {state!r}")
        query = query.where(ImpedimentRow.state == state)
    return [impediment_value(r) for r in db.scalars(query.order_by(ImpedimentRow.raised_at, ImpedimentRow.id))]


def get_impediment(db: Session, *, actor: Actor, train_key: str | None, key: str) -> Changed[Impediment]:
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    row = find_impediment(db, train, key)
    return Changed(impediment_value(row), row.version)


def raise_impediment(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    text: str,
    team: str | None = None,
    level: str | None = None,
    owner: str | None = None,
) -> Changed[Impediment]:
    """Anyone on the train raises an impediment; a team's starts at team level, one of no team at train level."""
    if not text.strip():
        raise InvalidInputError("an impediment needs its text: what is in the way")
    level = level or ("team" if team else "train")
    problem = check_level(level)
    if problem:
        raise InvalidInputError(problem)
    if level == "team" and team is None:
        raise InvalidInputError("a team-level impediment needs its team")
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        if (
            team is not None
            and not db.scalars(select(TeamRow.id).where(TeamRow.train_id == train.id, TeamRow.key == team)).first()
        ):
            raise NotFoundError(f"no team {team!r} in {train.key}")
        w.authorize(Action.REPORT, [team])
        key = next_key("I", db.scalars(select(ImpedimentRow.key).where(ImpedimentRow.train_id == train.id)))
        row = ImpedimentRow(
            train_id=train.id, key=key, text=text.strip(), team_key=team, level=level, owner=owner, state="open",
            raised_by=actor.name, raised_at=utc_now(), version=1,
        )  # fmt: skip
        db.add(row)
        db.flush()
        event = w.record(Entity.IMPEDIMENT, key, "raised", before=None, after=impediment_state(row))
    return Changed(impediment_value(row), row.version, event)


def update_impediment(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    key: str,
    owner: str | None = None,
    level: str | None = None,
    state: str | None = None,
    note: str | None = None,
    version: int | None = None,
) -> Changed[Impediment]:
    """Own, escalate (team → train → portfolio), resolve or reopen an impediment, with a note."""
    if level is not None and (problem := check_level(level)):
        raise InvalidInputError(problem)
    if state is not None and state not in STATES:
        raise InvalidInputError(f"an impediment is {' or '.join(STATES)}, not {state!r}")
    with writing(db, actor=actor, train_key=train_key) as w:
        row = find_impediment(db, w.train, key)
        # Above team level it is the train's to remove: only the RTE (who facilitates) acts on it.
        w.authorize(Action.MANAGE_IMPEDIMENT, [row.team_key if row.level == "team" else None])
        before = w.claim(row, what=f"impediment {key}", expected=version, state=impediment_state)
        if level is not None and level != row.level and LEVELS.index(level) < LEVELS.index(row.level):
            raise InvalidInputError(
                f"impediment {key} is at {row.level} level: an impediment is escalated, not sent down"
            )
        changes = {"owner": owner, "level": level, "state": state, "note": note}
        changes = {k: v for k, v in changes.items() if v is not None and v != getattr(row, k)}
        if not changes:
            return Changed(impediment_value(row), row.version)
        for name, value in changes.items():
            setattr(row, name, value)
        if "state" in changes:
            row.resolved_at = utc_now() if row.state == "resolved" else None
        row.version += 1
        action = "resolved" if changes.get("state") == "resolved" else "escalated" if "level" in changes else "updated"
        event = w.record(Entity.IMPEDIMENT, key, action, before=before, after=impediment_state(row))
    return Changed(impediment_value(row), row.version, event)
