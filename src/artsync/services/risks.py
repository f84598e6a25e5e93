"""ROAMing the train's risks: resolved, owned, accepted or mitigated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.events import Event
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import ROAM_STATES, Risk, next_key
from artsync.errors import InvalidInputError, NotFoundError
from artsync.services.events import append_event
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.services.transaction import transaction
from artsync.services.versioning import claim
from artsync.store.models import RiskRow, TeamRow, TrainRow


@dataclass(frozen=True)
class RiskRoamed:
    """The risk after ROAMing; ``event`` is None when nothing changed."""

    risk: Risk
    version: int
    event: Event | None


def find_risk(db: Session, train: TrainRow, key: str) -> tuple[RiskRow, str | None]:
    """A risk of the train's current PI, and the key of its team (if it has one)."""
    pi = find_current_pi(db, train)
    row = db.scalars(select(RiskRow).where(RiskRow.pi_id == pi.id, RiskRow.key == key)).first()
    if row is None:
        raise NotFoundError(f"no risk {key!r} in {train.key} {pi.key}")
    team = db.get(TeamRow, row.team_id) if row.team_id else None
    return row, team.key if team else None


def get_risk(db: Session, *, actor: Actor, train_key: str, key: str) -> RiskRoamed:
    """One risk of the current PI, with its version."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    row, team = find_risk(db, train, key)
    return RiskRoamed(Risk(row.key, row.text, row.roam, row.owner, team, row.note), row.version, None)


def raise_risk(db: Session, *, actor: Actor, train_key: str | None, text: str, team: str | None = None) -> RiskRoamed:
    """Anyone on the train raises a risk (of a team, or of the train); it starts unROAMed."""
    if not text.strip():
        raise InvalidInputError("a risk needs its text: what could go wrong")
    with transaction(db):
        train = find_train(db, train_key)
        pi = find_current_pi(db, train)
        team_row = None
        if team is not None:
            team_row = db.scalars(select(TeamRow).where(TeamRow.train_id == train.id, TeamRow.key == team)).first()
            if team_row is None:
                raise NotFoundError(f"no team {team!r} in {train.key}")
        authorize(actor, train.key, Action.RAISE_RISK, [team])
        key = next_key("R", db.scalars(select(RiskRow.key).where(RiskRow.pi_id == pi.id)))
        row = RiskRow(
            pi_id=pi.id, team_id=team_row.id if team_row else None, key=key, text=text.strip(), roam="unroamed"
        )
        db.add(row)
        db.flush()
        event = append_event(
            db,
            train=train,
            actor=actor,
            entity="risk",
            entity_id=row.key,
            action="raised",
            before=None,
            after={"key": row.key, "text": row.text, "team": team, "roam": row.roam},
        )
    return RiskRoamed(Risk(row.key, row.text, row.roam, None, team, row.note), row.version, event)


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
) -> RiskRoamed:
    """Put a risk in a ROAM state; an owned risk needs an owner."""
    if roam not in ROAM_STATES:
        raise InvalidInputError(f"{roam!r} is not a ROAM state; use one of {', '.join(ROAM_STATES)}")
    with transaction(db):
        train = find_train(db, train_key)
        row, team = find_risk(db, train, key)
        authorize(actor, train.key, Action.ROAM_RISK, [team])
        before = claim(db, row, what=f"risk {key}", expected=version, state=risk_state)
        new_owner = owner if owner is not None else row.owner
        if roam == "owned" and not new_owner:
            raise InvalidInputError(f"an owned risk needs an owner: add --owner NAME to ROAM {key} as owned")
        new_note = note if note is not None else row.note
        if (row.roam, row.owner, row.note) == (roam, new_owner, new_note):
            return RiskRoamed(Risk(row.key, row.text, row.roam, row.owner, team, row.note), row.version, None)
        row.roam, row.owner, row.note = roam, new_owner, new_note
        row.version += 1
        event = append_event(
            db,
            train=train,
            actor=actor,
            entity="risk",
            entity_id=key,
            action="roamed",
            before=before,
            after=risk_state(row),
        )
    return RiskRoamed(Risk(row.key, row.text, row.roam, row.owner, team, row.note), row.version, event)
