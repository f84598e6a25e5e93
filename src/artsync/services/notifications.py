"""Keeping people informed: subscriptions, webhooks, and routing the event log into the outbox.

Routing reads each train's log after the point it reached, decides who hears about each event, and
writes one outbox message per recipient and cause, in one transaction with moving that point on. The
message's ``dedupe_key`` is unique, so routing twice (or in two processes) never writes a message twice.
Delivery is ``services/outbox.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from artsync.domain.event_text import sentence
from artsync.domain.events import Entity
from artsync.domain.findings import SEVERITIES
from artsync.domain.notifications import (
    EMAIL_SHAPE,
    WEBHOOK_KINDS,
    Interest,
    digest_text,
    event_subject,
    event_text,
    finding_subject,
    finding_text,
    wants_finding,
    webhook_payload,
    why,
)
from artsync.domain.outbound import STRICT, OutboundPolicy, parse_target, refusal
from artsync.domain.permissions import Action, Actor, Grant
from artsync.domain.text import one_line
from artsync.errors import ForbiddenError, InvalidInputError, NotFoundError
from artsync.formats.charts import burn_up_svg
from artsync.services.auth import find_user
from artsync.services.forecast import standing_findings
from artsync.services.impediments import impediment_value
from artsync.services.measures import train_measures
from artsync.services.meetings import action_value
from artsync.services.people import grants_of
from artsync.services.permissions import authorize
from artsync.services.trains import find_train
from artsync.services.transaction import transaction
from artsync.store.mapping import current_pi, event_value, load_plan, utc_now
from artsync.store.models import (
    ActionItemRow,
    ConflictRow,
    EventRow,
    ImpedimentRow,
    MeetingRow,
    NotifierRow,
    OutboxRow,
    RiskRow,
    SubscriptionRow,
    TeamRow,
    TrainRow,
    UserRow,
    WebhookRow,
)


@dataclass(frozen=True)
class Subscription:
    person: str
    train: str
    email: str
    teams: tuple[str, ...]
    mine: bool
    severity: str | None
    decisions: bool
    digest: bool


@dataclass(frozen=True)
class Webhook:
    id: int
    kind: str
    url: str
    signed: bool
    topics: tuple[str, ...]
    severity: str | None
    active: bool


@dataclass(frozen=True)
class Routed:
    """What a round of routing did."""

    events: int
    messages: int


def subscription_value(row: SubscriptionRow, person: str, train: str) -> Subscription:
    return Subscription(
        person, train, row.email, tuple(row.teams or ()), row.mine, row.severity, row.decisions, row.digest
    )


def webhook_value(row: WebhookRow) -> Webhook:
    return Webhook(row.id, row.kind, row.url, bool(row.secret), tuple(row.topics or ()), row.severity, row.active)


def check_severity(severity: str | None) -> None:
    if severity is not None and severity not in SEVERITIES:
        raise InvalidInputError(f"a severity is {' or '.join(SEVERITIES)}, not {severity!r}")


# --- subscriptions ------------------------------------------------------------------------------


def subscribe(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    email: str,
    teams: list[str] | None = None,
    mine: bool = True,
    severity: str | None = None,
    decisions: bool = False,
    digest: bool = True,
    person: str | None = None,
) -> Subscription:
    """Say what you want to hear about on a train, and where; subscribing again replaces it."""
    name = person or actor.name
    if not actor.local_admin and name != actor.name:
        raise ForbiddenError(f"{actor.name} may not subscribe {name}: everyone chooses their own messages")
    if len(email) > 320 or not EMAIL_SHAPE.match(email):
        raise InvalidInputError(f"{email!r} is not a mail address")
    check_severity(severity)
    with transaction(db):
        train = find_train(db, train_key)
        authorize(actor, train.key, Action.READ)
        user = find_user(db, name)
        known = set(db.scalars(select(TeamRow.key).where(TeamRow.train_id == train.id)))
        unknown = [t for t in teams or [] if t not in known]
        if unknown:
            raise NotFoundError(f"no team {unknown[0]!r} in {train.key}")
        row = db.scalars(
            select(SubscriptionRow).where(SubscriptionRow.user_id == user.id, SubscriptionRow.train_id == train.id)
        ).first()
        if row is None:
            row = SubscriptionRow(user_id=user.id, train_id=train.id, version=1)
            db.add(row)
        else:
            row.version += 1
        row.email, row.teams, row.mine = email, list(teams or []), mine
        row.severity, row.decisions, row.digest = severity, decisions, digest
        start_notifier(db, train)
    return subscription_value(row, name, train.key)


def get_subscription(db: Session, *, actor: Actor, train_key: str | None, person: str | None = None) -> Subscription:
    name = person or actor.name
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ if name == actor.name else Action.ADMINISTER)
    user = find_user(db, name)
    row = db.scalars(
        select(SubscriptionRow).where(SubscriptionRow.user_id == user.id, SubscriptionRow.train_id == train.id)
    ).first()
    if row is None:
        raise NotFoundError(f"{name} has no subscription on {train.key} yet")
    return subscription_value(row, name, train.key)


def unsubscribe(db: Session, *, actor: Actor, train_key: str | None) -> None:
    """Hear nothing more from a train (only someone who may read it has anything to stop)."""
    with transaction(db):
        train = find_train(db, train_key)
        authorize(actor, train.key, Action.READ)
        user = find_user(db, actor.name)
        row = db.scalars(
            select(SubscriptionRow).where(SubscriptionRow.user_id == user.id, SubscriptionRow.train_id == train.id)
        ).first()
        if row is not None:
            db.delete(row)


def list_subscriptions(db: Session, *, actor: Actor, train_key: str | None) -> list[Subscription]:
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.ADMINISTER)
    rows = db.execute(
        select(SubscriptionRow, UserRow.name)
        .join(UserRow, SubscriptionRow.user_id == UserRow.id)
        .where(SubscriptionRow.train_id == train.id)
        .order_by(UserRow.name)
    )
    return [subscription_value(row, name, train.key) for row, name in rows]


# --- webhooks -----------------------------------------------------------------------------------


def add_webhook(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    kind: str,
    url: str,
    secret: str | None = None,
    topics: Sequence[str] | None = None,
    severity: str | None = None,
    policy: OutboundPolicy = STRICT,
    resolve: Callable[[str], list[str] | None] | None = None,
) -> Webhook:
    """Tell a chat channel or a program about the train's changes (the RTE).

    The URL must pass the outbound ``policy``: https, and a host outside the server's own
    network (``resolve`` gives its addresses now; they are judged again at every send).
    """
    if kind not in WEBHOOK_KINDS:
        raise InvalidInputError(f"a webhook is {', '.join(WEBHOOK_KINDS)}, not {kind!r}")
    try:
        host = parse_target(url).host
    except ValueError as exc:
        raise InvalidInputError(f"url: {exc}") from None
    reason = refusal(url, resolve(host) if resolve else None, policy)
    if reason:
        raise InvalidInputError(f"url: {reason}")
    if kind == "generic" and not secret:
        raise InvalidInputError("a generic webhook needs a secret: its messages are signed with HMAC-SHA256")
    unknown = [t for t in topics or [] if t not in set(Entity)]
    if unknown:
        raise InvalidInputError(f"topic {unknown[0]!r} is not a kind of change; the topics are {', '.join(Entity)}")
    check_severity(severity)
    with transaction(db):
        train = find_train(db, train_key)
        authorize(actor, train.key, Action.ADMINISTER)
        row = WebhookRow(
            train_id=train.id, kind=kind, url=url, secret=secret, topics=list(topics or []), severity=severity,
            active=True, created_at=utc_now(),
        )  # fmt: skip
        db.add(row)
        db.flush()
        start_notifier(db, train)
    return webhook_value(row)


def list_webhooks(db: Session, *, actor: Actor, train_key: str | None) -> list[Webhook]:
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.ADMINISTER)
    rows = db.scalars(select(WebhookRow).where(WebhookRow.train_id == train.id).order_by(WebhookRow.id))
    return [webhook_value(r) for r in rows]


def remove_webhook(db: Session, *, actor: Actor, train_key: str | None, webhook_id: int) -> None:
    with transaction(db):
        train = find_train(db, train_key)
        authorize(actor, train.key, Action.ADMINISTER)
        row = db.get(WebhookRow, webhook_id)
        if row is None or row.train_id != train.id:
            raise NotFoundError(f"no webhook {webhook_id} on {train.key}")
        db.delete(row)


# --- routing ------------------------------------------------------------------------------------


def start_notifier(db: Session, train: TrainRow) -> NotifierRow:
    """Routing starts from now: what happened before anyone subscribed is not sent to them."""
    state = db.get(NotifierRow, train.id)
    if state is None:
        pi = current_pi(db, train)
        standing = [f.id for f in standing_findings(db, train, load_plan(db, train, pi))] if pi is not None else []
        state = NotifierRow(train_id=train.id, seq=train.last_seq, findings=standing)
        db.add(state)
        db.flush()
    return state


def interests(db: Session, train: TrainRow) -> list[tuple[Interest, str]]:
    """Every subscriber of the train as an Interest, with their mail address."""
    found = []
    rows = db.execute(
        select(SubscriptionRow, UserRow)
        .join(UserRow, SubscriptionRow.user_id == UserRow.id)
        .where(SubscriptionRow.train_id == train.id)
    )
    for sub, user in rows:
        grants: tuple[Grant, ...] = grants_of(db, user.id)
        if not any(g.train == train.key for g in grants):
            continue  # no role on the train any more: hears nothing of it
        found.append((
            Interest(
                user.name, frozenset(sub.teams or ()), sub.mine, owned_by(db, train, user.name), sub.severity,
                sub.decisions, sub.digest, frozenset(g.team for g in grants if g.train == train.key and g.team),
            ),
            sub.email,
        ))  # fmt: skip
    return found


def owned_by(db: Session, train: TrainRow, name: str) -> frozenset[str]:
    """The keys of what ``name`` owns on the train: risks, impediments, action items, conflicts they mediate."""
    pi = current_pi(db, train)
    keys: set[str] = set()
    if pi is not None:
        keys |= set(db.scalars(select(RiskRow.key).where(RiskRow.pi_id == pi.id, RiskRow.owner == name)))
    keys |= set(
        db.scalars(select(ImpedimentRow.key).where(ImpedimentRow.train_id == train.id, ImpedimentRow.owner == name))
    )
    keys |= set(
        db.scalars(select(ActionItemRow.key).where(ActionItemRow.train_id == train.id, ActionItemRow.owner == name))
    )
    keys |= set(
        db.scalars(select(ConflictRow.key).where(ConflictRow.train_id == train.id, ConflictRow.mediator == name))
    )
    return frozenset(keys)


def enqueue(
    db: Session, train: TrainRow, channel: str, recipient: str, subject: str, body: str, key: str,
    payload: dict[str, Any] | None = None, now: datetime | None = None,
) -> bool:  # fmt: skip
    """Write one message unless one with this key was written already; True when it was written."""
    if db.scalars(select(OutboxRow.id).where(OutboxRow.dedupe_key == key)).first() is not None:
        return False
    now = now or utc_now()
    db.add(OutboxRow(
        train_id=train.id, channel=channel, recipient=recipient, subject=one_line(subject), body=body,
        payload=payload, dedupe_key=key, state="pending", attempts=0, next_attempt_at=now, created_at=now,
    ))  # fmt: skip
    return True


def route(db: Session, *, train_key: str | None = None, now: datetime | None = None) -> Routed:
    """Route every train's new events (or one train's) into the outbox; safe to run again or in parallel."""
    trains = [find_train(db, train_key)] if train_key else list(db.scalars(select(TrainRow).order_by(TrainRow.id)))
    events = messages = 0
    for train in trains:
        with transaction(db):
            state = db.get(NotifierRow, train.id, with_for_update=True) or start_notifier(db, train)
            rows = db.scalars(
                select(EventRow).where(EventRow.train_id == train.id, EventRow.seq > state.seq).order_by(EventRow.seq)
            ).all()
            if not rows:
                continue
            people = interests(db, train)
            hooks = db.scalars(select(WebhookRow).where(WebhookRow.train_id == train.id, WebhookRow.active)).all()
            for row in rows:
                event = event_value(row)
                subject, data = event_subject(train.key, event), {"train": train.key, "event": event.as_dict()}
                for interest, email in people:
                    reason = why(interest, event)
                    if reason is not None and event.actor != interest.person:
                        text = event_text(train.key, event, reason)
                        messages += enqueue(db, train, "email", email, subject, text,
                                            f"event:{train.id}:{event.seq}:{email}", now=now)  # fmt: skip
                if event.entity == Entity.MEETING and event.action == "ended":
                    messages += publish_minutes(db, train, int(event.entity_id), people, now)
                for hook in hooks:
                    if not hook.topics or event.entity in hook.topics:
                        payload = webhook_payload(hook.kind, subject, event_text(train.key, event), data)
                        messages += enqueue(db, train, "webhook", str(hook.id), subject, sentence(event),
                                            f"event:{train.id}:{event.seq}:hook{hook.id}", payload, now)  # fmt: skip
            messages += route_findings(db, train, state, people, hooks, now)
            state.seq = rows[-1].seq
            events += len(rows)
    return Routed(events, messages)


def publish_minutes(
    db: Session, train: TrainRow, meeting_id: int, people: list[tuple[Interest, str]], now: datetime | None
) -> int:
    """Mail an ended meeting's minutes to everyone subscribed to the train."""
    meeting = db.get(MeetingRow, meeting_id)
    if meeting is None or not meeting.minutes:
        return 0
    subject = f"[{train.key}] Minutes: {meeting.title}"
    return sum(
        enqueue(
            db, train, "email", email, subject, meeting.minutes, f"minutes:{train.id}:{meeting.id}:{email}", now=now
        )
        for _, email in people
    )


