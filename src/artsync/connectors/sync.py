"""A pull from the train's tracker: read it (the connector of its kind), then bring its changes to the board.

The tracker is read first, whole or since the last pull; only then is anything written, in one transaction
(``services.connections.apply_pull``): a pull that fails while reading changes nothing and keeps the error
for the connection's page; one that fails while writing changes nothing either.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from artsync.connectors import jira
from artsync.domain.permissions import Actor
from artsync.errors import TrackerError
from artsync.formats.connection import TrackerKind
from artsync.services.connections import Pulled, apply_pull, get_connection, record_failure


def pull(
    db: Session,
    *,
    actor: Actor,
    train_key: str,
    dry_run: bool = False,
    full: bool = False,
    environ: dict[str, str] | None = None,
    **client_options: Any,
) -> Pulled:
    """Pull what changed in the tracker since the last pull (``full``: everything, noticing what is gone)."""
    connection = get_connection(db, actor=actor, train_key=train_key)
    db.rollback()  # end the read: the tracker may take a while
    settings = connection.settings
    if settings.tracker.kind is not TrackerKind.JIRA:
        raise TrackerError(f"pulling from {settings.tracker.kind} is not available yet; Jira is")
    token = settings.token(environ)
    cursor = None if full or connection.cursor is None else connection.cursor
    try:
        with jira.client(settings, token, **client_options) as http:
            fetched = jira.fetch(http, settings, cursor)
    except TrackerError as exc:
        if not dry_run:
            record_failure(db, train_key=connection.train, error=exc.message)
        raise
    return apply_pull(db, actor=actor, train_key=connection.train, fetched=fetched, dry_run=dry_run)
