"""The database schema, as SQLAlchemy 2 declarative models.

Editable rows carry a ``version`` that every change increments. It is SQLAlchemy's
version counter: every UPDATE and DELETE of such a row says ``WHERE id = … AND
version = <the version read>`` and fails when another transaction got there first,
so no write can overwrite a change it did not see, whatever the service forgot.
Services also lock the row before checking the version a person sent
(``services/versioning.py``). Schema changes go
through Alembic migrations (``store/migrations``), never ``create_all``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from artsync.store.guard import guard

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TrainRow(Base):
    __tablename__ = "trains"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)  # the event log's high-water mark
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class PIRow(Base):
    __tablename__ = "pis"
    __table_args__ = (UniqueConstraint("train_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    start: Mapped[date] = mapped_column(Date)
    iteration_weeks: Mapped[int] = mapped_column(Integer)
    iterations: Mapped[int] = mapped_column(Integer)
    ip_last: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class TeamRow(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("train_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    velocity: Mapped[int] = mapped_column(Integer)
    size: Mapped[int | None] = mapped_column(Integer)  # people, for turning leave into availability
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class HolidayRow(Base):
    """A day off for the whole train (the train calendar)."""

    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("train_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))


class LeaveRow(Base):
    """A person's leave (the team calendar). Kept by team key so that re-importing the plan keeps it."""

    __tablename__ = "leave"

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    team_key: Mapped[str] = mapped_column(String(64))
    person: Mapped[str] = mapped_column(String(200))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)


class CapacityRow(Base):
    """A team's capacity in one iteration of a PI, where it differs from its velocity.

    ``source`` is ``calendar`` for a figure calculated from holidays and leave (recalculated
    whenever the calendars change) and ``team`` for the team's own adjustment, which wins.
    """

    __tablename__ = "capacities"

    pi_id: Mapped[int] = mapped_column(ForeignKey("pis.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    iteration: Mapped[int] = mapped_column(Integer, primary_key=True)
    points: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), default="team", server_default="team")


