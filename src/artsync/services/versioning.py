"""Optimistic concurrency: an edit based on an old version is refused, never applied over a newer one.

Two mechanisms hold it together, so that one forgotten step cannot lose an update:

- ``claim`` locks the row for the rest of the transaction (``SELECT … FOR UPDATE`` on
  PostgreSQL; SQLite's write transaction already excludes every other writer), reads it
  again, and refuses the change when the version the person sent is not the one stored.
- every versioned row is mapped with SQLAlchemy's version counter (``store/models.py``), so
  its UPDATE or DELETE is conditional on the version read and fails when the row moved on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from artsync.errors import StaleVersionError

Row = TypeVar("Row")


def claim(
    db: Session,
    row: Row,
    *,
    what: str,
    expected: int | None,
    state: Callable[[Row], dict[str, Any]],
    locked: bool = False,
) -> dict[str, Any]:
    """Lock ``row`` until commit and check the version the change was based on; returns its state before.

    ``locked``: the row was read ``FOR UPDATE`` in this transaction already, so it is current and held.
    """
    if db.get_bind().dialect.name != "sqlite" and not locked:
        # On SQLite the write transaction already excludes every other writer, and what was read before it
        # began was expired (services/transaction.begin_writing): the row is current without a second read.
        db.refresh(row, with_for_update=True)
    before = state(row)
    check_version(what, expected, int(getattr(row, "version")), before)  # noqa: B009  (any versioned row)
    return before


def check_version(what: str, expected: int | None, actual: int, current: dict[str, Any]) -> None:
    """Refuse a change made against an older version of an item."""
    if expected is not None and expected != actual:
        raise stale(what, expected, actual, current)


def stale(what: str, expected: int | None, actual: int | None, current: dict[str, Any]) -> StaleVersionError:
    """The refusal of a change to ``what``, with its state now."""
    shown = ", ".join(f"{k} {v if v is not None else '—'}" for k, v in current.items() if k not in ("version", "ref"))
    had = f"you had version {expected}, it is now {actual}" if expected is not None else f"it is now version {actual}"
    return StaleVersionError(
        f"{what} changed since you read it ({had}{': ' + shown if shown else ''}); look again and retry",
        current=current,
    )
