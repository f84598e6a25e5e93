"""`serve --notify --workers N`: one worker at a time routes and sends, the one holding the notifier's lock."""

from __future__ import annotations

from sqlalchemy import create_engine

from artsync.services.outbox import NotifierLock


def test_one_process_at_a_time_holds_the_notifier_lock_and_another_takes_it_over(engine, database_url) -> None:
    other_engine = create_engine(database_url)  # another worker: its own pool, its own connections
    first, second = NotifierLock(engine), NotifierLock(other_engine)
    try:
        assert first.held()
        if engine.dialect.name != "postgresql":
            assert second.held()  # SQLite serves from one process: it always sends
            return
        assert not second.held() and second.connection is None  # it holds no connection while it waits
        assert first.held()  # asked again, the holder still holds it
        first.release()  # the holder stops (or its connection is lost): the lock goes with its connection
        assert second.held()
        assert not first.held()
    finally:
        first.release()
        second.release()
        other_engine.dispose()
