"""The train's calendar as a feed: its entries, and the revocable tokens calendar clients subscribe with."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.calendar import CalendarEntry, train_calendar
from artsync.domain.permissions import Action, Actor
from artsync.errors import ForbiddenError, NotFoundError, UnauthenticatedError
from artsync.services.auth import digest, find_user
from artsync.services.meetings import meeting_value
from artsync.services.people import actor_of
from artsync.services.permissions import authorize
from artsync.services.trains import find_train
from artsync.services.transaction import transaction
from artsync.store.mapping import pi_value, utc_now
from artsync.store.models import FeedTokenRow, HolidayRow, MeetingRow, PIRow, TrainRow, UserRow

FEED_PREFIX = "asf_"


@dataclass(frozen=True)
class FeedToken:
    """A feed token, shown once; ``prefix`` names it afterwards (to revoke it)."""

    token: str
    prefix: str
    user: str
    train: str

    @property
    def path(self) -> str:
        return f"/api/v1/trains/{self.train}/calendar.ics?token={self.token}"


def get_calendar(db: Session, *, actor: Actor, train_key: str | None) -> tuple[str, list[CalendarEntry]]:
    """The calendar's name and every entry of the train's PIs that are not closed, by day."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    return calendar_of(db, train)


def calendar_of(db: Session, train: TrainRow) -> tuple[str, list[CalendarEntry]]:
    meetings = [meeting_value(m) for m in db.scalars(select(MeetingRow).where(MeetingRow.train_id == train.id))]
    holidays = list(db.scalars(select(HolidayRow.day).where(HolidayRow.train_id == train.id)))
    entries: list[CalendarEntry] = []
    for row in db.scalars(
        select(PIRow).where(PIRow.train_id == train.id, PIRow.state != "closed").order_by(PIRow.start)
    ):
        entries += train_calendar(train.key, pi_value(row), meetings, holidays)
    return f"{train.name} ({train.key})", entries


def create_feed_token(db: Session, *, actor: Actor, train_key: str | None, user_name: str | None = None) -> FeedToken:
    """A token for one person's calendar client to read one train's calendar; only its hash is kept."""
    name = user_name or actor.name
    if not actor.local_admin and actor.name != name:
        raise ForbiddenError(f"{actor.name} may not make calendar feeds for {name}")
    token = FEED_PREFIX + secrets.token_urlsafe(30)
    with transaction(db):
        train = find_train(db, train_key)
        user = find_user(db, name)
        authorize(actor_of(db, user), train.key, Action.READ)
        prefix = token[: len(FEED_PREFIX) + 8]
        db.add(FeedTokenRow(user_id=user.id, train_id=train.id, prefix=prefix, token_hash=digest(token),
                            created_at=utc_now()))  # fmt: skip
    return FeedToken(token, prefix, name, train.key)


def revoke_feed_token(db: Session, *, actor: Actor, prefix: str) -> str:
    """Revoke a feed token by its prefix: the calendar client stops getting updates."""
    with transaction(db):
        row = db.scalars(select(FeedTokenRow).where(FeedTokenRow.prefix == prefix[: len(FEED_PREFIX) + 8])).first()
        if row is None:
            raise NotFoundError(f"no calendar feed token {prefix!r}")
        user = db.get(UserRow, row.user_id)
        assert user is not None
        if not actor.local_admin and actor.name != user.name:
            raise ForbiddenError(f"{actor.name} may not revoke the feeds of {user.name}")
        if row.revoked_at is None:
            row.revoked_at = utc_now()
    return user.name


def feed_calendar(db: Session, *, token: str, train_key: str) -> tuple[str, list[CalendarEntry]]:
    """The calendar a feed token may read: its train's, while the token stands and its user may read."""
    row = db.scalars(select(FeedTokenRow).where(FeedTokenRow.token_hash == digest(token))).first()
    if row is None or row.revoked_at is not None:
        raise UnauthenticatedError("this calendar feed is unknown or was revoked: make a new one")
    train = db.get(TrainRow, row.train_id)
    user = db.get(UserRow, row.user_id)
    if train is None or user is None or train.key != train_key:
        raise UnauthenticatedError("this calendar feed is for another train")
    authorize(actor_of(db, user), train.key, Action.READ)
    return calendar_of(db, train)
