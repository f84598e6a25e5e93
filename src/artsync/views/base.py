"""What every view shares: a record of plain JSON values, and the seq a write answers with."""

from __future__ import annotations

from artsync.formats.fields import Instant, Record

__all__ = ["Changed", "Instant", "Record"]


class Changed(Record):
    """Beside the entity, a write answers the seq of the event it made (None when nothing changed).

    A client recognises its own echo on the live channel by this seq.
    """

    seq: int | None = None
