"""The train's event log: append one entry per change, read what happened since a seq."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from sqlalchemy import Table, TextClause, insert, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from artsync.domain.events import Event
from artsync.domain.permissions import Action, Actor
from artsync.services.permissions import authorize
from artsync.services.trains import find_train
from artsync.services.transaction import APPENDED, CHANGED_TRAINS, NOTIFY_CHANNEL
from artsync.store.mapping import event_value, utc_now
from artsync.store.models import EventRow, TrainRow

NOTIFY_LIMIT = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more


def append_event(
    db: Session,
    *,
    train: TrainRow,
    actor: Actor,
    entity: str,
    entity_id: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    request_key: str | None = None,
    changed: tuple[TextClause, dict[str, Any]] | None = None,
) -> Event:
    """Add the next entry of ``train``'s log inside the caller's transaction.

    The seq comes from an atomic increment of the train's counter, which also
    locks the train row until commit: seqs are gap-free and never reused, even
    with several writers. ``changed`` (PostgreSQL): the change of the row the event
    is about, made by the same statement (``services/writes.save_statement``).
    """
    at = utc_now()
    if db.get_bind().dialect.name == "postgresql":
        made = Event(0, at, actor.name, entity, entity_id, action, before, after)
        appended = append_in_one_statement(db, train, made, request_key, changed)
        if appended is None:
            raise StaleDataError(f"{entity} {entity_id} changed while it was being written")
        event = appended
    else:
        seq = draw_seqs(db, train, 1)
        row = EventRow(train_id=train.id, seq=seq, at=at, actor=actor.name, entity=entity, entity_id=entity_id,
                       action=action, before=before, after=after, request_key=request_key)  # fmt: skip
        db.add(row)
        db.flush()
        event = event_value(row)
        handed_out(db, train, [event])
    db.info.setdefault(CHANGED_TRAINS, set()).add(train.key)  # woken after commit (services/transaction.py)
    return event


def handed_out(db: Session, train: TrainRow, events: list[Event]) -> None:
    """Events no NOTIFY carries (SQLite): kept for this process to hand to its live boards once they commit."""
    db.info.setdefault(APPENDED, {}).setdefault(train.key, []).extend(events)


def draw_seqs(db: Session, train: TrainRow, count: int) -> int:
    """Take the train's next ``count`` seqs (locking its row until commit); the last one taken.

    A Core statement on the table, not the mapped class: the ORM would search the whole session for the row to
    bring up to date after each append, which on a pull holding thousands of rows cost more than the append.
    """
    trains = TrainRow.__table__
    assert isinstance(trains, Table)
    last = int(db.execute(
        update(trains).where(trains.c.id == train.id).values(last_seq=trains.c.last_seq + count)
        .returning(trains.c.last_seq)
    ).scalar_one())  # fmt: skip
    set_committed_value(train, "last_seq", last)  # the session's train row stays as the database has it
    return last


Change = tuple[str, str, str, dict[str, Any] | None, dict[str, Any] | None]  # entity, entity_id, action, before, after


def append_events(db: Session, *, train: TrainRow, actor: Actor, changes: list[Change]) -> list[Event]:
    """Add many entries to ``train``'s log at once, inside the caller's transaction: their seqs drawn in one
    increment (gap-free, in the order given), the rows written in one batch, and on PostgreSQL one NOTIFY that
    tells the listeners to read them from the log."""
    if not changes:
        return []
    at = utc_now()
    first = draw_seqs(db, train, len(changes)) - len(changes) + 1
    events = [
        Event(first + n, at, actor.name, entity, entity_id, action, before, after)
        for n, (entity, entity_id, action, before, after) in enumerate(changes)
    ]
    db.execute(insert(EventRow), [{"train_id": train.id, "request_key": None, **e.__dict__} for e in events])
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_notify(:channel, :payload)"),
                   {"channel": NOTIFY_CHANNEL, "payload": json.dumps({"train": train.key})})  # fmt: skip
    else:
        handed_out(db, train, events)
    db.info.setdefault(CHANGED_TRAINS, set()).add(train.key)
    return events


SEQ_MARK = -7_654_321  # stands in the NOTIFY payload for the seq the statement itself draws


def append_sql(changed: str = "") -> str:
    """The statement that appends one event on PostgreSQL: the next seq, the log entry and the NOTIFY. With
    ``changed`` (``UPDATE … RETURNING id`` of the row the event is about) the change is made in it too, and the
    event appended only if that UPDATE changed a row."""
    first, gate = (f"changed AS ({changed}), ", " AND EXISTS (SELECT 1 FROM changed)") if changed else ("", "")
    return f"""WITH {first}drawn AS (
        UPDATE {TrainRow.__tablename__} SET last_seq = last_seq + 1 WHERE id = :train_id{gate} RETURNING last_seq
    ), logged AS (
        INSERT INTO {EventRow.__tablename__}
            (train_id, seq, at, actor, entity, entity_id, action, before, after, request_key)
        SELECT :train_id, last_seq, :at, :actor, :entity, :entity_id, :action,
               CAST(:before AS json), CAST(:after AS json), :request_key
        FROM drawn RETURNING seq
    )
    SELECT seq, pg_notify(:channel, replace(:payload, :mark, seq::text)) FROM logged"""


APPEND = text(append_sql())


def append_in_one_statement(
    db: Session,
    train: TrainRow,
    event: Event,
    request_key: str | None,
    changed: tuple[TextClause, dict[str, Any]] | None = None,
) -> Event | None:
    """On PostgreSQL, the next seq, the log entry and the NOTIFY are one statement (one round trip).

    ``changed``: the statement of ``append_sql(…)`` with the UPDATE of the row the event is about, and that
    UPDATE's values — made in the same round trip; None when it changed no row (nothing is appended then).

    Listeners hear it only when (and if) the transaction commits. The event rides in the payload so that
    they need not read it back from the log; a large one is left for them to read. The statement is
    written once (``APPEND``): on the path of every edit, building it anew cost more than running it.
    """
    payload = json.dumps({"train": train.key, "message": {**event.as_dict(), "seq": SEQ_MARK}}, default=str)
    if len(payload) > NOTIFY_LIMIT:
        payload = json.dumps({"train": train.key})
    values = {
        "train_id": train.id, "at": event.at, "actor": event.actor, "entity": event.entity,
        "entity_id": event.entity_id, "action": event.action, "before": json.dumps(event.before),
        "after": json.dumps(event.after), "request_key": request_key, "channel": NOTIFY_CHANNEL,
        "payload": payload, "mark": str(SEQ_MARK),
    }  # fmt: skip
    statement = APPEND
    if changed is not None:
        statement, updated = changed
        values.update(updated)
    found = db.execute(statement, values).first()
    if found is None:
        return None
    seq = int(found[0])
    set_committed_value(train, "last_seq", seq)  # the session's train row stays as the database has it
    return replace(event, seq=seq)


def last_seqs(db: Session, train_keys: list[str]) -> dict[str, int]:
    """Where each train's log stands (the live hub's view; the connection was authorized when it opened)."""
    rows = db.execute(select(TrainRow.key, TrainRow.last_seq).where(TrainRow.key.in_(train_keys)))
    return {key: int(seq) for key, seq in rows}


def log_slice(db: Session, train_key: str, after: int, upto: int | None = None) -> list[Event]:
    """The train's events after ``after`` (up to ``upto``), in seq order, for the live hub."""
    query = (
        select(EventRow)
        .join(TrainRow, EventRow.train_id == TrainRow.id)
        .where(TrainRow.key == train_key, EventRow.seq > after)
        .order_by(EventRow.seq)
    )
    if upto is not None:
        query = query.where(EventRow.seq <= upto)
    return [event_value(row) for row in db.scalars(query)]


