"""Request dependencies: a database session, and who is asking (API token or session cookie)."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request, Response
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from artsync.domain.permissions import Actor
from artsync.errors import ForbiddenError, UnauthenticatedError
from artsync.services.auth import Credential, session_actor, token_actor
from artsync.services.transaction import WAKE

SESSION_COOKIE = "artsync_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def wake_boards(app: Any, trains: list[str]) -> None:
    """After a change commits (``services/transaction.py`` calls it): wake this process's hub, tell the others."""
    relay = app.state.relay
    for train in trains:
        if not relay.echoes:
            app.state.hub.wake(train)
        relay.announce(train)


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        session.info[WAKE] = functools.partial(wake_boards, request.app)
        yield session


Db = Annotated[Session, Depends(get_db)]


@dataclass(frozen=True)
class Caller:
    """Who is asking, and how: ``csrf`` is set for browser sessions."""

    actor: Actor
    csrf: str | None = None
    credential: Credential | None = None  # what the caller signed in with, so the live channel can watch it


def bearer_token(request: HTTPConnection) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def identify(db: Session, request: HTTPConnection) -> Caller:
    """The caller of an API request or a live connection: bearer token first, then the session cookie."""
    token = bearer_token(request)
    if token is not None:
        return Caller(token_actor(db, token=token), credential=Credential.of("token", token))
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        actor, csrf = session_actor(db, token=cookie)
        return Caller(actor, csrf, Credential.of("session", cookie))
    raise UnauthenticatedError("sign in first, or send an API token as Authorization: Bearer TOKEN")


def get_caller(request: Request, db: Db, csrf_token: Annotated[str | None, Header(alias=CSRF_HEADER)] = None) -> Caller:
    caller = identify(db, request)
    # Hand the connection back before the route waits for its own thread: a request never holds a
    # connection (or, on SQLite, a snapshot) while it queues.
    db.commit()
    # A cookie is sent by the browser on its own, so a write that rides on it must prove it came from our page.
    unsafe = caller.csrf is not None and request.method not in SAFE_METHODS
    if unsafe and not (csrf_token and caller.csrf and hmac.compare_digest(csrf_token, caller.csrf)):
        raise ForbiddenError(f"missing or wrong {CSRF_HEADER} header: reload the page and try again")
    return caller


CurrentCaller = Annotated[Caller, Depends(get_caller)]


def parse_if_match(value: str | None) -> int | None:
    """``If-Match: "3"`` → 3; None when the header is absent."""
    if value is None:
        return None
    tag = value.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        from artsync.errors import InvalidInputError

        raise InvalidInputError(f'If-Match {value!r} is not an ETag this server gave out (they look like "3")')
    return int(tag)


def require_if_match(if_match: str | None) -> int:
    """The version an edit is based on; an edit without one is refused with 428."""
    version = parse_if_match(if_match)
    if version is None:
        raise HTTPException(
            428, "send If-Match with the ETag from your last read, so a stale change cannot overwrite another"
        )
    return version


def set_etag(response: Response, version: int) -> None:
    """An entity's ETag is its version."""
    response.headers["ETag"] = f'"{version}"'