def route_findings(
    db: Session, train: TrainRow, state: NotifierRow, people: list[tuple[Interest, str]], hooks: Any,
    now: datetime | None,
) -> int:  # fmt: skip
    """Tell about findings that were not standing at the last round, to whoever follows their severity."""
    pi = current_pi(db, train)
    if pi is None:
        return 0
    findings = standing_findings(db, train, load_plan(db, train, pi))
    told = set(state.findings or ())
    written = 0
    for f in findings:
        if f.id in told:
            continue
        for interest, email in people:
            if wants_finding(interest, f):
                written += enqueue(db, train, "email", email, finding_subject(train.key, f), finding_text(f),
                                   f"finding:{train.id}:{f.id}:{state.seq}:{email}", now=now)  # fmt: skip
        for hook in hooks:
            if hook.severity is not None and wants_finding(Interest("", severity=hook.severity), f):
                subject = finding_subject(train.key, f)
                payload = webhook_payload(hook.kind, subject, finding_text(f), {"train": train.key, "finding": f.id})
                written += enqueue(db, train, "webhook", str(hook.id), subject, f.message,
                                   f"finding:{train.id}:{f.id}:{state.seq}:hook{hook.id}", payload, now)  # fmt: skip
    state.findings = [f.id for f in findings]
    return written


