"""Moving the PI through its lifecycle (the RTE's call)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.cadence import PI
from artsync.domain.events import Entity
from artsync.domain.lifecycle import check_transition, next_state
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import KEY_PATTERN
from artsync.errors import ConflictError, InvalidInputError
from artsync.services.capacity import refresh_capacities
from artsync.services.permissions import authorize
from artsync.services.trains import find_train
from artsync.services.writes import Changed, writing
from artsync.store.mapping import current_pi, pi_value
from artsync.store.models import PIRow, TrainRow


@dataclass(frozen=True)
class PIView:
    """A PI with its version and whether it is the train's current one."""

    pi: PI
    version: int
    current: bool


def pi_state(row: PIRow) -> dict[str, object]:
    """How a PI is written in the event log."""
    return {
        "key": row.key,
        "start": row.start.isoformat(),
        "iteration_weeks": row.iteration_weeks,
        "iterations": row.iterations,
        "ip_last": row.ip_last,
        "state": row.state,
        "version": row.version,
    }


def list_pis(db: Session, *, actor: Actor, train_key: str | None) -> list[PIView]:
    """The train's PIs, oldest first, marking the current one."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    current = current_pi(db, train)
    rows = db.scalars(select(PIRow).where(PIRow.train_id == train.id).order_by(PIRow.start)).all()
    return [PIView(pi_value(row), row.version, current is not None and row.id == current.id) for row in rows]


def create_pi(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    key: str,
    start: date,
    iteration_weeks: int = 2,
    iterations: int = 5,
    ip_last: bool = True,
) -> Changed[PI]:
    """Set up a new PI in draft: its dates, iterations and IP iteration; capacities come from the calendars."""
    if not KEY_PATTERN.match(key):
        raise InvalidInputError(f"{key!r} is not a valid PI key (letters, digits, '.', '_', '-'; at most 64)")
    if not 1 <= iteration_weeks <= 4:
        raise InvalidInputError(f"an iteration lasts 1 to 4 weeks, not {iteration_weeks}")
    if not 1 <= iterations <= 12:
        raise InvalidInputError(f"a PI has 1 to 12 iterations, not {iterations}")
    if ip_last and iterations < 2:
        raise InvalidInputError("a PI with an IP iteration needs at least one development iteration before it")
    pi = PI(key, start, iteration_weeks, iterations, ip_last, state="draft")
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.ADMINISTER)
        check_follows(db, train, pi)
        row = PIRow(train_id=train.id, key=key, start=start, iteration_weeks=iteration_weeks,
                    iterations=iterations, ip_last=ip_last, state="draft")  # fmt: skip
        db.add(row)
        db.flush()
        refresh_capacities(db, train)
        event = w.record(Entity.PI, key, "created", before=None, after=pi_state(row))
    return Changed(pi, row.version, event)


def check_follows(db: Session, train: TrainRow, pi: PI) -> None:
    """A new PI has a key of its own and does not overlap the train's other PIs."""
    for other in db.scalars(select(PIRow).where(PIRow.train_id == train.id)):
        if other.key == pi.key:
            raise ConflictError(f"train {train.key} already has a PI {pi.key}")
        theirs = pi_value(other)
        if pi.start <= theirs.end and theirs.start <= pi.end:
            raise InvalidInputError(
                f"{pi.key} ({pi.start} – {pi.end}) overlaps {other.key} ({theirs.start} – {theirs.end}): "
                "PIs of one train follow each other"
            )


def advance_pi(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    to: str | None = None,
    version: int | None = None,
    pi_key: str | None = None,
) -> Changed[PI]:
    """Move a PI (the current one by default) to its next state (draft → planning → executing → closed)."""
    with writing(db, actor=actor, train_key=train_key) as w:
        w.authorize(Action.ADMINISTER)
        pi = w.choose_pi(pi_key)
        before = w.claim(
            pi,
            what=f"PI {pi.key}",
            expected=version,
            state=lambda pi: {"key": pi.key, "state": pi.state, "version": pi.version},
        )
        target = to or next_state(pi.state)
        if target is None:
            raise ConflictError(f"PI {pi.key} is closed: it does not move on")
        problem = check_transition(pi.state, target)
        if problem:
            raise InvalidInputError(problem)
        pi.state = target
        pi.version += 1
        event = w.record(
            Entity.PI,
            pi.key,
            "advanced",
            before=before,
            after={"key": pi.key, "state": pi.state, "version": pi.version},
        )
    return Changed(pi_value(pi), pi.version, event)
