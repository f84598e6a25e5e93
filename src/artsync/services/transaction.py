"""The one way a service commits: everything or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from artsync.errors import ConflictError
from artsync.store.db import reachable


@contextmanager
def transaction(db: Session) -> Iterator[None]:
    """Commit what the block did, or roll all of it back when it raises."""
    try:
        with reachable(db.get_bind().engine):
            yield
            db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise ConflictError(f"the change clashes with data already there: {exc.orig}") from None
    except BaseException:
        db.rollback()
        raise
