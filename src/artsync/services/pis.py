"""Moving the PI through its lifecycle (the RTE's call)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from artsync.domain.events import Event
from artsync.domain.lifecycle import check_transition, next_state
from artsync.domain.permissions import Action, Actor
from artsync.errors import InvalidInputError
from artsync.services.cards import check_version
from artsync.services.events import append_event
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.services.transaction import transaction


@dataclass(frozen=True)
class PIAdvanced:
    """The PI's key and new state, its version and the event."""

    pi: str
    state: str
    version: int
    event: Event


def advance_pi(
    db: Session, *, actor: Actor, train_key: str | None, to: str | None = None, version: int | None = None
) -> PIAdvanced:
    """Move the train's current PI to its next state (draft → planning → executing → closed)."""
    with transaction(db):
        train = find_train(db, train_key)
        authorize(actor, train.key, Action.ADMINISTER)
        pi = find_current_pi(db, train)
        before = {"key": pi.key, "state": pi.state, "version": pi.version}
        check_version(f"PI {pi.key}", version, pi.version, before)
        target = to or next_state(pi.state)
        if target is None:
            raise InvalidInputError(f"PI {pi.key} is closed: it does not move on")
        problem = check_transition(pi.state, target)
        if problem:
            raise InvalidInputError(problem)
        pi.state = target
        pi.version += 1
        event = append_event(
            db,
            train=train,
            actor=actor,
            entity="pi",
            entity_id=pi.key,
            action="advanced",
            before=before,
            after={"key": pi.key, "state": pi.state, "version": pi.version},
        )
    return PIAdvanced(pi.key, pi.state, pi.version, event)
