"""The train's connection to its tracker as the API and the page show it."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from artsync.domain import tracker
from artsync.domain.tracker import Changes
from artsync.services.connections import Connection
from artsync.services.outbox import Message
from artsync.views.base import Instant, Record


class Conflict(Record):
    at: Instant
    item: str
    field: str
    artsync: str
    tracker: str
    winner: str


class Push(Record):
    id: int
    change: str = Field(description="the change, as a sentence")
    state: str
    attempts: int
    next_attempt_at: Instant
    last_error: str | None


class TrackerConnection(Record):
    """Where the train's teams work, and how the sync stands."""

    train: str
    kind: str
    url: str
    project: str
    teams: list[str]
    last_pull_at: Instant | None
    last_push_at: Instant | None = Field(description="when the tracker last took a change made on the board")
    last_error: str | None = Field(description="why the last pull failed; null once one succeeds")
    changes_since: str | None = Field(description="the tracker's time of the newest change pulled")
    items: int = Field(description="tracker items in the mirror")
    webhook: bool = Field(description="whether the tracker's webhooks are accepted (a secret is set)")
    pushes_waiting: list[Push]
    conflicts: list[Conflict]

    @classmethod
    def of(
        cls,
        c: Connection,
        waiting: list[Message],
        conflicts: list[tuple[dt.datetime, tracker.Conflict]],
        webhook: bool,
        pushed: dt.datetime | None,
    ) -> TrackerConnection:
        t = c.settings.tracker
        return cls(
            train=c.train, kind=str(t.kind), url=t.base_url, project=t.project, teams=[m.name for m in c.settings.team],
            last_pull_at=c.last_pull_at, last_push_at=pushed, last_error=c.last_error, changes_since=c.cursor,
            items=c.items, webhook=webhook,
            pushes_waiting=[Push(id=m.id, change=m.subject, state=m.state, attempts=m.attempts,
                                 next_attempt_at=m.next_attempt_at, last_error=m.last_error) for m in waiting],
            conflicts=[Conflict(at=at, item=x.item, field=x.field, artsync=x.artsync, tracker=x.tracker,
                                winner=str(x.winner)) for at, x in conflicts],
        )  # fmt: skip


class PullResult(Record):
    """What a pull brought to the board (or, for a dry run, would)."""

    dry_run: bool
    features_added: list[str]
    cards_added: list[str]
    cards_moved: list[str]
    statuses: list[str]
    estimates: list[str]
    cards_removed: list[str]
    dependencies_added: list[str]
    dependencies_removed: list[str]
    conflicts: int
    problems: list[str]

    @classmethod
    def of(cls, changes: Changes, dry_run: bool) -> PullResult:
        return cls(
            dry_run=dry_run,
            features_added=[f.key for f in changes.features_added],
            cards_added=[c.ref for c in changes.cards_added],
            cards_moved=[f"{ref}: {a} → {b}" for ref, a, b in changes.cards_moved],
            statuses=[f"{ref}: {a} → {b}" for ref, a, b in changes.cards_marked],
            estimates=[f"{ref}: {a} → {b}" for ref, a, b in changes.cards_estimated],
            cards_removed=list(changes.cards_removed),
            dependencies_added=[f"{c}->{p}" for c, p in changes.dependencies_added],
            dependencies_removed=[f"{c}->{p}" for c, p in changes.dependencies_removed],
            conflicts=len(changes.conflicts),
            problems=list(changes.problems),
        )
