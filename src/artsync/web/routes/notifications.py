"""Keeping people informed over the API: your subscription, the train's webhooks, the outbox (admin)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from artsync.domain import limits
from artsync.domain.findings import Severity
from artsync.domain.notifications import EMAIL_SHAPE
from artsync.io.delivery import outbound_policy, resolve_if_known
from artsync.services.notifications import (
    Subscription,
    Webhook,
    add_webhook,
    get_subscription,
    list_subscriptions,
    list_webhooks,
    remove_webhook,
    subscribe,
    unsubscribe,
)
from artsync.services.outbox import Message, list_outbox, retry_message
from artsync.web.deps import CurrentCaller, Db
from artsync.web.fields import Key

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
    topics: list[Key] = Field(default_factory=list, max_length=20)
    severity: Severity | None = None


def subscription_json(s: Subscription) -> dict[str, Any]:
    return {"person": s.person, "email": s.email, "teams": list(s.teams), "mine": s.mine, "severity": s.severity,
            "decisions": s.decisions, "digest": s.digest}  # fmt: skip


def webhook_json(h: Webhook) -> dict[str, Any]:
    return {"id": h.id, "kind": h.kind, "url": h.url, "signed": h.signed, "topics": list(h.topics),
            "severity": h.severity, "active": h.active}  # fmt: skip


def message_json(m: Message) -> dict[str, Any]:
    return {
        "id": m.id, "channel": m.channel, "recipient": m.recipient, "subject": m.subject, "state": m.state,
        "attempts": m.attempts, "next_attempt_at": m.next_attempt_at.isoformat(), "last_error": m.last_error,
        "created_at": m.created_at.isoformat(), "sent_at": m.sent_at.isoformat() if m.sent_at else None,
    }  # fmt: skip


@router.get("/trains/{key}/subscription")
def my_subscription(key: str, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """What you hear about on this train."""
    return subscription_json(get_subscription(db, actor=caller.actor, train_key=key))


@router.put("/trains/{key}/subscription")
def put_subscription(key: str, body: SubscriptionBody, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Choose what you hear about: your teams, items you own or depend on, findings, decisions, the digest."""
    made = subscribe(
        db, actor=caller.actor, train_key=key, email=body.email, teams=body.teams, mine=body.mine,
        severity=body.severity, decisions=body.decisions, digest=body.digest,
    )  # fmt: skip
    return subscription_json(made)


@router.delete("/trains/{key}/subscription")
def drop_subscription(key: str, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Hear nothing more from this train."""
    unsubscribe(db, actor=caller.actor, train_key=key)
    return {"unsubscribed": caller.actor.name}


@router.get("/trains/{key}/subscriptions")
def subscriptions(key: str, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Everyone's subscription (the RTE)."""
    return {"subscriptions": [subscription_json(s) for s in list_subscriptions(db, actor=caller.actor, train_key=key)]}


@router.get("/trains/{key}/webhooks")
def webhooks(key: str, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    return {"webhooks": [webhook_json(h) for h in list_webhooks(db, actor=caller.actor, train_key=key)]}


@router.post("/trains/{key}/webhooks", status_code=201)
def new_webhook(key: str, body: NewWebhook, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Post the train's changes to Slack, Microsoft Teams, or a program (signed JSON; needs a secret).

    The URL must be https and outside the server's own network (see docs/security.md).
    """
    hook = add_webhook(
        db, actor=caller.actor, train_key=key, kind=body.kind, url=body.url, secret=body.secret, topics=body.topics,
        severity=body.severity, policy=outbound_policy(request.app.state.settings), resolve=resolve_if_known,
    )  # fmt: skip
    return webhook_json(hook)


@router.delete("/trains/{key}/webhooks/{webhook}")
def drop_webhook(key: str, webhook: int, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    remove_webhook(db, actor=caller.actor, train_key=key, webhook_id=webhook)
    return {"removed": webhook}


@router.get("/trains/{key}/outbox")
def outbox(
    key: str, db: Db, caller: CurrentCaller, state: Literal["pending", "sent", "failed"] | None = None
) -> dict[str, Any]:
    """Messages waiting, sent and failed, newest first, with counts (the RTE)."""
    messages, counts = list_outbox(db, actor=caller.actor, train_key=key, state=state)
    return {"counts": counts, "messages": [message_json(m) for m in messages]}


@router.post("/trains/{key}/outbox/{message}/retry")
def retry(key: str, message: int, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Send a failed message again."""
    return message_json(retry_message(db, actor=caller.actor, train_key=key, message=message))