class FeatureRow(Base):
    __tablename__ = "features"
    __table_args__ = (UniqueConstraint("train_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    ubv: Mapped[int] = mapped_column(Integer)
    tc: Mapped[int] = mapped_column(Integer)
    rroe: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class CardRow(Base):
    __tablename__ = "cards"
    __table_args__ = (UniqueConstraint("pi_id", "feature_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pi_id: Mapped[int] = mapped_column(ForeignKey("pis.id", ondelete="CASCADE"), index=True)
    feature_id: Mapped[int] = mapped_column(ForeignKey("features.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    iteration: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="not started", server_default="not started")
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class DependencyRow(Base):
    __tablename__ = "dependencies"
    __table_args__ = (UniqueConstraint("consumer_id", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pi_id: Mapped[int] = mapped_column(ForeignKey("pis.id", ondelete="CASCADE"), index=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class MilestoneRow(Base):
    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("pi_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pi_id: Mapped[int] = mapped_column(ForeignKey("pis.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    iteration: Mapped[int] = mapped_column(Integer)
    date: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class MilestoneFeatureRow(Base):
    __tablename__ = "milestone_features"

    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), primary_key=True)
    feature_id: Mapped[int] = mapped_column(ForeignKey("features.id", ondelete="CASCADE"), primary_key=True)


class ObjectiveRow(Base):
    __tablename__ = "objectives"
    __table_args__ = (UniqueConstraint("pi_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pi_id: Mapped[int] = mapped_column(ForeignKey("pis.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    committed: Mapped[bool] = mapped_column(Boolean)
    planned_bv: Mapped[int | None] = mapped_column(Integer)
    actual_bv: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class ObjectiveFeatureRow(Base):
    __tablename__ = "objective_features"

    objective_id: Mapped[int] = mapped_column(ForeignKey("objectives.id", ondelete="CASCADE"), primary_key=True)
    feature_id: Mapped[int] = mapped_column(ForeignKey("features.id", ondelete="CASCADE"), primary_key=True)


class RiskRow(Base):
    __tablename__ = "risks"
    __table_args__ = (UniqueConstraint("pi_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pi_id: Mapped[int] = mapped_column(ForeignKey("pis.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    roam: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class EventRow(Base):
    """One entry of a train's event log; ``seq`` is gap-free per train."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("train_id", "seq"),
        UniqueConstraint("train_id", "request_key", name="uq_events_request_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The Idempotency-Key of the request that made the change, so a retry is recognised, not applied twice.
    request_key: Mapped[str | None] = mapped_column(String(120))


class UserRow(Base):
    """A person (or a program) who signs in with a password or an API token."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class MembershipRow(Base):
    """A role a user holds on a train; team roles name the team."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "train_id", "role", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))


class ApiTokenRow(Base):
    """An API token; only its SHA-256 is kept, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebSessionRow(Base):
    """A signed-in browser; the cookie holds a secret whose SHA-256 is kept here."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginRow(Base):
    """Every login attempt, kept for the audit trail and for limiting guesses per account."""

    __tablename__ = "logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_name: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16))  # success, failed, blocked
    source: Mapped[str | None] = mapped_column(String(100))


class ConfidenceVoteRow(Base):
    """One round of the confidence vote at the end of PI planning; a rework round opens the next."""

    __tablename__ = "confidence_votes"
    __table_args__ = (UniqueConstraint("pi_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pi_id: Mapped[int] = mapped_column(ForeignKey("pis.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))  # open, closed
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BallotRow(Base):
    """One participant's vote (1–5 fingers); they may change it until the vote is closed."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("vote_id", "voter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("confidence_votes.id", ondelete="CASCADE"), index=True)
    voter: Mapped[str] = mapped_column(String(200))
    value: Mapped[int] = mapped_column(Integer)
    cast_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BaselineRow(Base):
    """The plan as committed at the end of PI planning: written once, never changed.

    Kept by PI key rather than by PI row, so that replacing the train's plan by an import
    does not take the history with it.
    """

    __tablename__ = "baselines"
    __table_args__ = (UniqueConstraint("train_id", "pi_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    pi_key: Mapped[str] = mapped_column(String(64))
    committed_by: Mapped[str] = mapped_column(String(200))
    committed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seq: Mapped[int] = mapped_column(Integer)  # the event that committed it
    vote_round: Mapped[int | None] = mapped_column(Integer)
    vote_average: Mapped[float | None] = mapped_column(Float)
    override_reason: Mapped[str | None] = mapped_column(Text)
    # The artsync-plan/1 document: megabytes on a large train, read only when its plan is not at hand already
    # (services/baselines.baseline_plan keeps each baseline's plan parsed).
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)


class WsjfSessionRow(Base):
    """A WSJF scoring session: product management scores the backlog one column at a time."""

    __tablename__ = "wsjf_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # open, finished
    features: Mapped[list[str]] = mapped_column(JSON)  # the keys being scored
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)  # column → feature → value
    scorers: Mapped[dict[str, Any]] = mapped_column(JSON)  # column → who scored it, when
    ranking: Mapped[list[Any] | None] = mapped_column(JSON)  # the resulting order, when finished
    started_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_by: Mapped[str | None] = mapped_column(String(200))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class MeetingRow(Base):
    """One ART event: an ART sync, PO or coach sync, system demo, I&A or PI planning.

    ``from_seq``/``to_seq`` bound the part of the event log its agenda covers; ``agenda`` is that
    agenda as it stood when the meeting started, and ``findings`` the finding ids standing when it
    ended, from which the next one tells what is new.
    """

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    pi_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    day: Mapped[date] = mapped_column(Date)
    iteration: Mapped[int | None] = mapped_column(Integer)  # the iteration a system demo shows
    state: Mapped[str] = mapped_column(String(16))  # planned | running | ended
    created_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    from_seq: Mapped[int | None] = mapped_column(Integer)
    to_seq: Mapped[int | None] = mapped_column(Integer)
    agenda: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    team_status: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcomes: Mapped[list[Any]] = mapped_column(JSON, default=list)  # demoed items and feedback, I&A results
    findings: Mapped[list[Any] | None] = mapped_column(JSON)
    minutes: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class ActionItemRow(Base):
    """Something one person will do by a date, agreed in a meeting (or on its own)."""

    __tablename__ = "action_items"
    __table_args__ = (UniqueConstraint("train_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))  # open | done
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class DecisionRow(Base):
    """A decision the train needs or took, with its rationale and the items it changed."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("train_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    conflict_key: Mapped[str | None] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(Text)
    rationale: Mapped[str | None] = mapped_column(Text)
    links: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the items it changed: card refs, keys
    state: Mapped[str] = mapped_column(String(16))  # pending | decided
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class ImpedimentRow(Base):
    """Something in a team's way that it cannot remove alone; escalated team → train → portfolio."""

    __tablename__ = "impediments"
    __table_args__ = (UniqueConstraint("train_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    team_key: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))  # team | train | portfolio
    owner: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))  # open | resolved
    note: Mapped[str | None] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(200))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class ConflictRow(Base):
    """A disagreement between teams or people, mediated to a decision, kept in the conflict log."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("train_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    parties: Mapped[list[Any]] = mapped_column(JSON)
    options: Mapped[list[Any]] = mapped_column(JSON, default=list)
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the items it is about
    finding_id: Mapped[str | None] = mapped_column(String(200))
    mediator: Mapped[str | None] = mapped_column(String(200))
    decision: Mapped[str | None] = mapped_column(Text)
    rationale: Mapped[str | None] = mapped_column(Text)
    links: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the items the decision changed
    status: Mapped[str] = mapped_column(String(16))  # open | mediating | decided | closed
    raised_by: Mapped[str] = mapped_column(String(200))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class FeedTokenRow(Base):
    """A calendar feed token: lets a calendar client read one train's calendar as its user, until revoked."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SubscriptionRow(Base):
    """What one person wants to hear about on one train, and the address it goes to."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "train_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    teams: Mapped[list[Any]] = mapped_column(JSON, default=list)  # my team(s)
    mine: Mapped[bool] = mapped_column(Boolean, default=True)  # items I own or depend on
    severity: Mapped[str | None] = mapped_column(String(16))  # findings of this severity or worse
    decisions: Mapped[bool] = mapped_column(Boolean, default=False)
    digest: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class WebhookRow(Base):
    """A chat channel or program told about the train's changes: Slack-compatible, Microsoft Teams, or JSON."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # slack | teams | generic
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(String(200))  # signs generic JSON (HMAC-SHA256)
    topics: Mapped[list[Any]] = mapped_column(JSON, default=list)  # entity kinds; empty: all
    severity: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutboxRow(Base):
    """A message waiting to go out, written in the same transaction as what it tells; sent at most once.

    ``dedupe_key`` is unique: one message per recipient and cause, however often routing runs.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    recipient: Mapped[str] = mapped_column(String(320))  # an address, or the webhook's id
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(400), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotifierRow(Base):
    """How far routing has read a train's event log, and the findings it has already told about."""

    __tablename__ = "notifier"

    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    digest_day: Mapped[date | None] = mapped_column(Date)


class ProblemRow(Base):
    """A problem taken into the Inspect & Adapt problem-solving workshop: its root causes and improvements."""

    __tablename__ = "problems"
    __table_args__ = (UniqueConstraint("train_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    pi_key: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    team: Mapped[str | None] = mapped_column(String(64))
    causes: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"category": "why" | fishbone, "text"}]
    improvements: Mapped[list[Any]] = mapped_column(JSON, default=list)  # backlog feature keys
    raised_by: Mapped[str] = mapped_column(String(200))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (UPDATE and DELETE check the version read)


class ConnectionRow(Base):
    """A train's link to the tracker its teams work in: the connection file's settings (never the token), how
    far pulls have read, and what the tracker implied at the last pull (the base the next one compares with)."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # jira | azure-devops
    url: Mapped[str] = mapped_column(String(500))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)  # the connection file, as read
    cursor: Mapped[str | None] = mapped_column(String(64))  # the tracker's time of the newest change pulled
    base: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what the tracker implied at the last pull
    sprints: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the teams' sprints as the last pull saw them
    pushed_seq: Mapped[int] = mapped_column(Integer, default=0)  # the train's log is routed to the tracker up to here
    last_pull_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class TrackerItemRow(Base):
    """A tracker item as the last pull saw it (the mirror): a feature or a team's work item, normalised."""

    __tablename__ = "tracker_items"
    __table_args__ = (UniqueConstraint("connection_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    item: Mapped[dict[str, Any]] = mapped_column(JSON)  # domain.tracker.Item's fields
    updated: Mapped[str | None] = mapped_column(String(64))  # the tracker's time of its last change


class SyncConflictRow(Base):
    """A field both artsync and the tracker changed between two pulls: both values, and which one stands."""

    __tablename__ = "sync_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(210))
    field: Mapped[str] = mapped_column(String(32))
    artsync_value: Mapped[str] = mapped_column(Text)
    tracker_value: Mapped[str] = mapped_column(Text)
    winner: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Every row's text is checked against the limits before it is written (store/guard.py).
guard(Base)


class ScenarioRow(Base):
    """A scenario of a PI's plan: the changes it supposes, how it is solved, and the optimizer's answer.

    Nothing on the board changes until it is accepted: then its moves are made through the board's own
    write path and one decision names it.
    """

    __tablename__ = "scenarios"
    __table_args__ = (UniqueConstraint("train_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"), index=True)
    pi_id: Mapped[int] = mapped_column(ForeignKey("pis.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))  # S1, S2, …
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # draft | repair | what-if
    changes: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the suppositions, in order
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # time limit, share, seed
    state: Mapped[str] = mapped_column(String(16))  # new | solving | solved | stopped | accepted
    stop: Mapped[bool] = mapped_column(Boolean, default=False)  # someone asked the running solve to stop
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the running solve's best and bound
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the optimizer's answer (services/scenarios)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    solved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
