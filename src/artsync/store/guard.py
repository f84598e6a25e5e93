"""The store's last check on text: nothing too long, and nothing a database cannot keep.

Every row written, by any service, passes here: each string column is held to its
limit (its declared length, or for unbounded text the limit of ``domain/limits.py``),
and no string may hold a NUL or a lone surrogate, which SQLite would keep and
PostgreSQL refuse. The services and the API check first, with messages about their
own fields; this makes sure nothing slips through a face that forgot.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, event
from sqlalchemy.orm import Mapper

from artsync.domain import limits
from artsync.errors import InvalidInputError

# Unbounded text columns that hold something shorter than a document.
TEXT_LIMITS = {
    "features.title": limits.TITLE,
    "decisions.question": limits.TITLE,
    "objectives.text": limits.TEXT,
    "risks.text": limits.TEXT,
    "risks.note": limits.TEXT,
    "baselines.override_reason": limits.TEXT,
    "action_items.text": limits.TEXT,
    "decisions.decision": limits.TEXT,
    "decisions.rationale": limits.TEXT,
    "impediments.text": limits.TEXT,
    "impediments.note": limits.TEXT,
    "conflicts.summary": limits.TEXT,
    "conflicts.decision": limits.TEXT,
    "conflicts.rationale": limits.TEXT,
    "problems.text": limits.TEXT,
    "webhooks.url": limits.URL,
}


def check_row(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    """Refuse a row whose text breaks a limit, naming the field."""
    table = target.__table__
    for column in table.columns:
        value = getattr(target, column.key, None)
        if value is None:
            continue
        if isinstance(column.type, JSON):
            check_json(f"{column.key}", value)
        elif isinstance(column.type, String) and isinstance(value, str):
            limit = column.type.length or TEXT_LIMITS.get(f"{table.name}.{column.name}", limits.DOCUMENT)
            problem = limits.text_problem(value, limit)
            if problem:
                raise InvalidInputError(f"{column.key.replace('_', ' ')} {problem}")


def check_json(path: str, value: Any) -> None:
    if isinstance(value, str):
        problem = limits.text_problem(value, limits.DOCUMENT)
        if problem:
            raise InvalidInputError(f"{path} {problem}")
    elif isinstance(value, dict):
        for name, item in value.items():
            check_json(f"{path}.{name}", item)
    elif isinstance(value, list | tuple):
        for item in value:
            check_json(path, item)


def guard(base: type) -> None:
    """Check every row of ``base``'s models before it is inserted or updated."""
    event.listen(base, "before_insert", check_row, propagate=True)
    event.listen(base, "before_update", check_row, propagate=True)
