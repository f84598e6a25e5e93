"""ROAMing the train's risks: resolved, owned, accepted or mitigated."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.events import Entity
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import ROAM_STATES, Risk, check_roam, next_key
from artsync.errors import InvalidInputError, NotFoundError
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.services.writes import Changed, writing
from artsync.store.models import RiskRow, TeamRow, TrainRow


def find_risk(db: Session, train: TrainRow, key: str) -> tuple[RiskRow, str | None]:
    """A risk of the train's current PI, and the key of its team (if it has one)."""
    pi = find_current_pi(db, train)
    row = db.scalars(select(RiskRow).where(RiskRow.pi_id == pi.id, RiskRow.key == key)).first()
    if row is None:
        raise NotFoundError(f"no risk {key!r} in {train.key} {pi.key}")
    team = db.get(TeamRow, row.team_id) if row.team_id else None
    return row, team.key if team else None


def get_risk(db: Session, *, actor: Actor, train_key: str, key: str) -> Changed[Risk]:
    """One risk of the current PI, with its version."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    row, team = find_risk(db, train, key)
    return Changed(risk_value(row, team), row.version)


def raise_risk(
    db: Session, *, actor: Actor, train_key: str | None, text: str, team: str | None = None
) -> Changed[Risk]:
    """Anyone on the train raises a risk (of a team, or of the train); it starts unROAMed."""
    if not text.strip():
        raise InvalidInputError("a risk needs its text: what could go wrong")
    with writing(db, actor=actor, train_key=train_key) as w:
        team_row = None
        if team is not None:
            team_row = db.scalars(select(TeamRow).where(TeamRow.train_id == w.train.id, TeamRow.key == team)).first()
            if team_row is None:
                raise NotFoundError(f"no team {team!r} in {w.train.key}")
        w.authorize(Action.RAISE_RISK, [team])
        key = next_key("R", db.scalars(select(RiskRow.key).where(RiskRow.pi_id == w.pi.id)))
        row = RiskRow(
            pi_id=w.pi.id, team_id=team_row.id if team_row else None, key=key, text=text.strip(), roam="unroamed"
        )
        db.add(row)
        db.flush()
        after = {"key": row.key, "text": row.text, "team": team, "roam": row.roam}
        event = w.record(Entity.RISK, row.key, "raised", before=None, after=after)
    return Changed(risk_value(row, team), row.version, event)


def risk_value(row: RiskRow, team: str | None) -> Risk:
    return Risk(row.key, row.text, row.roam, row.owner, team, row.note)


def risk_state(row: RiskRow) -> dict[str, Any]:
    """How a risk is shown in the event log and in a stale-version refusal."""
    return {"key": row.key, "roam": row.roam, "owner": row.owner, "note": row.note, "version": row.version}


def roam_risk(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    key: str,
    roam: str,
    owner: str | None = None,
    note: str | None = None,
    version: int | None = None,
) -> Changed[Risk]:
    """Put a risk in a ROAM state; an owned risk needs an owner."""
    if roam not in ROAM_STATES:
        raise InvalidInputError(f"{roam!r} is not a ROAM state; use one of {', '.join(ROAM_STATES)}")
    with writing(db, actor=actor, train_key=train_key) as w:
        row, team = find_risk(db, w.train, key)
        w.authorize(Action.ROAM_RISK, [team])

        def roamed(row: RiskRow) -> dict[str, Any]:
            new_owner = owner if owner is not None else row.owner
            if problem := check_roam(roam, new_owner):
                raise InvalidInputError(f"{problem}: name its owner to ROAM {key} as owned")
            return {"roam": roam, "owner": new_owner, "note": note if note is not None else row.note}

        event = w.update(
            row, entity=Entity.RISK, entity_id=key, action="roamed", expected=version, state=risk_state, changes=roamed
        )
    return Changed(risk_value(row, team), row.version, event)
