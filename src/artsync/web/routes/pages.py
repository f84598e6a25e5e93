"""Pages for people: sign in, the RTE's cockpit, the board, the backlog, findings and history.

Pages are rendered on the server; the board draws itself from the board API
and every page follows the live channel. A request with ``X-Partial: main``
gets only the page's main content, which is how a page refreshes itself when
an event arrives.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from artsync.domain.forecast import iteration_words
from artsync.domain.permissions import Action, allowed
from artsync.domain.plan import Plan
from artsync.errors import ArtsyncError, UnauthenticatedError
from artsync.io import views
from artsync.services.auth import TooManyAttemptsError, login, logout
from artsync.services.cockpit import get_cockpit
from artsync.services.events import list_events
from artsync.services.findings import list_findings
from artsync.services.trains import get_plan, list_trains, train_seq
from artsync.web.deps import SESSION_COOKIE, Caller, Db, identify

router = APIRouter(include_in_schema=False)


def render(request: Request, template: str, caller: Caller | None, status: int = 200, **context: Any) -> Response:
    partial = request.headers.get("x-partial") == "main"
    response: Response = request.app.state.templates.TemplateResponse(
        request,
        template,
        {"caller": caller, "partial": partial, **context},
        status_code=status,
    )
    return response


def page_caller(request: Request, db: Any) -> Caller | RedirectResponse:
    try:
        return identify(db, request)
    except UnauthenticatedError:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


def train_page(request: Request, db: Any, key: str) -> tuple[Caller, int, Plan] | Response:
    """Who is looking and the train's plan, read after its seq so the live channel can take over from there."""
    caller = page_caller(request, db)
    if not isinstance(caller, Caller):
        return caller
    seq = train_seq(db, actor=caller.actor, train_key=key)
    return caller, seq, get_plan(db, actor=caller.actor, train_key=key)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", None, next=safe_next(next), error=None)


def safe_next(target: str) -> str:
    # Only paths on this site: never an open redirect to another host.
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: Db,
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    source = request.client.host if request.client else None
    try:
        signed_in = login(db, name=name, password=password, source=source)
    except TooManyAttemptsError as exc:
        response = render(request, "login.html", None, 429, next=safe_next(next), error=exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except ArtsyncError as exc:
        return render(request, "login.html", None, 401, next=safe_next(next), error=exc.message)
    response = RedirectResponse(safe_next(next), status_code=303)
    secure = request.app.state.settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" if secure is None else secure,
        max_age=14 * 24 * 3600,
        path="/",
    )
    return response


@router.post("/logout")
def logout_submit(request: Request, db: Db, csrf_token: Annotated[str, Form()] = "") -> Response:
    caller = page_caller(request, db)
    if isinstance(caller, Caller) and caller.csrf == csrf_token:
        logout(db, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: Db) -> Response:
    caller = page_caller(request, db)
    if not isinstance(caller, Caller):
        return caller
    trains = list_trains(db, actor=caller.actor)
    if len(trains) == 1:
        return RedirectResponse(f"/trains/{quote(trains[0].key)}", status_code=303)
    return render(request, "trains.html", caller, trains=trains)


@router.get("/trains/{key}", response_class=HTMLResponse)
def cockpit(request: Request, key: str, db: Db) -> Response:
    caller = page_caller(request, db)
    if not isinstance(caller, Caller):
        return caller
    start_of_day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    view = get_cockpit(db, actor=caller.actor, train_key=key, since=start_of_day)
    return render(
        request,
        "cockpit.html",
        caller,
        cockpit=view,
        plan=view.plan,
        seq=view.seq,
        train=key,
        page="cockpit",
        when=functools.partial(iteration_words, view.plan),
    )


@router.get("/trains/{key}/board", response_class=HTMLResponse)
def board_page(request: Request, key: str, db: Db) -> Response:
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    return render(request, "board.html", caller, plan=plan, seq=seq, train=key, page="board")


@router.get("/trains/{key}/backlog", response_class=HTMLResponse)
def backlog_page(request: Request, key: str, db: Db) -> Response:
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    return render(
        request,
        "backlog.html",
        caller,
        plan=plan,
        seq=seq,
        train=key,
        rows=views.backlog_json(plan),
        editable=allowed(caller.actor, key, Action.EDIT_FEATURE).ok,
        page="backlog",
    )


@router.get("/trains/{key}/findings", response_class=HTMLResponse)
def findings_page(request: Request, key: str, db: Db) -> Response:
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    return render(
        request,
        "findings.html",
        caller,
        plan=plan,
        seq=seq,
        train=key,
        findings=list_findings(db, actor=caller.actor, train_key=key),
        page="findings",
        conflict_button=allowed(caller.actor, key, Action.REPORT).ok,
    )


@router.get("/trains/{key}/history", response_class=HTMLResponse)
def history_page(request: Request, key: str, db: Db, team: str = "", item: str = "") -> Response:
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    events = list_events(
        db,
        actor=caller.actor,
        train_key=key,
        team=team or None,
        item=item.strip() or None,
        limit=500,
        newest_first=True,
    )
    return render(
        request,
        "history.html",
        caller,
        plan=plan,
        seq=seq,
        train=key,
        events=events,
        team=team,
        item=item,
        page="history",
    )
