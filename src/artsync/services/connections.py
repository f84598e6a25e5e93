"""A train's connection to its teams' tracker, and the pulls that bring the tracker's changes to the board.

``connect`` keeps the connection file's settings (never the token). A pull is two steps: a connector reads the
tracker (``connectors/``), then ``apply_pull`` — in one transaction, all or nothing — updates the mirror of the
tracker's items, works out what the tracker implies now, brings what it changed since the last pull to the board
through the usual services (so every change is an event, by the connection's actor, and reaches open boards), and
keeps what it implied as the base of the next pull. A dry run works out the same changes and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from artsync.domain import tracker
from artsync.domain.cadence import PI
from artsync.domain.event_text import sentence
from artsync.domain.events import Entity, Event
from artsync.domain.permissions import Action, Actor, Grant, Role
from artsync.domain.plan import Card, Feature, Milestone, split_card_ref
from artsync.domain.tracker import Changes, Implied, Item, Progress, Release, Sprint
from artsync.domain.wsjf import WsjfInputs
from artsync.errors import ArtsyncError, InvalidInputError, NotFoundError
from artsync.formats.connection import ConnectionFile
from artsync.services import cards as card_service
from artsync.services import dependencies as dependency_service
from artsync.services import features as feature_service
from artsync.services import milestones as milestone_service
from artsync.services.auth import aware
from artsync.services.events import events_after
from artsync.services.outbox import Delivered, Message, failed_attempt, message_value
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.services.transaction import transaction
from artsync.services.writes import writing
from artsync.store.mapping import load_plan, pi_value, utc_now
from artsync.store.models import ConnectionRow, OutboxRow, SyncConflictRow, TeamRow, TrackerItemRow, TrainRow

ACTOR_PREFIX = {"jira": "jira", "azure-devops": "ado"}


@dataclass(frozen=True)
class Connection:
    """A train's connection as the CLI, the API and the page show it."""

    train: str
    settings: ConnectionFile
    cursor: str | None
    last_pull_at: datetime | None
    last_error: str | None
    items: int

    @property
    def actor_name(self) -> str:
        """Who the pulled changes are by: ``jira:<user>``, ``ado:<user>`` (the project's name when the file names no
        user, as an Azure DevOps token's does not)."""
        tracker = self.settings.tracker
        return f"{ACTOR_PREFIX.get(str(tracker.kind), str(tracker.kind))}:{tracker.user or tracker.project}"


def connect(db: Session, *, actor: Actor, settings: ConnectionFile) -> Connection:
    """Keep (or replace) the train's connection to its tracker; every team it maps must be on the train."""
    with writing(db, actor=actor, train_key=settings.train.key, may=Action.ADMINISTER) as w:
        teams = set(db.scalars(select(TeamRow.key).where(TeamRow.train_id == w.train.id)))
        unknown = [t.name for t in settings.team if t.name not in teams]
        if unknown:
            raise InvalidInputError(
                f"team: {', '.join(unknown)} not on train {w.train.key} (its teams: {', '.join(sorted(teams))})"
            )
        row = db.scalars(select(ConnectionRow).where(ConnectionRow.train_id == w.train.id)).first()
        record = settings.model_dump(mode="json")
        if row is None:
            row = ConnectionRow(train_id=w.train.id, kind=settings.tracker.kind, url=settings.tracker.base_url,
                                settings=record, base={}, sprints=[], pushed_seq=w.train.last_seq,
                                created_at=utc_now())  # fmt: skip
            db.add(row)
        else:
            if (row.kind, row.url, row.settings["tracker"]["project"]) != (
                settings.tracker.kind,
                settings.tracker.base_url,
                settings.tracker.project,
            ):  # another tracker or project: what was pulled from the old one says nothing of the new
                db.execute(delete(TrackerItemRow).where(TrackerItemRow.connection_id == row.id))
                row.cursor, row.base = None, {}
            row.kind, row.url, row.settings = settings.tracker.kind, settings.tracker.base_url, record
        db.flush()
        w.record(Entity.CONNECTION, w.train.key, "connected", before=None, after={
            "kind": str(settings.tracker.kind), "url": settings.tracker.base_url,
            "project": settings.tracker.project, "teams": [t.name for t in settings.team],
        })  # fmt: skip
    return connection_of(db, row, w.train.key)


def get_connection(db: Session, *, actor: Actor, train_key: str | None) -> Connection:
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    return connection_of(db, find_connection(db, train.id, train.key), train.key)


