"""Pulls from the train's tracker, and pushes to it.

A pull reads the tracker first, whole or since the last pull; only then is anything written, in one transaction
(``services.connections.apply_pull``): a pull that fails while reading changes nothing and keeps the error for
the connection's page; one that fails while writing changes nothing either. A push queues what was changed on
the board since the last one (``route_pushes``) and sends it in order (``deliver_pushes``); what the tracker
does not take waits in the outbox, with the changes after it, and goes later.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from artsync.connectors import azure_devops, jira
from artsync.domain.permissions import Actor
from artsync.domain.tracker import Sprint
from artsync.errors import ArtsyncError, InvalidInputError, TrackerError
from artsync.formats.connection import TrackerKind
from artsync.formats.tracker_csv import read_tracker_csv
from artsync.services.connections import (
    Fetched,
    Pulled,
    PushContext,
    Pusher,
    apply_pull,
    connected_trains,
    deliver_pushes,
    get_connection,
    may_sync,
    record_failure,
    route_pushes,
)
from artsync.services.outbox import Delivered
from artsync.services.trains import get_plan


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
    may_sync(db, actor=actor, train_key=train_key)
    connection = get_connection(db, actor=actor, train_key=train_key)
    db.rollback()  # end the read: the tracker may take a while
    settings = connection.settings
    tracker = TRACKERS[settings.tracker.kind]
    token = settings.token(environ)
    cursor = None if full or connection.cursor is None else connection.cursor
    try:
        with tracker.client(settings, token, **client_options) as http:
            fetched = tracker.fetch(http, settings, cursor)
    except TrackerError as exc:
        if not dry_run:
            record_failure(db, train_key=connection.train, error=exc.message)
        raise
    return apply_pull(db, actor=actor, train_key=connection.train, fetched=fetched, dry_run=dry_run)


def push(db: Session, *, environ: dict[str, str] | None = None, **client_options: Any) -> Delivered:
    """Queue what changed on connected boards since the last push, then send it to the trackers, in order."""
    route_pushes(db, kinds=PUSHABLE)
    return deliver_pushes(db, push=pusher(environ, **client_options))


def pusher(environ: dict[str, str] | None = None, **client_options: Any) -> Pusher:
    """How a queued change reaches its connection's tracker (``deliver_pushes`` sends them in order)."""

    def push(context: PushContext, payload: dict[str, Any]) -> None:
        settings = context.connection.settings
        tracker = TRACKERS[settings.tracker.kind]
        with tracker.client(settings, settings.token(environ), **client_options) as http:
            tracker.push_one(http, context, payload)

    return push


PUSHABLE = frozenset(kind.value for kind in TrackerKind)
TRACKERS = {TrackerKind.JIRA: jira, TrackerKind.AZURE_DEVOPS: azure_devops}  # each: client, fetch, push_one


def sync_round(db: Session, *, actor: Actor, train_key: str | None = None,
               environ: dict[str, str] | None = None) -> dict[str, str]:  # fmt: skip
    """One pull of every connected train (or of ``train_key``), then the pushes: what each train's pull did, or
    why it failed (kept on the connection too); a failing tracker does not stop the others."""
    outcome: dict[str, str] = {}
    for key in [train_key] if train_key else connected_trains(db):
        try:
            pulled = pull(db, actor=actor, train_key=key, environ=environ)
            outcome[key] = "nothing changed" if pulled.changes.empty else "pulled"
        except ArtsyncError as exc:
            db.rollback()
            outcome[key] = exc.message
    push(db, environ=environ)
    return outcome


def import_csv(
    db: Session, *, actor: Actor, train_key: str | None, text: str, iterations: dict[str, int], dry_run: bool = False
) -> Pulled:
    """Jira's CSV export or an Azure DevOps query's CSV, brought to the board as a pull would bring the same items
    (into the connection's mirror, so the next pull compares with them): each sprint (or iteration path) placed in
    the PI iteration ``iterations`` gives it; one not given is left unplanned and reported."""
    key = may_sync(db, actor=actor, train_key=train_key)
    connection = get_connection(db, actor=actor, train_key=key)
    pi = get_plan(db, actor=actor, train_key=key).pi
    found = read_tracker_csv(text, connection.settings)
    by_index = {it.index: it for it in pi.iterations}
    unknown = sorted(name for name, n in iterations.items() if n not in by_index)
    if unknown:
        raise InvalidInputError(f"--iteration '{unknown[0]}={iterations[unknown[0]]}': {pi.key} has iterations "
                                f"1 to {len(pi.iterations)}")  # fmt: skip
    sprints = tuple(Sprint(name, "", name, by_index[n].start, by_index[n].end) for name, n in iterations.items())
    fetched = Fetched(found.items, sprints, complete=False, cursor=None, from_file=True)
    pulled = apply_pull(db, actor=actor, train_key=key, fetched=fetched, dry_run=dry_run)
    said = tuple(f"sprint {name!r} has no iteration: give --iteration '{name}=N'"
                 for name in sorted(found.sprints - set(iterations)))  # fmt: skip
    kept = tuple(p for p in pulled.changes.problems if "is not one of its team's sprints" not in p)
    return replace(pulled, changes=replace(pulled.changes, problems=said + kept))
