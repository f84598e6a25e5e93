"""Dependencies between cards: one team's card needs another's delivered first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.board import PlacedDependency, dependency_status
from artsync.domain.events import Entity, Event
from artsync.domain.lifecycle import dependency_move
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Dependency, card_ref, split_card_ref
from artsync.errors import ConflictError, InvalidInputError, NotFoundError
from artsync.services.cards import find_card
from artsync.services.events import event_for_request
from artsync.services.writes import Changed, Write, writing
from artsync.store.models import CardRow, DependencyRow, FeatureRow, TeamRow


def add_dependency(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    consumer: str,
    provider: str,
    request_key: str | None = None,
) -> Changed[PlacedDependency]:
    """Record that card ``consumer`` needs card ``provider`` (both written FEATURE@TEAM).

    With ``request_key`` (an Idempotency-Key), a retry of the same request returns
    the first result instead of applying twice.
    """
    if consumer == provider:
        raise InvalidInputError(f"{consumer} cannot depend on itself")
    with writing(db, actor=actor, train_key=train_key) as w:
        consumer_row, provider_row = find_ends(w, consumer, provider)
        w.authorize(Action.CHANGE_DEPENDENCY, teams_of(consumer, provider))
        earlier = event_for_request(db, train=w.train, request_key=request_key) if request_key else None
        if earlier is not None:
            if earlier.entity_id != Dependency(consumer, provider).key or earlier.action != "added":
                raise ConflictError(f"Idempotency-Key {request_key!r} was already used for a different change")
            return placed(Dependency(consumer, provider), consumer_row, provider_row, 1, earlier)
        w.check_open("board")
        if find_dependency(db, consumer_row, provider_row) is not None:
            raise ConflictError(f"{consumer} already needs {provider}")
        row = DependencyRow(pi_id=w.pi.id, consumer_id=consumer_row.id, provider_id=provider_row.id, state="requested")
        db.add(row)
        db.flush()
        dependency = Dependency(consumer, provider, row.state)
        event = w.record(
            Entity.DEPENDENCY, dependency.key, "added", before=None, after=dependency_state(dependency, row),
            request_key=request_key,
        )  # fmt: skip
    return placed(dependency, consumer_row, provider_row, row.version, event)


def add_dependencies(db: Session, *, actor: Actor, train_key: str | None, pairs: Sequence[tuple[str, str]]) -> int:
    """Many dependencies at once (a pull from the tracker), each consumer needing its provider: one change, one
    event each."""
    if not pairs:
        return 0
    for consumer, provider in pairs:
        if consumer == provider:
            raise InvalidInputError(f"{consumer} cannot depend on itself")
    with writing(db, actor=actor, train_key=train_key) as w:
        w.authorize(Action.CHANGE_DEPENDENCY, sorted({t for pair in pairs for t in teams_of(*pair)}))
        w.check_open("board")
        ids = {card_ref(feature, team): card_id for card_id, feature, team in db.execute(
            select(CardRow.id, FeatureRow.key, TeamRow.key)
            .join(FeatureRow, CardRow.feature_id == FeatureRow.id).join(TeamRow, CardRow.team_id == TeamRow.id)
            .where(CardRow.pi_id == w.pi.id))}  # fmt: skip
        missing = sorted({ref for pair in pairs for ref in pair} - set(ids))
        if missing:
            raise NotFoundError(f"no card {', '.join(missing)} on the board")
        there = {(c, p) for c, p in db.execute(select(DependencyRow.consumer_id, DependencyRow.provider_id)
                                               .where(DependencyRow.pi_id == w.pi.id))}  # fmt: skip
        rows = []
        for consumer, provider in pairs:
            if (ids[consumer], ids[provider]) in there:
                raise ConflictError(f"{consumer} already needs {provider}")
            there.add((ids[consumer], ids[provider]))
            rows.append(DependencyRow(pi_id=w.pi.id, consumer_id=ids[consumer], provider_id=ids[provider],
                                      state="requested"))  # fmt: skip
        db.add_all(rows)
        db.flush()
        w.record_many([
            (Entity.DEPENDENCY, Dependency(c, p).key, "added", None, dependency_state(Dependency(c, p), row))
            for (c, p), row in zip(pairs, rows, strict=True)
        ])  # fmt: skip
    return len(rows)


def remove_dependency(
    db: Session, *, actor: Actor, train_key: str | None, consumer: str, provider: str
) -> Changed[PlacedDependency]:
    """Drop the dependency of card ``consumer`` on card ``provider``."""
    with writing(db, actor=actor, train_key=train_key) as w:
        consumer_row, provider_row = find_ends(w, consumer, provider)
        w.authorize(Action.CHANGE_DEPENDENCY, teams_of(consumer, provider))
        w.check_open("board")
        row = find_dependency(db, consumer_row, provider_row)
        if row is None:
            raise NotFoundError(f"{consumer} does not depend on {provider}")
        dependency = Dependency(consumer, provider, row.state)
        before = dependency_state(dependency, row)
        db.delete(row)
        event = w.record(Entity.DEPENDENCY, dependency.key, "removed", before=before, after=None)
    return placed(dependency, consumer_row, provider_row, row.version, event)


def set_dependency_state(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    consumer: str,
    provider: str,
    state: str,
    version: int | None = None,
) -> Changed[PlacedDependency]:
    """Commit to, deliver, break or re-request a dependency; the providing team commits and delivers."""
    with writing(db, actor=actor, train_key=train_key) as w:
        consumer_row, provider_row = find_ends(w, consumer, provider)
        row = find_dependency(db, consumer_row, provider_row)
        if row is None:
            raise NotFoundError(f"{consumer} does not depend on {provider}")
        w.check_open("board")

        def moved(row: DependencyRow) -> dict[str, str]:
            if row.state != state:
                try:
                    side = dependency_move(row.state, state)
                except ValueError as exc:
                    raise InvalidInputError(str(exc)) from None
                teams = {"provider": teams_of(provider), "consumer": teams_of(consumer)}.get(side)
                w.authorize(Action.CHANGE_DEPENDENCY, teams or teams_of(consumer, provider))
            return {"state": state}

        key = Dependency(consumer, provider).key
        event = w.update(
            row, entity=Entity.DEPENDENCY, entity_id=key, action=state, expected=version, changes=moved,
            state=lambda row: dependency_state(Dependency(consumer, provider, row.state), row),
        )  # fmt: skip
    return placed(Dependency(consumer, provider, row.state), consumer_row, provider_row, row.version, event)


def find_ends(w: Write, consumer: str, provider: str) -> tuple[CardRow, CardRow]:
    """The two cards a dependency joins, on the current PI's board."""
    return find_card(w.db, w.train, w.pi, consumer), find_card(w.db, w.train, w.pi, provider)


def dependency_state(dependency: Dependency, row: DependencyRow) -> dict[str, Any]:
    """How a dependency is shown in the event log and in a stale-version refusal."""
    return {"consumer": dependency.consumer, "provider": dependency.provider, "state": row.state,
            "version": row.version}  # fmt: skip


def placed(
    dependency: Dependency, consumer: CardRow, provider: CardRow, version: int, event: Event | None
) -> Changed[PlacedDependency]:
    status = dependency_status(consumer.iteration, provider.iteration)
    return Changed(PlacedDependency(dependency, status), version, event)


def find_dependency(db: Session, consumer: CardRow, provider: CardRow) -> DependencyRow | None:
    """The dependency of one card on another, if there is one."""
    return db.scalars(
        select(DependencyRow).where(DependencyRow.consumer_id == consumer.id, DependencyRow.provider_id == provider.id)
    ).first()


def teams_of(*refs: str) -> list[str]:
    """The teams of the cards a dependency joins: the PO or SM of either side may change it."""
    return [split_card_ref(ref)[1] for ref in refs]
