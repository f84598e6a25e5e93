"""Shared fixtures: a fresh database on SQLite and on the local PostgreSQL for every integration test.

PostgreSQL is never skipped: when it cannot be reached the run stops with a
message that says so (``make test`` starts it first).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from artsync.store.db import make_engine, migrate

POSTGRES_URL = os.environ.get("ARTSYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_admin():
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)  # survives a restart
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect ends the run with a clear message
        pytest.exit(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc.__class__.__name__}); "
            "start it (make test does) or set ARTSYNC_TEST_POSTGRES_URL",
            returncode=3,
        )
    yield engine
    engine.dispose()


@contextmanager
def postgres_schema(admin) -> Iterator[str]:
    """A database URL whose connections use a fresh schema of their own, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite file at the newest migration, copied for each test that wants a schema."""
    path = tmp_path_factory.mktemp("template") / "artsync.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def migrated_postgres(postgres_admin) -> Iterator[str]:
    """A PostgreSQL database at the newest migration, the template of each test's own database."""
    name = f"artsync_template_{uuid.uuid4().hex[:8]}"
    with postgres_admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}")
    migrate(engine)
    engine.dispose()
    yield name
    with postgres_admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


@contextmanager
def postgres_database(admin, template: str) -> Iterator[str]:
    """The URL of a database of its own, a copy of ``template`` (a few hundredths of a second), dropped after."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A database URL, once for SQLite and once for PostgreSQL (a database of its own): empty, or — when the
    test uses ``engine`` — already at the newest migration, copied from a template made once per run."""
    migrated = "engine" in request.fixturenames
    if request.param == "sqlite":
        if migrated:
            shutil.copyfile(request.getfixturevalue("migrated_sqlite"), tmp_path / "artsync.db")
        yield f"sqlite:///{tmp_path / 'artsync.db'}"
        return
    admin = request.getfixturevalue("postgres_admin")
    if migrated:
        with postgres_database(admin, request.getfixturevalue("migrated_postgres")) as url:
            yield url
        return
    with postgres_schema(admin) as url:
        yield url


@pytest.fixture
def postgres_url(postgres_admin) -> Iterator[str]:
    """An empty PostgreSQL database URL (its own schema), for tests that need several processes."""
    with postgres_schema(postgres_admin) as url:
        yield url


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)  # at the newest migration already (database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashes() -> Iterator[object]:
    """Argon2id with its smallest costs in tests: hashing with the recommended ones takes a sixth of a second, on
    purpose, and the suite signs up hundreds of people. A hash names its costs, so any process verifies it;
    tests/services/test_auth.py checks the real hasher's parameters."""
    from argon2 import PasswordHasher

    from artsync.services import auth, people

    real = people.HASHER
    quick = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    people.HASHER = auth.HASHER = quick
    yield real  # the hasher the product uses
    people.HASHER = auth.HASHER = real


@pytest.fixture(autouse=True)
def events_match_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every change a test makes in this process is held to its typed payload in domain/events.CATALOGUE."""
    import types
    from functools import cache

    from pydantic import ConfigDict, TypeAdapter

    from artsync.domain.events import payload_of
    from artsync.services.writes import Write

    @cache
    def adapter(payload: type) -> TypeAdapter[object]:
        strict = ConfigDict(extra="forbid", strict=True)  # every field named, none more, no coercion
        held = types.new_class(payload.__name__, (payload,), {}, lambda ns: ns.update(__pydantic_config__=strict))
        return TypeAdapter(held)

    record = Write.record

    def checked(self: Write, entity: str, entity_id: str, action: str, **kwargs: object):
        payload = payload_of(entity, action)
        shown = kwargs["after"] if kwargs["after"] is not None else kwargs["before"]
        if payload is not None:
            adapter(payload).validate_python(shown)
        return record(self, entity, entity_id, action, **kwargs)  # type: ignore[arg-type]

    record_many = Write.record_many

    def checked_many(self: Write, changes: list) -> list:
        for entity, _, action, before, after in changes:
            payload = payload_of(entity, action)
            if payload is not None:
                adapter(payload).validate_python(after if after is not None else before)
        return record_many(self, changes)

    monkeypatch.setattr(Write, "record", checked)
    monkeypatch.setattr(Write, "record_many", checked_many)
