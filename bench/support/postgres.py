"""Fresh schemas on the machine's PostgreSQL for one bench run, dropped when it ends."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get("ARTSYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def schemas(count: int = 1) -> Iterator[list[str]]:
    """``count`` new schemas, as database URLs that work in them; the run exits with one clear line when
    PostgreSQL cannot be reached."""
    names = [f"bench_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'CREATE SCHEMA "{name}"'))
    except Exception as exc:
        admin.dispose()
        sys.exit(f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc.__class__.__name__}); `make services` starts it")
    try:
        yield [f"{POSTGRES_URL}?options=-csearch_path%3D{name}" for name in names]
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()
