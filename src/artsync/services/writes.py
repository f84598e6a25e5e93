"""The one write path: every change to a train is a ``Write`` inside one transaction.

``writing`` opens the transaction (``services/transaction.py``: all or nothing, the live
boards woken after commit) and finds the train; the ``Write`` it yields finds the current
PI, asks whether the actor may act, claims a versioned row (lock, version check, state
before), writes the change with the next version in an UPDATE conditional on the version
read (``save``), and appends the event with the state before and after — on PostgreSQL, for
plain values, the UPDATE and the append are one statement (``save_statement``), and a card's
edit runs as its read and that one statement with no transaction around them (``single``:
the version in the UPDATE stands in for the lock). A write may also take its rows as this
process last saw them instead of reading them (``assumed``): its one statement then checks
that they still hold, and ``Unconfirmed`` sends the caller back to the read when they do not.
A service states what changes; none of these steps is written twice.

Every write answers ``Changed[T]``: the item as it is now, its version, and the event it
made (None when nothing changed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

from sqlalchemy import TextClause, Update, bindparam, inspect, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from artsync.domain.events import Event, payload_of
from artsync.domain.lifecycle import check_open
from artsync.domain.permissions import Action, Actor
from artsync.errors import ConflictError, InvalidInputError
from artsync.services.events import Change, append_event, append_events, append_sql
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_pi, find_train
from artsync.services.transaction import transaction
from artsync.services.versioning import claim, stale
from artsync.store.mapping import pi_value
from artsync.store.models import PIRow, TrainRow

T = TypeVar("T")


Row = TypeVar("Row")  # a row mapped with a version counter (store/models.py)
State = Callable[[Row], dict[str, Any]]
Assumed = tuple[str, Mapping[str, Any]]  # conditions for a write's UPDATE (`` AND …``) and the values they bind


class Unconfirmed(Exception):
    """What a write assumed without reading it no longer holds: nothing was written; read, and write again."""


@dataclass(frozen=True)
class Changed(Generic[T]):
    """What a write left: the item as it is now, its version, and its event (None when nothing changed)."""

    value: T
    version: int
    event: Event | None = None
    id: int | None = None  # the new row's id, for an item the API also reaches by id


class Write:
    """One change to one train, inside its transaction."""

    def __init__(
        self,
        db: Session,
        actor: Actor,
        train: TrainRow,
        *,
        pi: PIRow | None = None,
        single: bool = False,
        assumed: Assumed | None = None,
    ) -> None:
        self.db = db
        self.actor = actor
        self.train = train
        self.locked: set[int] = set()  # rows read FOR UPDATE in this transaction already (by id())
        # PostgreSQL, outside a transaction: the write must be one statement (``save_statement``), checked by version
        self.single = single
        # The rows were not read but remembered: the one statement checks them (and raises Unconfirmed if not)
        self.assumed = assumed
        if pi is not None:
            self.__dict__["pi"] = pi

    @cached_property
    def pi(self) -> PIRow:
        """The train's current PI."""
        return find_current_pi(self.db, self.train)

    def choose_pi(self, key: str | None) -> PIRow:
        """Make the train's PI ``key`` (the current one when None) this write's PI."""
        self.__dict__["pi"] = pi = find_pi(self.db, self.train, key)
        return pi

    def authorize(self, action: Action, teams: Iterable[str | None] = ()) -> None:
        """Refuse the write unless the actor may do ``action`` for items of ``teams``."""
        authorize(self.actor, self.train.key, action, teams)

    def check_open(self, what: str) -> None:
        """Refuse a change to ``what`` of the current PI once it is closed: a closed PI is history."""
        if problem := check_open(self.pi.key, self.pi.state, what):
            raise ConflictError(problem)

    def check_iteration(self, iteration: int | None) -> None:
        """Refuse an iteration the current PI does not have (None, unplanned, is always there)."""
        if problem := pi_value(self.pi).check_iteration(iteration):
            raise InvalidInputError(problem)

    def claim(self, row: Row, *, what: str, expected: int | None, state: State[Row]) -> dict[str, Any]:
        """Lock ``row`` until commit and check the version the change was based on; returns its state before."""
        return claim(self.db, row, what=what, expected=expected, state=state, locked=id(row) in self.locked)

    def record(
        self,
        entity: str,
        entity_id: str,
        action: str,
        *,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        request_key: str | None = None,
        changed: tuple[TextClause, dict[str, Any]] | None = None,
    ) -> Event:
        """Append the change to the train's log (``request_key``: the Idempotency-Key it answers; ``changed``: the
        row's UPDATE, made by the same statement — see ``save_statement``).

        The change must be one the event catalogue lists (``domain/events.CATALOGUE``): the consumers
        of the log know no other.
        """
        if payload_of(entity, action) is None:
            raise ValueError(f"{entity} {action!r} is not in the event catalogue (domain/events.py)")
        return append_event(
            self.db,
            train=self.train,
            actor=self.actor,
            entity=entity,
            entity_id=entity_id,
            action=action,
            before=before,
            after=after,
            request_key=request_key,
            changed=changed,
        )

    def record_many(self, changes: list[Change]) -> list[Event]:
        """Append many changes (entity, entity_id, action, before, after) to the log at once, in order: a
        change of many items (a pull from the tracker) costs one statement, not one per item."""
        for entity, _, action, _, _ in changes:
            if payload_of(entity, action) is None:
                raise ValueError(f"{entity} {action!r} is not in the event catalogue (domain/events.py)")
        return append_events(self.db, train=self.train, actor=self.actor, changes=changes)

    def update(
        self,
        row: Row,
        *,
        entity: str,
        entity_id: str,
        action: str,
        expected: int | None,
        state: State[Row],
        changes: Mapping[str, Any] | Callable[[Row], Mapping[str, Any]],
        what: str | None = None,
    ) -> Event | None:
        """Claim ``row``, set ``changes`` on it, bump its version and record the event; None when nothing changed.

        ``changes`` may be a function of the claimed row, for a change that depends on (or is
        checked against) what the row holds now; it raises to refuse the change.
        """
        before = self.claim(row, what=what or f"{entity} {entity_id}", expected=expected, state=state)
        wanted = changes(row) if callable(changes) else changes
        if all(getattr(row, name) == value for name, value in wanted.items()):
            return None
        together = save_statement(self.db, row, wanted, self.assumed)
        if together is None and (self.single or self.assumed is not None):
            raise RuntimeError(f"{entity} {entity_id}: a write outside a transaction must be one statement")
        if together is None:
            save(self.db, row, wanted)
            return self.record(entity, entity_id, action, before=before, after=state(row))
        saved(row, wanted)  # as it will be: the event's state after is read from it
        try:
            return self.record(entity, entity_id, action, before=before, after=state(row), changed=together)
        except StaleDataError:
            if self.assumed is not None:
                raise Unconfirmed(f"{entity} {entity_id} is not as remembered") from None
            # Changed by someone else between the read and this write (``single``: nothing was locked): refused as
            # a lock would have refused it, with the item as it is now — the board shows it and offers to move it.
            self.db.refresh(row)
            now = int(getattr(row, "version"))  # noqa: B009  (any versioned row)
            raise stale(what or f"{entity} {entity_id}", expected, now, state(row)) from None