def queue_digests(db: Session, *, day: date, train_key: str | None = None, now: datetime | None = None) -> int:
    """Write each subscriber's digest of the 24 hours before ``day`` starts (UTC); once per person and day."""
    trains = [find_train(db, train_key)] if train_key else list(db.scalars(select(TrainRow).order_by(TrainRow.id)))
    end = datetime.combine(day, time(0), tzinfo=UTC)
    start = end - timedelta(days=1)
    written = 0
    for train in trains:
        with transaction(db):
            people = [(i, email) for i, email in interests(db, train) if i.digest]
            if not people:
                continue
            events = [
                event_value(r)
                for r in db.scalars(
                    select(EventRow)
                    .where(EventRow.train_id == train.id, EventRow.at >= start, EventRow.at < end)
                    .order_by(EventRow.seq)
                )
            ]
            actions = [
                action_value(a) for a in db.scalars(select(ActionItemRow).where(ActionItemRow.train_id == train.id))
            ]
            measured = train_measures(db, train)
            chart = burn_up_svg(measured.progress, measured.plan.pi.key)
            open_ones = select(ImpedimentRow).where(ImpedimentRow.train_id == train.id, ImpedimentRow.state == "open")
            blocking = [impediment_value(i) for i in db.scalars(open_ones)]
            for interest, email in people:
                changes = [(e, reason) for e in events if (reason := why(interest, e)) and e.actor != interest.person]
                text = digest_text(person=interest.person, train=train.key, day=day, changes=changes, actions=actions,
                                   impediments=blocking)  # fmt: skip
                if text is not None:
                    html = {"html": digest_html(text, chart)}
                    written += enqueue(db, train, "email", email, f"[{train.key}] Your digest for {day}", text,
                                       f"digest:{train.id}:{day}:{email}", html, now)  # fmt: skip
            state = db.get(NotifierRow, train.id)
            if state is not None:
                state.digest_day = day
    return written


def digest_html(text: str, chart: str) -> str:
    """The digest as HTML mail: the text as written, then the train's burn-up drawn in SVG."""
    return (
        '<!doctype html><html><body style="font-family: system-ui, sans-serif; color: #1c2430">'
        f'<pre style="font: inherit; white-space: pre-wrap">{escape(text)}</pre>'
        f"<h3>How the train is doing</h3>{chart}</body></html>"
    )


def digest_due(db: Session, *, day: date) -> bool:
    """Whether some train has not had its digests for ``day`` written yet."""
    return (
        db.scalars(
            select(TrainRow.id)
            .outerjoin(NotifierRow, NotifierRow.train_id == TrainRow.id)
            .where(or_(NotifierRow.digest_day.is_(None), NotifierRow.digest_day < day))
        ).first()
        is not None
    )
