"""Backup and restore of the whole database: the event log, people, plans, meetings, decisions, calendars.

``backup`` reads every table in one consistent snapshot; ``restore`` writes them into an
empty database in one transaction — all of it or nothing — keeping every id, so the
log's seqs, links and tokens stay as they were. Only the operator at the command line
(who owns the database) does either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from artsync.domain.permissions import Actor
from artsync.errors import ConflictError, ForbiddenError, InvalidInputError
from artsync.formats.backup import FORMAT, value_in, value_out
from artsync.services.transaction import transaction
from artsync.store.db import schema_head, schema_version
from artsync.store.mapping import utc_now
from artsync.store.models import Base, TrainRow, UserRow


@dataclass(frozen=True)
class Restored:
    """What a restore wrote: rows per table."""

    rows: dict[str, int]


def operator_only(actor: Actor, what: str) -> None:
    if not actor.local_admin:
        raise ForbiddenError(f"only the operator of the database may {what}")


def backup(engine: Engine, *, actor: Actor) -> dict[str, Any]:
    """Every table's rows, read in one snapshot, as an ``artsync-backup/1`` document."""
    operator_only(actor, "back it up")
    version = schema_version(engine)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():  # SQLite: one read snapshot; PostgreSQL: repeatable read
            tables = {}
            for table in Base.metadata.sorted_tables:
                order = [c for c in table.primary_key.columns] or list(table.columns)
                rows = connection.execute(select(table).order_by(*order)).all()
                tables[table.name] = {
                    "columns": [c.name for c in table.columns],
                    "rows": [[value_out(v) for v in row] for row in rows],
                }
    return {"format": FORMAT, "schema": version, "made_at": utc_now().isoformat(), "tables": tables}


def restore(db: Session, *, actor: Actor, document: dict[str, Any]) -> Restored:
    """Write a backup into this (empty, migrated) database; all of it or nothing."""
    operator_only(actor, "restore it")
    if document.get("schema") != schema_head():
        raise InvalidInputError(
            f"the backup is of schema {document.get('schema')}, this artsync is at {schema_head()}: "
            "restore it with the artsync that made it, then upgrade"
        )
    tables = document.get("tables")
    if not isinstance(tables, dict):
        raise InvalidInputError("the backup holds no tables")
    known = {t.name: t for t in Base.metadata.sorted_tables}
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise InvalidInputError(f"the backup has tables this artsync does not know: {', '.join(unknown)}")
    written: dict[str, int] = {}
    with transaction(db):
        if db.scalar(select(func.count()).select_from(TrainRow)) or db.scalar(
            select(func.count()).select_from(UserRow)
        ):
            raise ConflictError("this database already holds data: restore into an empty one (`artsync init`)")
        for table in Base.metadata.sorted_tables:  # parents before children
            content = tables.get(table.name) or {"columns": [], "rows": []}
            columns = content["columns"]
            missing = [c for c in columns if c not in table.c]
            if missing:
                raise InvalidInputError(f"{table.name}: the backup has columns this artsync does not know: {missing}")
            rows = [
                {name: value_in(table, name, value) for name, value in zip(columns, row, strict=True)}
                for row in content["rows"]
            ]
            for start in range(0, len(rows), 1000):
                db.execute(insert(table), rows[start : start + 1000])
            written[table.name] = len(rows)
        if db.get_bind().dialect.name == "postgresql":
            restart_sequences(db)
    return Restored(written)


def restart_sequences(db: Session) -> None:
    """New rows after a restore get ids after the restored ones (PostgreSQL keeps a sequence per table)."""
    for table in Base.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement in (True, "auto"):
            db.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                )
            )