def may_sync(db: Session, *, actor: Actor, train_key: str | None) -> str:
    """Check that ``actor`` may pull and push the train's tracker (the RTE's job); the train's key."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.ADMINISTER)
    return train.key


def find_connection(db: Session, train_id: int, train_key: str) -> ConnectionRow:
    row = db.scalars(select(ConnectionRow).where(ConnectionRow.train_id == train_id)).first()
    if row is None:
        raise NotFoundError(f"train {train_key} is not connected to a tracker: run `artsync connect FILE.toml` first")
    return row


def connected_trains(db: Session) -> list[str]:
    """The keys of the trains connected to a tracker."""
    query = select(TrainRow.key).join(ConnectionRow, ConnectionRow.train_id == TrainRow.id).order_by(TrainRow.key)
    return list(db.scalars(query))


def connection_of(db: Session, row: ConnectionRow, train_key: str) -> Connection:
    count = db.scalar(select(func.count()).select_from(TrackerItemRow).where(TrackerItemRow.connection_id == row.id))
    return Connection(train_key, ConnectionFile.model_validate(row.settings), row.cursor, row.last_pull_at,
                      row.last_error, int(count or 0))  # fmt: skip


def connection_actor(connection: Connection) -> Actor:
    """The connection acts on its train with the RTE's rights, under its own name."""
    return Actor(name=connection.actor_name, grants=(Grant(connection.train, Role.RTE),))


@dataclass(frozen=True)
class Fetched:
    """What a connector read from the tracker: items (all of them, or those changed since the cursor), the teams'
    sprints, and the newest change's time (the next cursor)."""

    items: tuple[Item, ...]
    sprints: tuple[Sprint, ...]
    complete: bool  # every item of the project: anything the mirror holds beyond them is gone from the tracker
    cursor: str | None
    from_file: bool = False  # a CSV export: its sprints are placed by hand, not the tracker's own
    releases: tuple[Release, ...] = ()  # when the connection maps releases to milestones


@dataclass(frozen=True)
class Pulled:
    changes: Changes
    dry_run: bool
    items: int  # in the mirror after the pull


def apply_pull(db: Session, *, actor: Actor, train_key: str, fetched: Fetched, dry_run: bool = False) -> Pulled:
    """Bring what the tracker changed since the last pull to the board — all of it or, on any error, none.
    A dry run works out the same changes and writes nothing."""
    if dry_run:
        try:
            return Pulled(work_out(db, actor, train_key, fetched).changes, True, 0)
        finally:
            db.rollback()  # ends the read
    with transaction(db):
        pull = work_out(db, actor, train_key, fetched)
        row, changes = pull.row, pull.changes
        pull_actor = connection_actor(pull.connection)
        bring(db, pull_actor, pull.connection.train, changes)
        mirror = TrackerItemRow.__table__
        assert isinstance(mirror, Table)
        gone = sorted(set(pull.mirror) - set(pull.items))
        for at in range(0, len(gone), 500):
            db.execute(delete(TrackerItemRow).where(TrackerItemRow.connection_id == row.id,
                                                    TrackerItemRow.key.in_(gone[at : at + 500])))  # fmt: skip
        changed = [{"_key": i.key, "item": item_record(i)} for i in fetched.items if i.key in pull.mirror]
        if changed:
            db.execute(
                update(mirror).where(mirror.c.connection_id == row.id, mirror.c.key == bindparam("_key"))
                .values(item=bindparam("item")), changed
            )  # fmt: skip
        new = [{"connection_id": row.id, "key": i.key, "item": item_record(i)} for i in fetched.items
               if i.key not in pull.mirror]  # fmt: skip
        if new:
            db.execute(insert(mirror), new)
        for c in changes.conflicts:
            db.add(SyncConflictRow(connection_id=row.id, item=c.item, field=c.field, artsync_value=c.artsync,
                                   tracker_value=c.tracker, winner=c.winner, at=utc_now()))  # fmt: skip
        row.base = implied_record(pull.now)
        if not fetched.from_file:
            row.sprints = [sprint_record(sprint) for sprint in fetched.sprints]
        row.cursor = fetched.cursor or row.cursor
        row.last_pull_at, row.last_error = utc_now(), None
        with writing(db, actor=pull_actor, train_key=pull.connection.train) as w:
            w.record(Entity.CONNECTION, w.train.key, "pulled", before=None, after=pull_counts(changes))
    return Pulled(changes, False, len(pull.items))