def save(db: Session, row: Any, changes: Mapping[str, Any]) -> None:
    """UPDATE ``row`` with ``changes`` and the next version, on condition that its version is the one read.

    One statement, written once per table and set of columns: the unit of work's flush did the same at
    several times the cost, on the path of every edit. The row then holds what the database holds.
    """
    statement = update_statement(type(row), tuple(sorted(changes)))
    result = db.execute(statement, {**changes, **versioned(row)})
    if getattr(result, "rowcount", 1) != 1:
        raise StaleDataError(f"{type(row).__name__} {row.id} changed while it was being written")
    saved(row, changes)


def versioned(row: Any) -> dict[str, Any]:
    """The values a conditional UPDATE of ``row`` binds besides its changes: its id, the version read, the next."""
    version = int(row.version)
    return {"_id": row.id, "_version": version, "_next": version + 1}


def saved(row: Any, changes: Mapping[str, Any]) -> None:
    """The row as the database holds it after ``save``: the changes and the next version."""
    version = int(row.version)
    for name, value in changes.items():
        set_committed_value(row, name, value)
    set_committed_value(row, "version", version + 1)


PLAIN = (int, str, bool)  # values a statement written as text binds as they are


def save_statement(
    db: Session, row: Any, changes: Mapping[str, Any], assumed: Assumed | None = None
) -> tuple[TextClause, dict[str, Any]] | None:
    """On PostgreSQL, ``save``'s UPDATE written into the event's append (``events.append_sql``), with its values:
    the change, the next seq, the log entry and the NOTIFY in one round trip — a card's move, on the path of every
    edit in the room. ``assumed``: more conditions the UPDATE holds only if, and their values. None elsewhere, and
    for values other than plain numbers, text and None."""
    if db.get_bind().dialect.name != "postgresql" or any(
        value is not None and type(value) not in PLAIN for value in changes.values()
    ):
        return None
    names = tuple(sorted(changes))
    conditions, assumed_values = assumed or ("", {})
    statement = TOGETHER.get((type(row), names, conditions))
    if statement is None:
        mapper = inspect(type(row))
        columns = ", ".join(f"{mapper.get_property(name).columns[0].name} = :_set_{name}" for name in names)
        table = mapper.local_table.name
        change = (
            f"UPDATE {table} SET {columns}, version = :_next WHERE id = :_id AND version = :_version{conditions}"
            " RETURNING id"
        )
        statement = TOGETHER[type(row), names, conditions] = text(append_sql(change))
    values = {f"_set_{name}": value for name, value in changes.items()}
    return statement, {**values, **versioned(row), **assumed_values}


UPDATES: dict[tuple[type[Any], tuple[str, ...]], Update] = {}
TOGETHER: dict[tuple[type[Any], tuple[str, ...], str], TextClause] = {}


def update_statement(kind: type[Any], names: tuple[str, ...]) -> Update:
    """``UPDATE table SET names…, version = :_next WHERE id = :_id AND version = :_version``."""
    statement = UPDATES.get((kind, names))
    if statement is None:
        mapper = inspect(kind)
        table = mapper.local_table
        columns: dict[str, Any] = {mapper.get_property(name).columns[0].name: bindparam(name) for name in names}
        statement = UPDATES[kind, names] = (
            update(table)
            .where(table.c.id == bindparam("_id"), table.c.version == bindparam("_version"))
            .values(**columns, version=bindparam("_next"))
        )
    return statement


@contextmanager
def writing(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    may: Action | None = None,
    teams: Iterable[str | None] = (),
) -> Iterator[Write]:
    """Open the transaction of one change to a train; with ``may``, authorize it up front."""
    with transaction(db):
        write = Write(db, actor, find_train(db, train_key))
        if may is not None:
            write.authorize(may, teams)
        yield write
