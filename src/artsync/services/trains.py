"""Finding trains and reading their plans."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from artsync.domain.permissions import Action, Actor, allowed
from artsync.domain.plan import Plan
from artsync.errors import NotFoundError
from artsync.services.permissions import authorize
from artsync.store.mapping import current_pi, load_plan
from artsync.store.models import CardRow, FeatureRow, PIRow, TeamRow, TrainRow


@dataclass(frozen=True)
class TrainSummary:
    """One line of the list of trains."""

    key: str
    name: str
    pi: str | None
    teams: int
    features: int
    cards: int
    last_seq: int


def find_train(db: Session, key: str | None) -> TrainRow:
    """The train with ``key``; with no key, the only train there is."""
    if key is not None:
        train = db.scalars(select(TrainRow).where(TrainRow.key == key)).first()
        if train is None:
            known = ", ".join(db.scalars(select(TrainRow.key).order_by(TrainRow.key))) or "none yet"
            raise NotFoundError(f"no train {key!r} (trains: {known})")
        return train
    trains = db.scalars(select(TrainRow).order_by(TrainRow.key).limit(2)).all()
    if not trains:
        raise NotFoundError("there is no train yet: run `artsync demo` or `artsync import FILE.json`")
    if len(trains) > 1:
        keys = ", ".join(db.scalars(select(TrainRow.key).order_by(TrainRow.key)))
        raise NotFoundError(f"there are several trains ({keys}): choose one with --train KEY")
    return trains[0]


def find_current_pi(db: Session, train: TrainRow) -> PIRow:
    """The train's current PI, or an error that says how to get one."""
    pi = current_pi(db, train)
    if pi is None:
        raise NotFoundError(f"train {train.key} has no PI yet: import a plan with `artsync import FILE.json`")
    return pi


def find_pi(db: Session, train: TrainRow, key: str | None) -> PIRow:
    """The train's PI ``key``; with no key, the current PI."""
    if key is None:
        return find_current_pi(db, train)
    pi = db.scalars(select(PIRow).where(PIRow.train_id == train.id, PIRow.key == key)).first()
    if pi is None:
        known = ", ".join(db.scalars(select(PIRow.key).where(PIRow.train_id == train.id).order_by(PIRow.start)))
        raise NotFoundError(f"no PI {key!r} in train {train.key} (PIs: {known or 'none yet'})")
    return pi


def get_plan(db: Session, *, actor: Actor, train_key: str | None) -> Plan:
    """The train's plan for its current PI."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    return load_plan(db, train, find_current_pi(db, train))


def list_trains(db: Session, *, actor: Actor) -> list[TrainSummary]:
    """The trains ``actor`` may see, with their current PI and the size of their plans."""
    summaries = []
    for train in db.scalars(select(TrainRow).order_by(TrainRow.key)):
        if not allowed(actor, train.key, Action.READ).ok:
            continue
        pi = current_pi(db, train)

        def count(query: object) -> int:
            return int(db.execute(query).scalar_one())  # type: ignore[call-overload]

        summaries.append(
            TrainSummary(
                key=train.key,
                name=train.name,
                pi=pi.key if pi else None,
                teams=count(select(func.count()).select_from(TeamRow).where(TeamRow.train_id == train.id)),
                features=count(select(func.count()).select_from(FeatureRow).where(FeatureRow.train_id == train.id)),
                cards=count(select(func.count()).select_from(CardRow).where(CardRow.pi_id == pi.id)) if pi else 0,
                last_seq=train.last_seq,
            )
        )
    return summaries


def train_seq(db: Session, *, actor: Actor, train_key: str) -> int:
    """The seq of the train's latest event: a page rendered after reading it is at least this fresh."""
    seq = db.execute(SEQ_OF_TRAIN, {"key": train_key}).scalar()
    if seq is None:
        seq = find_train(db, train_key).last_seq  # which trains there are, in the refusal
    authorize(actor, train_key, Action.READ)
    return int(seq)


# Read before every board and page (one statement, written once): whether what was made for this seq still holds.
SEQ_OF_TRAIN = select(TrainRow.last_seq).where(TrainRow.key == bindparam("key"))
