"""The ``artsync-backup/1`` file: every table of the database, row by row, as JSON (gzip when the name ends .gz).

A backup is portable: made from SQLite it restores into PostgreSQL and back. Values are
written as JSON can hold them — times as ISO 8601 in UTC, dates as YYYY-MM-DD — and read
back into the column's type.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Table

from artsync.errors import InvalidInputError

FORMAT = "artsync-backup/1"


def value_out(value: Any) -> Any:
    """A column value as JSON holds it."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite hands back naive UTC times
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def value_in(table: Table, name: str, value: Any) -> Any:
    """A JSON value read back as the column's type."""
    if value is None:
        return None
    kind = table.c[name].type
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    return value


def write_backup(path: Path, document: dict[str, Any]) -> int:
    """Write the document; returns the bytes written."""
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=6)
    path.write_bytes(data)
    return len(data)


def read_backup(path: Path) -> dict[str, Any]:
    """Read a backup file, or say what is wrong with it."""
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        document = json.loads(data)
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, EOFError, gzip.BadGzipFile) as exc:
        raise InvalidInputError(f"{path} is not an artsync backup: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidInputError(f'{path} is not an artsync backup (no "format": "{FORMAT}")')
    return document