@dataclass(frozen=True)
class WorkedOut:
    row: ConnectionRow
    connection: Connection
    mirror: dict[str, dict[str, Any]]  # what the mirror held, by key
    items: dict[str, Item]
    now: Implied
    changes: Changes


def work_out(db: Session, actor: Actor, train_key: str, fetched: Fetched) -> WorkedOut:
    """The mirror with what was fetched, what the tracker implies now, and what that changes on the board."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.ADMINISTER)
    row = find_connection(db, train.id, train.key)
    # Two pulls at once (the terminal and a webhook) take turns: the second reads the base the first left.
    db.refresh(row, with_for_update=True)
    connection = connection_of(db, row, train.key)
    mirror: dict[str, dict[str, Any]] = {
        key: record  # plain values, not mapped rows: thousands of them would slow every flush of the pull
        for key, record in db.execute(
            select(TrackerItemRow.key, TrackerItemRow.item).where(TrackerItemRow.connection_id == row.id)
        )
    }
    items = {} if fetched.complete else {key: item_of(record) for key, record in mirror.items()}
    items.update({i.key: i for i in fetched.items})
    pi_row = find_current_pi(db, train)
    plan = load_plan(db, train, pi_row)
    sprints = {s.id: s for s in fetched.sprints}
    now = tracker.implied(items.values(), sprints, pi_value(pi_row), [t.key for t in plan.teams], fetched.releases)
    if not fetched.releases:  # not read this time (a CSV, or releases not mapped): the last pull's stand
        now = replace(now, milestones=implied_of(row.base).milestones)
    changes = tracker.reconcile(
        implied_of(row.base),
        now,
        plan.features_by_key,
        plan.cards_by_ref,
        [(d.consumer, d.provider) for d in plan.dependencies],
        rules=connection.settings.rules.rules(),
        planning=pi_row.state == "planning",
        board_milestones={m.key: m for m in plan.milestones},
    )
    return WorkedOut(row, connection, mirror, items, now, changes)


def record_failure(db: Session, *, train_key: str, error: str) -> None:
    """Keep what went wrong with the last pull, for the connection's page and `artsync sync status`."""
    with transaction(db):
        train = find_train(db, train_key)
        row = find_connection(db, train.id, train.key)
        row.last_error = error[:2000]


def bring(db: Session, actor: Actor, train: str, changes: Changes) -> None:
    """The changes, through the services, in an order that needs nothing not yet there."""
    feature_service.import_features(db, actor=actor, train_key=train, features=changes.features_added)
    milestone_service.put_milestones(db, actor=actor, train_key=train, milestones=changes.milestones)
    for feature in changes.features_edited:
        scores = feature.wsjf
        feature_service.edit_feature(db, actor=actor, train_key=train, key=feature.key, version=None, changes={
            "title": feature.title, "kind": feature.kind,
            "ubv": scores.ubv, "tc": scores.tc, "rroe": scores.rroe, "size": scores.size,
        })  # fmt: skip
    for consumer, provider in changes.dependencies_removed:
        dependency_service.remove_dependency(db, actor=actor, train_key=train, consumer=consumer, provider=provider)
    for ref in changes.cards_removed:
        card_service.remove_card(db, actor=actor, train_key=train, ref=ref)
    card_service.add_cards(db, actor=actor, train_key=train, cards=changes.cards_added)
    for ref, _, to in changes.cards_moved:
        card_service.move_card(db, actor=actor, train_key=train, ref=ref, to_iteration=to)
    for ref, _, status in changes.cards_marked:
        card_service.set_card_status(db, actor=actor, train_key=train, ref=ref, status=status)
    for ref, _, points in changes.cards_estimated:
        card_service.set_card_points(db, actor=actor, train_key=train, ref=ref, points=points)
    dependency_service.add_dependencies(db, actor=actor, train_key=train, pairs=changes.dependencies_added)


def pull_counts(changes: Changes) -> dict[str, int]:
    return {
        "features": len(changes.features_added),
        "cards": len(changes.cards_added),
        "moves": len(changes.cards_moved),
        "statuses": len(changes.cards_marked),
        "estimates": len(changes.cards_estimated),
        "removed": len(changes.cards_removed),
        "dependencies": len(changes.dependencies_added) + len(changes.dependencies_removed),
        "milestones": len(changes.milestones),
        "conflicts": len(changes.conflicts),
        "problems": len(changes.problems),
    }


