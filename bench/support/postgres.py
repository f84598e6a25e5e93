"""Where a bench's data lives: fresh schemas on the machine's PostgreSQL (dropped when the run ends), or an SQLite
file in a temporary directory — ``--db`` chooses."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

POSTGRES_URL = os.environ.get("ARTSYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_url(given: str | None) -> str:
    """The PostgreSQL server of ``--db`` as an SQLAlchemy URL (``postgresql://`` and ``postgres://`` are taken as
    psycopg's); the machine's own without it. One clear line, and the run ends, for anything else."""
    if not given:
        return POSTGRES_URL
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if given.startswith(prefix):
            return "postgresql+psycopg://" + given.removeprefix(prefix)
    sys.exit(f"--db: give a PostgreSQL URL (postgresql://user@host:port/database) or `sqlite`, not {given!r}")


@contextmanager
def schemas(count: int = 1, server: str | None = None) -> Iterator[list[str]]:
    """``count`` new schemas on ``server`` (a PostgreSQL URL; the machine's own without it), as database URLs that
    work in them; the run exits with one clear line when PostgreSQL cannot be reached."""
    base = server or POSTGRES_URL
    names = [f"bench_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'CREATE SCHEMA "{name}"'))
    except Exception as exc:
        admin.dispose()
        shown = make_url(base).render_as_string(hide_password=True)
        sys.exit(f"PostgreSQL is not reachable at {shown} ({exc.__class__.__name__}); `make services` starts it")
    joiner = "&" if "?" in base else "?"
    try:
        yield [f"{base}{joiner}options=-csearch_path%3D{name}" for name in names]
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@contextmanager
def sqlite_file() -> Iterator[str]:
    """A database URL of a new SQLite file, removed with its directory when the run ends."""
    with tempfile.TemporaryDirectory(prefix="artsync-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"
