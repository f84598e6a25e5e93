"""The migrations are the schema: they match the models, and a migrated database is at the newest."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from artsync.store.db import schema_head, schema_version
from artsync.store.models import Base

MIGRATIONS = Path(__file__).parents[2] / "src" / "artsync" / "store" / "migrations"


def test_the_schema_head_is_the_one_alembic_names() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == schema_head()


def test_migrated_database_matches_the_models(engine) -> None:
    assert schema_version(engine) == schema_head()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_sqlite_database_runs_in_wal_mode(tmp_path) -> None:
    from artsync.store.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    migrate(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
