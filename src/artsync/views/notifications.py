"""Keeping people informed, as the API and the pages show it: subscriptions, webhooks, the outbox, feed tokens."""

from __future__ import annotations

from artsync.domain.findings import Severity
from artsync.services import notifications, outbox
from artsync.views.base import Instant, Record


class Subscription(Record):
    person: str
    email: str
    teams: list[str]
    mine: bool
    severity: Severity | None
    decisions: bool
    digest: bool

    @classmethod
    def of(cls, s: notifications.Subscription) -> Subscription:
        severity = Severity(s.severity) if s.severity else None
        return cls(person=s.person, email=s.email, teams=list(s.teams), mine=s.mine, severity=severity,
                   decisions=s.decisions, digest=s.digest)  # fmt: skip


class SubscriptionList(Record):
    subscriptions: list[Subscription]


class Unsubscribed(Record):
    unsubscribed: str  # the person


class Webhook(Record):
    id: int
    kind: str
    url: str
    signed: bool
    topics: list[str]
    severity: Severity | None
    active: bool

    @classmethod
    def of(cls, h: notifications.Webhook) -> Webhook:
        severity = Severity(h.severity) if h.severity else None
        return cls(id=h.id, kind=h.kind, url=h.url, signed=h.signed, topics=list(h.topics), severity=severity,
                   active=h.active)  # fmt: skip


class WebhookList(Record):
    webhooks: list[Webhook]


class WebhookRemoved(Record):
    removed: int


class Message(Record):
    id: int
    channel: str
    recipient: str
    subject: str
    state: str
    attempts: int
    next_attempt_at: Instant
    last_error: str | None
    created_at: Instant
    sent_at: Instant | None

    @classmethod
    def of(cls, m: outbox.Message) -> Message:
        return cls(id=m.id, channel=m.channel, recipient=m.recipient, subject=m.subject, state=m.state,
                   attempts=m.attempts, next_attempt_at=m.next_attempt_at, last_error=m.last_error,
                   created_at=m.created_at, sent_at=m.sent_at)  # fmt: skip


class Outbox(Record):
    counts: dict[str, int]  # messages by state
    messages: list[Message]


class Feed(Record):
    """A calendar feed token: shown once; the URL is what a calendar program subscribes to."""

    token: str
    prefix: str
    url: str


class FeedRevoked(Record):
    revoked: str  # the token's prefix
    user: str
