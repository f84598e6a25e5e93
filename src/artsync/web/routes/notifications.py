"""Keeping people informed over the API: your subscription, the train's webhooks, the outbox (admin)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from artsync.domain import limits
from artsync.domain.events import Entity
from artsync.domain.findings import Severity
from artsync.domain.notifications import EMAIL_SHAPE
from artsync.formats.fields import Key
from artsync.services.delivery import outbound_policy, resolve_if_known
from artsync.services.notifications import (
    add_webhook,
    get_subscription,
    list_subscriptions,
    list_webhooks,
    remove_webhook,
    subscribe,
    unsubscribe,
)
from artsync.services.outbox import list_outbox, retry_message
from artsync.views import notifications as shown
from artsync.web.deps import CurrentCaller, Db

router = APIRouter(prefix="/api/v1", tags=["notifications"])


class SubscriptionBody(BaseModel):
    """What you hear about on the train, and the address it goes to."""

    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_SHAPE.pattern)
    teams: list[Key] = Field(default_factory=list, max_length=50)
    mine: bool = True
    severity: Severity | None = None
    decisions: bool = False
    digest: bool = True


class NewWebhook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["slack", "teams", "generic"]
    url: str = Field(min_length=8, max_length=limits.URL, pattern=r"^https?://[^\s/?#@]+([/?#][^\s]*)?$")
    secret: str | None = Field(None, min_length=8, max_length=200)
    topics: list[Entity] = Field(default_factory=list, max_length=20)
    severity: Severity | None = None


@router.get("/trains/{key}/subscription")
def my_subscription(key: str, db: Db, caller: CurrentCaller) -> shown.Subscription:
    """What you hear about on this train."""
    return shown.Subscription.of(get_subscription(db, actor=caller.actor, train_key=key))


@router.put("/trains/{key}/subscription")
def put_subscription(key: str, body: SubscriptionBody, db: Db, caller: CurrentCaller) -> shown.Subscription:
    """Choose what you hear about: your teams, items you own or depend on, findings, decisions, the digest."""
    made = subscribe(
        db, actor=caller.actor, train_key=key, email=body.email, teams=body.teams, mine=body.mine,
        severity=body.severity, decisions=body.decisions, digest=body.digest,
    )  # fmt: skip
    return shown.Subscription.of(made)


@router.delete("/trains/{key}/subscription")
def drop_subscription(key: str, db: Db, caller: CurrentCaller) -> shown.Unsubscribed:
    """Hear nothing more from this train."""
    unsubscribe(db, actor=caller.actor, train_key=key)
    return shown.Unsubscribed(unsubscribed=caller.actor.name)


@router.get("/trains/{key}/subscriptions")
def subscriptions(key: str, db: Db, caller: CurrentCaller) -> shown.SubscriptionList:
    """Everyone's subscription (the RTE)."""
    return shown.SubscriptionList(
        subscriptions=[shown.Subscription.of(s) for s in list_subscriptions(db, actor=caller.actor, train_key=key)]
    )


@router.get("/trains/{key}/webhooks")
def webhooks(key: str, db: Db, caller: CurrentCaller) -> shown.WebhookList:
    return shown.WebhookList(
        webhooks=[shown.Webhook.of(h) for h in list_webhooks(db, actor=caller.actor, train_key=key)]
    )


@router.post("/trains/{key}/webhooks", status_code=201)
def new_webhook(key: str, body: NewWebhook, request: Request, db: Db, caller: CurrentCaller) -> shown.Webhook:
    """Post the train's changes to Slack, Microsoft Teams, or a program (signed JSON; needs a secret).

    The URL must be https and outside the server's own network (see docs/security.md).
    """
    hook = add_webhook(
        db, actor=caller.actor, train_key=key, kind=body.kind, url=body.url, secret=body.secret, topics=body.topics,
        severity=body.severity, policy=outbound_policy(request.app.state.settings), resolve=resolve_if_known,
    )  # fmt: skip
    return shown.Webhook.of(hook)


@router.delete("/trains/{key}/webhooks/{webhook}")
def drop_webhook(key: str, webhook: int, db: Db, caller: CurrentCaller) -> shown.WebhookRemoved:
    remove_webhook(db, actor=caller.actor, train_key=key, webhook_id=webhook)
    return shown.WebhookRemoved(removed=webhook)


@router.get("/trains/{key}/outbox")
def outbox(
    key: str, db: Db, caller: CurrentCaller, state: Literal["pending", "sent", "failed"] | None = None
) -> shown.Outbox:
    """Messages waiting, sent and failed, newest first, with counts (the RTE)."""
    messages, counts = list_outbox(db, actor=caller.actor, train_key=key, state=state)
    return shown.Outbox(counts=counts, messages=[shown.Message.of(m) for m in messages])


@router.post("/trains/{key}/outbox/{message}/retry")
def retry(key: str, message: int, db: Db, caller: CurrentCaller) -> shown.Message:
    """Send a failed message again."""
    return shown.Message.of(retry_message(db, actor=caller.actor, train_key=key, message=message))