# Pushing: what is changed on the board goes to the tracker, in order, through the outbox.

PUSHED = {("card", "moved"), ("card", "status"), ("dependency", "added"), ("dependency", "removed")}
TRACKER_CHANNEL = "tracker"


@dataclass(frozen=True)
class PushContext:
    """What a push needs: the connection, the mirror of the tracker's items and the teams' sprints."""

    connection: Connection
    items: dict[str, Item]
    sprints: tuple[Sprint, ...]
    pi: PI  # the current PI, whose iterations the sprints fall in

    def card_items(self, ref: str) -> list[str]:
        """The tracker items a card stands for: its feature's children in its team, or the feature itself."""
        feature, team = split_card_ref(ref)
        children = sorted(i.key for i in self.items.values() if i.parent == feature and i.team == team)
        if children:
            return children
        own = self.items.get(feature)
        return [feature] if own is not None and own.team == team else []


Pusher = Callable[[PushContext, dict[str, Any]], None]  # raises when the tracker did not take it


def route_pushes(
    db: Session, *, kinds: frozenset[str], train_key: str | None = None, now: datetime | None = None
) -> int:
    """Queue each move, status change and dependency change made on a connected train's board (not by the
    connection itself) since the last routing, one outbox message each, once (``dedupe_key``) — for the
    connections to trackers of ``kinds`` (those that can be pushed to)."""
    now = now or utc_now()
    queued = 0
    with transaction(db):
        rows = db.scalars(select(ConnectionRow).order_by(ConnectionRow.id)).all()
        for row in rows:
            train = db.get(TrainRow, row.train_id)
            if train is None or (train_key and train.key != train_key) or row.kind not in kinds:
                continue
            connection = connection_of(db, row, train.key)
            for event in events_after(db, train, row.pushed_seq):
                if (event.entity, event.action) in PUSHED and event.actor != connection.actor_name:
                    db.add(OutboxRow(train_id=train.id, channel=TRACKER_CHANNEL, recipient=str(row.id),
                                     subject=sentence(event), body="", payload=push_payload(event),
                                     dedupe_key=f"tracker:{row.id}:{event.seq}", state="pending", attempts=0,
                                     next_attempt_at=now, created_at=now))  # fmt: skip
                    queued += 1
                row.pushed_seq = event.seq
    return queued


def push_payload(event: Event) -> dict[str, Any]:
    after = event.after or {}
    if event.entity == "card":
        return {"op": "move" if event.action == "moved" else "status", "ref": event.entity_id,
                "iteration": after.get("iteration"), "status": after.get("status"), "seq": event.seq}  # fmt: skip
    consumer, _, provider = event.entity_id.partition("->")
    return {"op": "link" if event.action == "added" else "unlink", "consumer": consumer, "provider": provider,
            "seq": event.seq}  # fmt: skip


def deliver_pushes(db: Session, *, push: Pusher, now: datetime | None = None) -> Delivered:
    """Send each connection's queued pushes in the order they were made; one the tracker does not take waits
    (with backoff) and so do the ones after it, so the tracker sees the changes in order, each once."""
    now = now or utc_now()
    sent = retrying = failed = 0
    for row in db.scalars(select(ConnectionRow).order_by(ConnectionRow.id)).all():
        train = db.get(TrainRow, row.train_id)
        assert train is not None
        waiting = db.scalars(
            select(OutboxRow)
            .where(OutboxRow.channel == TRACKER_CHANNEL, OutboxRow.recipient == str(row.id),
                   OutboxRow.state == "pending")
            .order_by(OutboxRow.id)
        ).all()  # fmt: skip
        if not waiting or aware(waiting[0].next_attempt_at) > now:
            continue
        queue = [(m.id, dict(m.payload or {})) for m in waiting]
        mirrored = db.scalars(select(TrackerItemRow).where(TrackerItemRow.connection_id == row.id))
        sprints = tuple(sprint_of(s) for s in row.sprints)
        pi = pi_value(find_current_pi(db, train))
        context = PushContext(
            connection_of(db, row, train.key), {r.key: item_of(r.item) for r in mirrored}, sprints, pi
        )
        db.rollback()  # the tracker may take a while: no transaction open meanwhile
        for message_id, payload in queue:
            try:
                push(context, payload)
            except Exception as exc:  # the tracker down or refusing: this one and those after it wait
                said = exc.message if isinstance(exc, ArtsyncError) else f"{type(exc).__name__}: {exc}"
                with transaction(db):
                    if failed_attempt(db.get_one(OutboxRow, message_id), said, now):
                        failed += 1
                    else:
                        retrying += 1
                break
            with transaction(db):
                message = db.get_one(OutboxRow, message_id)
                message.state, message.sent_at, message.attempts = "sent", now, message.attempts + 1
                sent += 1
    return Delivered(sent, retrying, failed)


