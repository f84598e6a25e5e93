"""Delivering the outbox: each due message is claimed, sent, and marked sent — or retried with backoff.

A message is claimed by pushing its next attempt past a lease before it is sent, so two workers never
send it at the same time; it is marked sent only after the mail server or webhook accepted it. A message
that keeps failing is retried after 30 s, 1, 2, 4 … minutes (at most an hour apart) and, after
``MAX_ATTEMPTS``, marked failed for the RTE to see and retry.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from artsync.domain.notifications import MAX_ATTEMPTS, retry_after
from artsync.domain.permissions import Action, Actor
from artsync.errors import ConflictError, InvalidInputError, NotFoundError
from artsync.services.permissions import authorize
from artsync.services.trains import find_train
from artsync.services.transaction import transaction
from artsync.store.mapping import utc_now
from artsync.store.models import OutboxRow, WebhookRow

LEASE = timedelta(minutes=2)
STATES = ("pending", "sent", "failed")


class Senders(Protocol):
    """How messages leave: by mail, or by posting to a webhook. Each raises on failure.

    ``channels`` are those that can send now: mail waits, untried, while no mail server is set.
    """

    channels: frozenset[str]

    def email(self, *, to: str, subject: str, body: str, message_id: str, html: str | None = None) -> None: ...

    def webhook(self, *, kind: str, url: str, secret: str | None, payload: dict[str, Any], delivery: str) -> None: ...


@dataclass(frozen=True)
class Message:
    id: int
    channel: str
    recipient: str
    subject: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class Delivered:
    sent: int
    retrying: int
    failed: int


def message_value(row: OutboxRow) -> Message:
    return Message(
        row.id, row.channel, row.recipient, row.subject, row.state, row.attempts, row.next_attempt_at,
        row.last_error, row.created_at, row.sent_at,
    )  # fmt: skip


def message_id(row: OutboxRow) -> str:
    """A stable Message-ID / delivery id: a receiver that sees it twice knows it is the same message."""
    return f"<outbox-{row.id}@artsync>"


def claim(db: Session, now: datetime, limit: int, channels: frozenset[str]) -> list[OutboxRow]:
    with transaction(db):
        rows = db.scalars(
            select(OutboxRow)
            .where(OutboxRow.state == "pending", OutboxRow.next_attempt_at <= now, OutboxRow.channel.in_(channels))
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.next_attempt_at = now + LEASE
    return list(rows)


def deliver(db: Session, *, senders: Senders, now: datetime | None = None, limit: int = 100) -> Delivered:
    """Send the messages that are due; each is marked sent once its recipient accepted it."""
    now = now or utc_now()
    sent = retrying = failed = 0
    for row in claim(db, now, limit, senders.channels):
        try:
            if row.channel == "email":
                senders.email(to=row.recipient, subject=row.subject, body=row.body, message_id=message_id(row),
                              html=(row.payload or {}).get("html"))  # fmt: skip
            else:
                hook = db.get(WebhookRow, int(row.recipient))
                if hook is None or not hook.active:
                    raise LookupError("the webhook was removed")
                senders.webhook(kind=hook.kind, url=hook.url, secret=hook.secret, payload=row.payload or {},
                                delivery=message_id(row))  # fmt: skip
        except Exception as exc:  # any failure of the far side: keep the message and try again later
            with transaction(db):
                if failed_attempt(row, f"{type(exc).__name__}: {exc}", now):
                    failed += 1
                else:
                    retrying += 1
            continue
        with transaction(db):
            row.state, row.sent_at, row.attempts = "sent", now, row.attempts + 1
            sent += 1
    return Delivered(sent, retrying, failed)


def failed_attempt(row: OutboxRow, error: str, now: datetime) -> bool:
    """Count a try the far side did not take: the message waits (backing off) or, after ``MAX_ATTEMPTS``, is given
    up for the RTE to see and retry. True when given up."""
    row.attempts += 1
    row.last_error = error[:2000]
    if row.attempts >= MAX_ATTEMPTS:
        row.state = "failed"
        return True
    row.next_attempt_at = now + retry_after(row.attempts)
    return False


def list_outbox(
    db: Session, *, actor: Actor, train_key: str | None, state: str | None = None, limit: int = 200
) -> tuple[list[Message], dict[str, int]]:
    """The train's messages, newest first, and how many are in each state (the RTE's admin view)."""
    if state is not None and state not in STATES:
        raise InvalidInputError(f"a message is {', '.join(STATES)}, not {state!r}")
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.ADMINISTER)
    query = select(OutboxRow).where(OutboxRow.train_id == train.id)
    if state is not None:
        query = query.where(OutboxRow.state == state)
    rows = db.scalars(query.order_by(OutboxRow.id.desc()).limit(limit))
    counts = dict(
        db.execute(
            select(OutboxRow.state, func.count()).where(OutboxRow.train_id == train.id).group_by(OutboxRow.state)
        ).all()
    )
    return [message_value(r) for r in rows], {s: counts.get(s, 0) for s in STATES}


def retry_message(db: Session, *, actor: Actor, train_key: str | None, message: int) -> Message:
    """Send a failed message again from now, with a fresh count of attempts."""
    with transaction(db):
        train = find_train(db, train_key)
        authorize(actor, train.key, Action.ADMINISTER)
        row = db.get(OutboxRow, message)
        if row is None or row.train_id != train.id:
            raise NotFoundError(f"no message {message} in {train.key}'s outbox")
        if row.state == "sent":
            raise ConflictError(f"message {message} was sent already")
        row.state, row.attempts, row.next_attempt_at = "pending", 0, utc_now()
    return message_value(row)


@dataclass(frozen=True)
class Round:
    """One round of the notification worker."""

    events: int
    messages: int
    digests: int
    delivered: Delivered

    @property
    def busy(self) -> bool:
        d = self.delivered
        return bool(self.messages or self.digests or d.sent or d.retrying or d.failed)

    def summary(self) -> str:
        d = self.delivered
        return (
            f"routed {self.events} events into {self.messages} messages, {self.digests} digests; "
            f"sent {d.sent}, retrying {d.retrying}, failed {d.failed}"
        )


NOTIFIER_LOCK = 0x61727473796E63  # the advisory lock a server's one notifying process holds on PostgreSQL


class NotifierLock:
    """Whether this process is the one of its server that routes and sends notifications (``serve --notify``).

    Every worker of ``serve --workers N`` could run the rounds — the outbox claims each message, so nothing would
    go out twice — but each would find every train's findings each round and keep what sending loads (the forecast's
    NumPy, the HTTP client: ~27 MiB a worker). On PostgreSQL the one that holds an advisory lock does; the database
    lets the lock go with its connection when that process ends or loses it, and the next worker to ask takes over.
    SQLite serves from one process: it always does.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None

    def held(self) -> bool:
        """Take the lock, or confirm it is still held on a live connection; False when another process holds it."""
        if self.engine.dialect.name != "postgresql":
            return True
        try:
            if self.connection is None:
                self.connection = self.engine.connect()
            held = bool(self.connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": NOTIFIER_LOCK}))
            self.connection.commit()
        except DBAPIError:  # the database away, or the connection lost with the lock: ask again next round
            self.release()
            return False
        if not held and self.connection is not None:  # another process holds it: this connection holds nothing
            self.connection.close()
            self.connection = None
        return held

    def release(self) -> None:
        """Let the lock go: the connection that holds it is closed, not handed back to the pool with the lock."""
        if self.connection is not None:
            with contextlib.suppress(DBAPIError):
                self.connection.invalidate()
                self.connection.close()
            self.connection = None


def notification_round(db: Session, *, senders: Senders, now: datetime, digest_hour: int) -> Round:
    """Route new events into the outbox, write the day's digests once the digest hour has passed, send."""
    from artsync.services.notifications import digest_due, queue_digests, route

    routed = route(db, now=now)
    digests = 0
    if now.hour >= digest_hour and digest_due(db, day=now.date()):
        digests = queue_digests(db, day=now.date(), now=now)
    return Round(routed.events, routed.messages, digests, deliver(db, senders=senders, now=now))
