"""The one way a service commits: everything or nothing.

After a commit that added to a train's log, the session's ``wake`` callback (set by the
web app and the CLI: the live hub and the relays) is called with the trains, so every
change reaches open boards the same way whoever made it. After a commit that ended a
credential or changed someone's roles (``credentials_changed``), the session's ``forget``
callback is called, and on PostgreSQL a NOTIFY in the transaction itself tells every
server, so none goes on trusting an identity it remembered.

A write transaction on SQLite begins ``IMMEDIATE`` (it takes the single write lock up
front, so two writers queue instead of failing on a lock upgrade); everything else reads
in a deferred transaction that never blocks a writer or another reader. A service called
from inside another's transaction joins it: the outermost one commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from artsync.errors import ConflictError, StaleVersionError
from artsync.store.db import WRITE_OPTION, reachable

log = logging.getLogger("artsync.live")

WRITING = "artsync.writing"
WAKE = "artsync.wake"  # session info: called after a commit with the changed trains' keys and APPENDED
CHANGED_TRAINS = "artsync.changed_trains"  # filled by services.events.append_event
APPENDED = "artsync.appended"  # by train, the events appended where no NOTIFY carries them (SQLite): handed out as such
FORGET = "artsync.forget"  # session info: called after a commit that changed who holds which credential or role
CREDENTIALS = "artsync.credentials_changed"  # set by credentials_changed
NOTIFY_CHANNEL = "artsync_events"  # PostgreSQL: what the servers LISTEN on (events, and credentials changed)
CREDENTIALS_CHANGED = '{"credentials": "changed"}'  # the NOTIFY payload that says so


@contextmanager
def transaction(db: Session) -> Iterator[None]:
    """Commit what the block did, or roll all of it back when it raises."""
    if db.info.get(WRITING):
        yield  # inside another service's transaction: it commits or rolls back the whole
        return
    engine = db.get_bind().engine
    db.info[WRITING] = True
    try:
        with reachable(engine):
            begin_writing(db)
            yield
            db.commit()
        wake_after_commit(db)
        forget_after_commit(db)
    except IntegrityError as exc:
        db.rollback()
        raise ConflictError(f"the change clashes with data already there: {exc.orig}") from None
    except StaleDataError:
        # A row changed between reading it and writing it: its conditional UPDATE matched nothing.
        db.rollback()
        raise StaleVersionError(
            "the item changed while your change was being made; look again and retry", current={}
        ) from None
    except BaseException:
        db.rollback()
        raise
    finally:
        db.info.pop(WRITING, None)
        db.info.pop(CHANGED_TRAINS, None)
        db.info.pop(APPENDED, None)
        db.info.pop(CREDENTIALS, None)


def wake_after_commit(db: Session) -> None:
    """Tell the live hub and the other processes which trains' logs grew; never fails the change."""
    changed = db.info.pop(CHANGED_TRAINS, None)
    appended = db.info.pop(APPENDED, None) or {}
    wake = db.info.get(WAKE)
    if changed and wake is not None:
        try:
            wake(sorted(changed), appended)
        except Exception:  # the change is committed; a client that missed the wake catches up from the log
            log.warning("could not wake the live boards after a commit", exc_info=True)


def credentials_changed(db: Session) -> None:
    """Say that this transaction ends a token or session or changes someone's roles.

    The servers remember who holds a credential for a moment (``web/identities.py``); once
    this commits, each of them forgets. PostgreSQL carries the word in the transaction
    (every server hears it exactly when it commits); otherwise the session's ``forget``
    callback does (this server, and Redis for the others).
    """
    db.info[CREDENTIALS] = True
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_notify(NOTIFY_CHANNEL, CREDENTIALS_CHANGED)))


def forget_after_commit(db: Session) -> None:
    """Call the session's ``forget`` callback after a commit that changed credentials; never fails the change."""
    forget = db.info.get(FORGET)
    if db.info.pop(CREDENTIALS, None) and forget is not None:
        try:
            forget()
        except Exception:  # the change is committed; remembered identities lapse on their own soon after
            log.warning("could not tell the servers to forget the identities they remember", exc_info=True)


def begin_writing(db: Session) -> None:
    """Start a write transaction; on SQLite, end a read snapshot first so the write sees the newest data."""
    if db.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL reads the newest committed data at each statement, and claim() locks rows
    if db.in_transaction():
        db.commit()  # only reads happened so far: nothing to lose, and the snapshot they saw may be old
        db.expire_all()
    db.connection(execution_options={WRITE_OPTION: True})