def events_after(db: Session, train: TrainRow, seq: int) -> list[Event]:
    """The train's events after ``seq``, in order (for the services that read the log themselves)."""
    rows = db.scalars(select(EventRow).where(EventRow.train_id == train.id, EventRow.seq > seq).order_by(EventRow.seq))
    return [event_value(row) for row in rows]


def list_events(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    after: int = 0,
    limit: int | None = None,
    item: str | None = None,
    team: str | None = None,
    newest_first: bool = False,
    before: int | None = None,
) -> list[Event]:
    """The train's events with ``seq`` greater than ``after``, oldest first (or newest first).

    ``item`` keeps the events about one card, feature, risk or dependency (its ref or key
    appears in the entity id); ``team`` keeps the events about that team's cards.
    """
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    query = select(EventRow).where(EventRow.train_id == train.id, EventRow.seq > after)
    if before is not None:
        query = query.where(EventRow.seq < before)
    if item:
        query = query.where(EventRow.entity_id.contains(item, autoescape=True))
    if team:
        query = query.where(EventRow.entity_id.contains(f"@{team}", autoescape=True))
    query = query.order_by(EventRow.seq.desc() if newest_first else EventRow.seq)
    if limit is not None:
        query = query.limit(limit)
    return [event_value(row) for row in db.scalars(query)]


def event_for_request(db: Session, *, train: TrainRow, request_key: str) -> Event | None:
    """The event an earlier request with this Idempotency-Key made, if any."""
    row = db.scalars(select(EventRow).where(EventRow.train_id == train.id, EventRow.request_key == request_key)).first()
    return event_value(row) if row else None
