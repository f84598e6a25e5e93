"""The train's event log: append one entry per change, read what happened since a seq."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from artsync.domain.events import Event
from artsync.domain.permissions import Action, Actor
from artsync.services.permissions import authorize
from artsync.services.trains import find_train
from artsync.store.mapping import event_value, utc_now
from artsync.store.models import EventRow, TrainRow

NOTIFY_CHANNEL = "artsync_events"


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
) -> Event:
    """Add the next entry of ``train``'s log inside the caller's transaction.

    The seq comes from an atomic increment of the train's counter, which also
    locks the train row until commit: seqs are gap-free and never reused, even
    with several writers.
    """
    seq = db.execute(
        update(TrainRow)
        .where(TrainRow.id == train.id)
        .values(last_seq=TrainRow.last_seq + 1)
        .returning(TrainRow.last_seq)
    ).scalar_one()
    row = EventRow(
        train_id=train.id,
        seq=seq,
        at=utc_now(),
        actor=actor.name,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
    )
    db.add(row)
    db.flush()
    if db.get_bind().dialect.name == "postgresql":
        # Delivered to listeners only when (and if) this transaction commits.
        db.execute(text("SELECT pg_notify(:channel, :train)"), {"channel": NOTIFY_CHANNEL, "train": train.key})
    return event_value(row)


def list_events(
    db: Session, *, actor: Actor, train_key: str | None, after: int = 0, limit: int | None = None
) -> list[Event]:
    """The train's events with ``seq`` greater than ``after``, oldest first."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    query = select(EventRow).where(EventRow.train_id == train.id, EventRow.seq > after).order_by(EventRow.seq)
    if limit is not None:
        query = query.limit(limit)
    return [event_value(row) for row in db.scalars(query)]
