"""Engines, sessions and schema migrations.

``make_engine(url)`` builds an engine; nothing here reads the environment. On PostgreSQL each web worker keeps a
pool of connections, as many as its threads unless the server's ``max_connections`` cannot hold that many for
every worker (``pool_per_worker``).
SQLite gets WAL mode, enforced foreign keys and a busy timeout so that a
second process waits for a writer instead of failing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, IntegrityError, NoSuchModuleError, OperationalError
from sqlalchemy.exc import TimeoutError as SqlTimeoutError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from artsync.errors import InvalidInputError, StoreUnavailableError

# Connection option a service's write transaction sets: on SQLite it begins IMMEDIATE.
WRITE_OPTION = "artsync_write"
# Connections kept per SQLite engine: more than the web server's thread pool (40), so that a request
# never waits for a connection while another waits for a thread.
SQLITE_POOL = 64
POSTGRES_POOL = 40  # the web server's thread pool
# PostgreSQL connections left for what is not a web worker: the command line, `notify run`, a backup, psql.
HEADROOM = 10
LEAST_POOL = 4  # fewer connections per web worker than this and requests queue for them under any load


def make_engine(url: str, pool_size: int | None = None) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://…``); on PostgreSQL it keeps
    ``pool_size`` connections (``POSTGRES_POOL`` by default)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreUnavailableError(
            f"{url!r} is not a database URL; use sqlite:///artsync.db or postgresql+psycopg://user@host/db"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).expanduser().resolve().parent
            if not folder.is_dir():
                raise StoreUnavailableError(f"cannot open {url}: folder {folder} does not exist")
        engine = create_engine(
            url, connect_args={"timeout": 30}, pool_size=SQLITE_POOL, max_overflow=0, pool_timeout=30
        )
        event.listen(engine, "connect", sqlite_pragmas)
        event.listen(engine, "begin", sqlite_begin)
        return engine
    try:
        # As many connections as a web worker has threads (40), kept open: a burst never opens and closes
        # connections, and two workers stay within the server's 100. No ping before each use: after a
        # restart the first statement on a stale connection fails (503, Retry-After) and SQLAlchemy drops
        # the whole pool at once, so the retry gets a fresh connection.
        return create_engine(url, pool_size=pool_size or POSTGRES_POOL, max_overflow=0, pool_timeout=10)
    except NoSuchModuleError:
        raise StoreUnavailableError(f"{url!r}: unsupported database; use sqlite:// or postgresql+psycopg://") from None


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see sqlite_begin) so transactions really are transactions.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sqlite_begin(connection: Any) -> None:
    # A write transaction takes the write lock up front (IMMEDIATE): two writers queue, waiting up to the
    # busy timeout, instead of failing on a lock upgrade. Reads stay deferred: in WAL mode they never wait.
    writing = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def connections_allowed(engine: Engine) -> int:
    """How many connections PostgreSQL takes from users who are not superusers: ``max_connections`` less the
    slots it keeps for superusers (and, from PostgreSQL 16, for the roles of ``pg_use_reserved_connections``)."""
    names = ("max_connections", "superuser_reserved_connections", "reserved_connections")
    asked = text("SELECT name, setting FROM pg_settings WHERE name IN :names")
    with reachable(engine), engine.connect() as connection:
        rows = connection.execute(asked.bindparams(bindparam("names", expanding=True)), {"names": list(names)})
        found: dict[str, int] = {str(name): int(setting) for name, setting in rows}
    return found["max_connections"] - sum(found.get(name, 0) for name in names[1:])


def connections_kept(engine: Engine) -> int:
    """How many connections ``engine``'s pool keeps (another kind of pool: as many as the server's threads)."""
    return engine.pool.size() if isinstance(engine.pool, QueuePool) else POSTGRES_POOL


def pool_per_worker(allowed: int, workers: int, wanted: int | None = None) -> int:
    """The connections each of ``workers`` web workers may keep when PostgreSQL takes ``allowed``: ``wanted``
    (``POSTGRES_POOL`` by default) when all fit, beside one listening connection a worker and ``HEADROOM`` for
    the rest; else as many as fit. Too many workers for the server: InvalidInputError, naming the way out."""
    fit = (allowed - HEADROOM) // max(workers, 1) - 1
    if fit < LEAST_POOL:
        raise InvalidInputError(
            f"PostgreSQL takes {allowed} connections: not enough for {workers} workers (each needs "
            f"{LEAST_POOL + 1}, and {HEADROOM} stay free for the command line); use fewer workers or raise "
            "max_connections"
        )
    return min(wanted or POSTGRES_POOL, fit)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose loaded values stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def migrations_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


@functools.cache
def schema_head() -> str:
    """The newest migration: the revision of the last file in ``migrations/versions`` (numbered in order).

    Read from the file rather than through Alembic, which would cost every command a tenth of a
    second; tests/store/test_migrations.py checks that Alembic names the same head.
    """
    newest = sorted((Path(__file__).parent / "migrations" / "versions").glob("[0-9]*.py"))[-1]
    found = re.search(r'^revision(?:: str)? = "([^"]+)"', newest.read_text(), re.M)
    assert found is not None, f"{newest.name} names no revision"
    return found.group(1)


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (creates it in an empty database)."""
    from alembic import command

    config = migrations_config()
    with reachable(engine), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def schema_version(engine: Engine) -> str | None:
    """The migration the database is at, or None when it has no artsync schema."""
    database = engine.url.database
    is_file = engine.url.get_backend_name() == "sqlite" and database not in (None, "", ":memory:")
    if is_file and not Path(str(database)).expanduser().exists():
        return None  # connecting would leave an empty file behind
    with reachable(engine), engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(engine: Engine) -> None:
    """Fail with a message that says what to run when the schema is missing or old."""
    version = schema_version(engine)
    if version is None:
        raise StoreUnavailableError(
            f"no artsync data at {engine.url.render_as_string(hide_password=True)}: "
            "run `artsync init` (or `artsync demo`) first"
        )
    if version != schema_head():
        raise StoreUnavailableError(f"the database schema is at {version}, not {schema_head()}: run `artsync init`")


@contextmanager
def reachable(engine: Engine) -> Iterator[None]:
    """Turn a database that cannot be reached into a message a person can act on."""
    try:
        yield
    except IntegrityError:
        raise  # a clash with existing data, not an unreachable database: the service words it
    except DataError as exc:
        # The database refused a value (text it cannot keep, a number out of its range): bad input, not a fault.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise InvalidInputError(f"the database refused a value: {reason}") from None
    except SqlTimeoutError:
        raise StoreUnavailableError("the server is too busy to reach the database right now; try again") from None
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreUnavailableError(f"cannot reach the database at {where}: {reason}") from None
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreUnavailableError(f"database error: {reason}") from None
