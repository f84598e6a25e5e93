"""The train's tracker over the API: how the sync stands, pull now, and the tracker's webhook.

``POST …/tracker/webhook`` is called by the tracker, not by a person: Jira signs its body with HMAC-SHA256
(``X-Hub-Signature: sha256=…``), an Azure DevOps service hook sends basic auth whose password is the secret —
the secret the connection names (``webhook_secret_env``). A valid one starts a pull in the background and is
answered 202 at once, so a sprint changed in the tracker reaches every open board in seconds.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import threading
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from artsync.errors import NotFoundError, UnauthenticatedError
from artsync.formats.connection import TrackerKind, webhook_secret
from artsync.services.connections import (
    conflicts_of,
    connection_actor,
    get_connection,
    last_push_at,
    may_sync,
    pending_pushes,
)
from artsync.services.transaction import WAKE
from artsync.views import connections as shown
from artsync.web.deps import CurrentCaller, Db, wake_boards

router = APIRouter(prefix="/api/v1", tags=["tracker"])
logger = logging.getLogger("artsync.tracker")
PULLING: dict[str, threading.Lock] = {}  # one pull of a train at a time in this process


@router.get("/trains/{key}/tracker")
def tracker_connection(key: str, db: Db, caller: CurrentCaller) -> shown.TrackerConnection:
    """The train's connection to its tracker: where, the last pull and its error, pushes waiting, conflicts."""
    connection = get_connection(db, actor=caller.actor, train_key=key)
    waiting = pending_pushes(db, actor=caller.actor, train_key=key)
    conflicts = conflicts_of(db, actor=caller.actor, train_key=key)[:50]
    secret = webhook_secret(connection.settings) is not None
    pushed = last_push_at(db, actor=caller.actor, train_key=key)
    return shown.TrackerConnection.of(connection, waiting, conflicts, secret, pushed)


@router.post("/trains/{key}/tracker/pull")
def pull_now(key: str, db: Db, caller: CurrentCaller, dry_run: bool = False) -> shown.PullResult:
    """Pull what changed in the tracker now (the RTE); with ``dry_run``, say what would change and write nothing."""
    train = may_sync(db, actor=caller.actor, train_key=key)
    with PULLING.setdefault(train, threading.Lock()):
        from artsync.connectors.sync import pull  # the connectors (and httpx) load with the first pull

        pulled = pull(db, actor=caller.actor, train_key=train, dry_run=dry_run)
    return shown.PullResult.of(pulled.changes, dry_run)


@router.post("/trains/{key}/tracker/webhook", status_code=202, response_class=Response)
async def tracker_webhook(key: str, request: Request) -> Response:
    """Jira's webhook (signed with the connection's secret): a pull of the train starts; answered at once."""
    body = await request.body()
    headers = request.headers
    train = await run_in_threadpool(check_signature, request.app, key, body, headers.get("X-Hub-Signature"),
                                    headers.get("Authorization"))  # fmt: skip
    request.app.state.tracker_pulls.append(
        request.app.state.tracker_work.submit(pull_in_background, request.app, train)
    )
    return Response(status_code=202)


def check_signature(app: Any, key: str, body: bytes, signature: str | None, authorization: str | None) -> str:
    """Jira signs its webhooks (HMAC-SHA256 of the body with the secret); an Azure DevOps service hook sends the
    secret as its basic-auth password. Either way the secret is the one the connection file names."""
    with app.state.sessions() as db:
        connection = get_connection(db, actor=system_actor(key), train_key=key)
        secret = webhook_secret(connection.settings)
    if secret is None:
        raise NotFoundError(f"train {key}'s connection takes no webhooks: set webhook_secret_env in its file")
    if connection.settings.tracker.kind is TrackerKind.AZURE_DEVOPS:
        password = basic_password(authorization)
        if password is None or not hmac.compare_digest(password.encode(), secret.encode()):
            raise UnauthenticatedError("the service hook's basic-auth password is not the connection's secret")
        return connection.train
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(signature, expected):
        raise UnauthenticatedError("the webhook's signature does not match the connection's secret")
    return connection.train


def basic_password(authorization: str | None) -> str | None:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(encoded, validate=True).decode().partition(":")[2]
    except (ValueError, UnicodeDecodeError):
        return None


def pull_in_background(app: Any, train: str) -> None:
    """A pull (and the pushes) for a webhook, one at a time per train; failures are kept on the connection."""
    from artsync.connectors.sync import sync_round

    lock = PULLING.setdefault(train, threading.Lock())
    if not lock.acquire(blocking=False):
        return  # a pull is running: it reads what the webhook announced, or the next webhook's will
    try:
        with app.state.sessions() as db:
            db.info[WAKE] = functools.partial(wake_boards, app)
            actor = connection_actor(get_connection(db, actor=system_actor(train), train_key=train))
            sync_round(db, actor=actor, train_key=train)
    except Exception:  # the tracker or the database away: logged, and on the connection when it can be
        logger.exception("pull for a webhook of %s failed", train)
    finally:
        lock.release()


def system_actor(train: str) -> Any:
    """Who reads the connection to answer a webhook: the train's RTE role, on the server's behalf."""
    from artsync.domain.permissions import Actor, Grant, Role

    return Actor(name="artsync", grants=(Grant(train, Role.RTE),))
