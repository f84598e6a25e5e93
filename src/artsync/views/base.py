"""What every view shares: a record of plain JSON values, and the seq a write answers with."""

from __future__ import annotations

from artsync.domain.events import Event
from artsync.formats.fields import Instant, Record

__all__ = ["Instant", "Record", "Written", "seq_of"]


class Written(Record):
    """Beside the entity, a write answers the seq of the event it made (None when nothing changed).

    A client recognises its own echo on the live channel by this seq.
    """

    seq: int | None = None


def seq_of(event: Event | None) -> int | None:
    """The seq a write answers with: its event's, or None when it changed nothing."""
    return event.seq if event else None