def last_push_at(db: Session, *, actor: Actor, train_key: str | None) -> datetime | None:
    """When the tracker last took a change made on the board."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    row = find_connection(db, train.id, train.key)
    query = select(OutboxRow.sent_at).where(
        OutboxRow.channel == TRACKER_CHANNEL, OutboxRow.recipient == str(row.id), OutboxRow.state == "sent"
    )
    sent = [aware(at) for at in db.scalars(query) if at is not None]
    return max(sent, default=None)


def pending_pushes(db: Session, *, actor: Actor, train_key: str | None) -> list[Message]:
    """The connection's pushes not yet taken by the tracker, oldest first."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    row = find_connection(db, train.id, train.key)
    query = (
        select(OutboxRow)
        .where(OutboxRow.channel == TRACKER_CHANNEL, OutboxRow.recipient == str(row.id), OutboxRow.state != "sent")
        .order_by(OutboxRow.id)
    )
    return [message_value(r) for r in db.scalars(query)]


# The mirror, the sprints and the base as JSON.


def sprint_record(sprint: Sprint) -> dict[str, Any]:
    return {"id": sprint.id, "team": sprint.team, "name": sprint.name,
            "start": sprint.start.isoformat() if sprint.start else None,
            "end": sprint.end.isoformat() if sprint.end else None}  # fmt: skip


def sprint_of(record: Mapping[str, Any]) -> Sprint:
    return Sprint(record["id"], record["team"], record["name"],
                  date.fromisoformat(record["start"]) if record["start"] else None,
                  date.fromisoformat(record["end"]) if record["end"] else None)  # fmt: skip


def item_record(item: Item) -> dict[str, Any]:
    record = asdict(item)
    record["blocked_by"] = list(item.blocked_by)
    record["progress"] = str(item.progress)
    return record


def item_of(record: Mapping[str, Any]) -> Item:
    wsjf = record.get("wsjf")
    return Item(**{**record, "progress": Progress(record["progress"]), "blocked_by": tuple(record["blocked_by"]),
                   "wsjf": WsjfInputs(**wsjf) if wsjf else None})  # fmt: skip


def implied_record(implied: Implied) -> dict[str, Any]:
    return {
        "features": {k: {"title": f.title, "kind": f.kind, **asdict(f.wsjf)} for k, f in implied.features.items()},
        "cards": {
            ref: {"iteration": c.iteration, "points": c.points, "status": c.status} for ref, c in implied.cards.items()
        },
        "dependencies": sorted([list(d) for d in implied.dependencies]),
        "milestones": {
            k: {
                "name": m.name,
                "iteration": m.iteration,
                "date": m.date.isoformat() if m.date else None,
                "features": list(m.features),
            }
            for k, m in implied.milestones.items()
        },
    }


def implied_of(record: Mapping[str, Any]) -> Implied:
    if not record:
        return Implied()
    features = {
        k: Feature(k, f["title"], f["kind"], WsjfInputs(f["ubv"], f["tc"], f["rroe"], f["size"]))
        for k, f in record["features"].items()
    }
    cards = {
        ref: Card(*split_card_ref(ref), c["iteration"], c["points"], c["status"]) for ref, c in record["cards"].items()
    }
    milestones = {
        k: Milestone(k, m["name"], m["iteration"], date.fromisoformat(m["date"]) if m["date"] else None,
                     tuple(m["features"]))
        for k, m in record.get("milestones", {}).items()
    }  # fmt: skip
    return Implied(features, cards, frozenset((c, p) for c, p in record["dependencies"]), milestones=milestones)


def conflicts_of(db: Session, *, actor: Actor, train_key: str | None) -> list[tuple[datetime, tracker.Conflict]]:
    """The connection's conflict log, newest first."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    row = find_connection(db, train.id, train.key)
    query = select(SyncConflictRow).where(SyncConflictRow.connection_id == row.id).order_by(SyncConflictRow.id.desc())
    return [
        (r.at, tracker.Conflict(r.item, r.field, r.artsync_value, r.tracker_value, tracker.Winner(r.winner)))
        for r in db.scalars(query)
    ]
