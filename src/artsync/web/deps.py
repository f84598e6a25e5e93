"""Request dependencies: a database session, and who is asking (API token or session cookie)."""

from __future__ import annotations

import functools
import hmac
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from artsync.domain.events import Event
from artsync.errors import ForbiddenError, UnauthenticatedError
from artsync.services.auth import Credential, Presented, identify_all
from artsync.services.transaction import FORGET, WAKE
from artsync.web.identities import Caller, Identities, Lookups, caller_from

T = TypeVar("T")
SESSION_COOKIE = "artsync_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def wake_boards(app: Any, trains: list[str], appended: Mapping[str, list[Event]]) -> None:
    """After a change commits (``services/transaction.py`` calls it): hand this process's hub the events it
    appended, or wake it to read them from the log; tell the other processes."""
    relay = app.state.relay
    for train in trains:
        if not relay.echoes:
            events = appended.get(train)
            if events:
                app.state.hub.hand_out(train, events)  # no read of the log for what this process just wrote
            else:
                app.state.hub.wake(train)
        relay.announce(train)


def forget_identities(app: Any) -> None:
    """After a commit that ended a credential or changed a role: this process forgets whom it knew, and
    (over Redis) so do the others; PostgreSQL's NOTIFY has told them already."""
    app.state.identities.forget()
    app.state.relay.forget()


def new_session(app: Any) -> Session:
    """A session of the app's database that wakes the live boards after a change commits; it takes a connection
    only when first used."""
    session: Session = app.state.sessions()
    session.info[WAKE] = functools.partial(wake_boards, app)
    session.info[FORGET] = functools.partial(forget_identities, app)
    return session


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session for the request; it takes a connection only when the route first uses it.

    Requests with a session are let in two fewer at a time than the pool has connections
    (``app.state.sessions_at_once``): a route that only read keeps its connection until FastAPI has checked its
    answer, which FastAPI does on the routes' thread pool. With as many such requests in flight as connections and
    threads together, every connection was held by an answered route waiting for a thread, and every thread by a
    route waiting for a connection — until the pool's timeout, a 503 each. The connections left over are for the
    edits, lookups and reads that hand theirs back on the thread that took them."""
    async with request.app.state.sessions_at_once:
        session = new_session(request.app)
        try:
            yield session
        finally:
            # A route that committed holds no connection: closing is bookkeeping. One that only read hands its
            # connection back, which talks to the database: not on the event loop.
            if session.in_transaction():
                await run_in_threadpool(session.close)
            else:
                session.close()


Db = Annotated[Session, Depends(get_db)]


async def read(db: Session, service: Callable[..., T], *, one_statement: bool = False, **arguments: Any) -> T:
    """Call a reading service from an ``async`` route: in a worker thread, which then ends the read (handing the
    connection back), so the request holds no connection while it does anything else.

    ``one_statement``: the service reads with a single statement, so on PostgreSQL it runs without a
    transaction around it (no BEGIN and COMMIT round trips; what one statement sees is consistent anyway).
    """

    def call() -> T:
        if one_statement and db.get_bind().dialect.name == "postgresql":
            db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        try:
            found = service(db, **arguments)
        except BaseException:
            db.rollback()
            raise
        db.commit()  # nothing was written; unlike a rollback, this leaves what was read readable
        return found

    return await run_in_threadpool(call)


async def in_thread(app: Any, service: Callable[..., T], **arguments: Any) -> T:
    """Call a writing service with a session of its own, in a worker thread that also closes it: for the room's
    most frequent edit, without ``Db`` — FastAPI's handling of a dependency with an exit step cost a card's move
    a twentieth of its CPU."""

    def call() -> T:
        with new_session(app) as db:
            return service(db, **arguments)

    return await run_in_threadpool(call)


def bearer_token(request: HTTPConnection) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def identify(db: Session, request: HTTPConnection) -> Caller:
    """The caller of an API request or a page: bearer token first, then the session cookie."""
    asked = presented(request)
    return caller_from(asked, identify_all(db, [asked])[asked])


def presented(request: HTTPConnection) -> Presented:
    """The credential a request carries: its bearer token, else its session cookie."""
    token = bearer_token(request)
    if token is not None:
        return "token", token
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return "session", cookie
    raise UnauthenticatedError("sign in first, or send an API token as Authorization: Bearer TOKEN")


def look_up_all(sessions: Callable[[], Session], asked: list[Presented]) -> dict[Presented, Any]:
    """Who holds each credential asked, from the database, on a connection of its own handed back at once."""
    with sessions() as db:
        found = identify_all(db, asked)
        db.commit()
        return found


async def caller_of(connection: HTTPConnection) -> Caller:
    """Who is asking (a request or a live connection): remembered by this process for a moment — and read again
    beside the request once that moment is half gone —, else looked up with whatever else is presented meanwhile
    (``web/identities.py``)."""
    identities: Identities = connection.app.state.identities
    asked = presented(connection)
    caller, due = identities.recall(Credential.of(*asked))
    lookups: Lookups = connection.app.state.lookups
    if caller is None:
        return await lookups.caller(asked)
    if due:
        lookups.refresh(asked)
    return caller


async def get_caller(request: Request) -> Caller:
    """The caller, and for a write that rides on a browser's cookie, its CSRF token checked. The header is read
    here rather than declared as a parameter: FastAPI examines a declared header's type again on every request,
    a fifth of what it spends on a card's move; the API document declares it once for every write
    (``web/openapi.py``)."""
    caller = await caller_of(request)
    csrf_token = request.headers.get(CSRF_HEADER)
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
