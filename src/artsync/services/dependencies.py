"""Dependencies between cards: one team's card needs another's delivered first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.board import DependencyStatus, dependency_status
from artsync.domain.events import Event
from artsync.domain.lifecycle import dependency_move
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Dependency, split_card_ref
from artsync.errors import ConflictError, InvalidInputError, NotFoundError
from artsync.services.cards import find_card
from artsync.services.events import append_event, event_for_request
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.services.transaction import transaction
from artsync.services.versioning import claim
from artsync.store.models import CardRow, DependencyRow


@dataclass(frozen=True)
class DependencyChanged:
    """The dependency added or removed, where it stands on the board, and its event."""

    dependency: Dependency
    status: DependencyStatus
    event: Event


def add_dependency(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    consumer: str,
    provider: str,
    request_key: str | None = None,
) -> DependencyChanged:
    """Record that card ``consumer`` needs card ``provider`` (both written FEATURE@TEAM).

    With ``request_key`` (an Idempotency-Key), a retry of the same request returns
    the first result instead of applying twice.
    """
    if consumer == provider:
        raise InvalidInputError(f"{consumer} cannot depend on itself")
    with transaction(db):
        train = find_train(db, train_key)
        pi = find_current_pi(db, train)
        consumer_row = find_card(db, train, pi, consumer)
        provider_row = find_card(db, train, pi, provider)
        authorize(actor, train.key, Action.CHANGE_DEPENDENCY, teams_of(consumer, provider))
        earlier = event_for_request(db, train=train, request_key=request_key) if request_key else None
        if earlier is not None:
            if earlier.entity_id != Dependency(consumer, provider).key or earlier.action != "added":
                raise ConflictError(f"Idempotency-Key {request_key!r} was already used for a different change")
            status = dependency_status(consumer_row.iteration, provider_row.iteration)
            return DependencyChanged(Dependency(consumer, provider), status, earlier)
        if find_dependency(db, consumer_row, provider_row) is not None:
            raise ConflictError(f"{consumer} already needs {provider}")
        db.add(DependencyRow(pi_id=pi.id, consumer_id=consumer_row.id, provider_id=provider_row.id, state="requested"))
        dependency = Dependency(consumer, provider, "requested")
        event = append_event(
            db,
            train=train,
            actor=actor,
            entity="dependency",
            entity_id=dependency.key,
            action="added",
            before=None,
            after={"consumer": consumer, "provider": provider, "state": "requested"},
            request_key=request_key,
        )
    status = dependency_status(consumer_row.iteration, provider_row.iteration)
    return DependencyChanged(dependency, status, event)


def remove_dependency(
    db: Session, *, actor: Actor, train_key: str | None, consumer: str, provider: str
) -> DependencyChanged:
    """Drop the dependency of card ``consumer`` on card ``provider``."""
    with transaction(db):
        train = find_train(db, train_key)
        pi = find_current_pi(db, train)
        consumer_row = find_card(db, train, pi, consumer)
        provider_row = find_card(db, train, pi, provider)
        authorize(actor, train.key, Action.CHANGE_DEPENDENCY, teams_of(consumer, provider))
        row = find_dependency(db, consumer_row, provider_row)
        if row is None:
            raise NotFoundError(f"{consumer} does not depend on {provider}")
        dependency = Dependency(consumer, provider, row.state)
        db.delete(row)
        event = append_event(
            db,
            train=train,
            actor=actor,
            entity="dependency",
            entity_id=dependency.key,
            action="removed",
            before={"consumer": consumer, "provider": provider, "state": row.state},
            after=None,
        )
    return DependencyChanged(dependency, dependency_status(consumer_row.iteration, provider_row.iteration), event)


def find_dependency(db: Session, consumer: CardRow, provider: CardRow) -> DependencyRow | None:
    """The dependency of one card on another, if there is one."""
    return db.scalars(
        select(DependencyRow).where(DependencyRow.consumer_id == consumer.id, DependencyRow.provider_id == provider.id)
    ).first()


def teams_of(*refs: str) -> list[str]:
    """The teams of the cards a dependency joins: the PO or SM of either side may change it."""
    return [split_card_ref(ref)[1] for ref in refs]


@dataclass(frozen=True)
class DependencyState:
    """A dependency after a change of state, with its version and the event."""

    dependency: Dependency
    version: int
    event: Event | None


def set_dependency_state(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    consumer: str,
    provider: str,
    state: str,
    version: int | None = None,
) -> DependencyState:
    """Commit to, deliver, break or re-request a dependency; the providing team commits and delivers."""
    with transaction(db):
        train = find_train(db, train_key)
        pi = find_current_pi(db, train)
        consumer_row = find_card(db, train, pi, consumer)
        provider_row = find_card(db, train, pi, provider)
        row = find_dependency(db, consumer_row, provider_row)
        if row is None:
            raise NotFoundError(f"{consumer} does not depend on {provider}")
        before = claim(
            db,
            row,
            what=f"dependency {consumer}->{provider}",
            expected=version,
            state=lambda row: {"consumer": consumer, "provider": provider, "state": row.state, "version": row.version},
        )
        if row.state == state:
            return DependencyState(Dependency(consumer, provider, row.state), row.version, None)
        try:
            side = dependency_move(row.state, state)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
        teams = {"provider": teams_of(provider), "consumer": teams_of(consumer)}.get(side, teams_of(consumer, provider))
        authorize(actor, train.key, Action.CHANGE_DEPENDENCY, teams)
        row.state = state
        row.version += 1
        after = {"consumer": consumer, "provider": provider, "state": row.state, "version": row.version}
        event = append_event(
            db, train=train, actor=actor, entity="dependency", entity_id=f"{consumer}->{provider}", action=state,
            before=before, after=after,
        )  # fmt: skip
    return DependencyState(Dependency(consumer, provider, row.state), row.version, event)
