"""Pages for people: sign in, the RTE's cockpit, the board, the backlog, findings and history.

Pages are rendered on the server; the board draws itself from the board API
and every page follows the live channel. A request with ``X-Partial: main``
gets only the page's main content, which is how a page refreshes itself when
an event arrives.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from artsync.domain.findings import Finding
from artsync.domain.forecast import iteration_words
from artsync.domain.permissions import Action, allowed
from artsync.domain.plan import Plan
from artsync.domain.progress import FeatureState
from artsync.domain.scenarios import first_to_come, fixable
from artsync.errors import ArtsyncError, UnauthenticatedError
from artsync.services.auth import TooManyAttemptsError, login, logout
from artsync.services.cockpit import get_cockpit
from artsync.services.events import list_events
from artsync.services.findings import list_findings
from artsync.services.trains import list_trains
from artsync.views import board as views
from artsync.web.deps import SESSION_COOKIE, Db, identify
from artsync.web.identities import Caller
from artsync.web.routes.trains import BoardCache

T = TypeVar("T")

router = APIRouter(include_in_schema=False)


def render(request: Request, template: str, caller: Caller | None, status: int = 200, **context: Any) -> Response:
    partial = request.headers.get("x-partial") == "main"
    # Shown with something of an earlier seq (``page_findings``): in how many ms the page should read itself again.
    behind = round(1000 * getattr(request.state, "behind", 0.0))
    response: Response = request.app.state.templates.TemplateResponse(
        request,
        template,
        {"caller": caller, "partial": partial, "behind": behind, **context},
        status_code=status,
    )
    if behind:
        response.headers["X-Behind"] = str(behind)
    return response


def page_caller(request: Request, db: Any) -> Caller | RedirectResponse:
    try:
        return identify(db, request)
    except UnauthenticatedError:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


def train_page(request: Request, db: Any, key: str) -> tuple[Caller, int, Plan] | Response:
    """Who is looking, and the train's plan as of the seq the live channel takes over from: the plan of the board
    this worker keeps (``BoardCache.current``), brought up to now — the room's pages need not each load it again."""
    caller = page_caller(request, db)
    if not isinstance(caller, Caller):
        return caller
    board, _ = request.app.state.boards.current(db, actor=caller.actor, key=key)
    return caller, board.seq, board.plan


HISTORY_PAGE = 100  # events on a page of the history
LOGIN_COOKIE = "artsync_login"
LOGIN_FORM_AGE = 3600  # seconds a sign-in form stays usable


def login_form(request: Request, next: str, status: int = 200, error: str | None = None) -> Response:
    """The sign-in form with a fresh login-CSRF token, in a cookie and in the form (double submit).

    A page on another site cannot read the cookie, so it cannot post a form that signs the
    visitor in to an account of its choosing.
    """
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", None, status, next=safe_next(next), error=error, login_token=token)
    response.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookie(request),
        max_age=LOGIN_FORM_AGE, path="/login",
    )  # fmt: skip
    return response


def secure_cookie(request: Request) -> bool:
    secure: bool | None = request.app.state.settings.secure_cookies
    return request.url.scheme == "https" if secure is None else secure


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return login_form(request, next)


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
    login_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not (login_token and expected and hmac.compare_digest(login_token, expected)):
        error = "this sign-in form has expired or did not come from this site: sign in again"
        return login_form(request, next, 403, error)
    source = request.client.host if request.client else None
    try:
        signed_in = login(db, name=name, password=password, source=source)
    except TooManyAttemptsError as exc:
        response = login_form(request, next, 429, exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except ArtsyncError as exc:
        return login_form(request, next, 401, exc.message)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.token,
        httponly=True,
        samesite="lax",
        secure=secure_cookie(request),
        max_age=14 * 24 * 3600,
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout_submit(request: Request, db: Db, csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    """End the browser session; the form must carry the session's CSRF token, so no other site can sign you out."""
    caller = page_caller(request, db)
    if not isinstance(caller, Caller):
        return caller  # not signed in: nothing to end
    if not (csrf_token and caller.csrf and hmac.compare_digest(csrf_token, caller.csrf)):
        return render(
            request, "login.html", caller, 403, next="/", login_token=None, heading="Sign out",
            error="signing out needs the page's form: reload the page and press Sign out again",
        )  # fmt: skip
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
    return render(request, "trains.html", caller, trains=[views.Train.of(t) for t in trains])


@router.get("/trains/{key}", response_class=HTMLResponse)
def cockpit(request: Request, key: str, db: Db) -> Response:
    caller = page_caller(request, db)
    if not isinstance(caller, Caller):
        return caller
    start_of_day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    board, _ = request.app.state.boards.current(db, actor=caller.actor, key=key)
    # The same for everyone who may read the train, as of this seq and day: made by this worker at most once per
    # lag while the train changes.
    view = lagging_behind(request, key, board.seq, ("cockpit", start_of_day), lambda: get_cockpit(
        db, actor=caller.actor, train_key=key, since=start_of_day, as_of=(board.seq, board.plan),
        findings=page_findings(request, db, caller, key, board.seq, board.plan)))  # fmt: skip
    return render(
        request,
        "cockpit.html",
        caller,
        cockpit=view,
        plan=view.plan,
        seq=view.seq,
        train=key,
        page="cockpit",
        fixes=fixes_offered(caller, key, view.plan, view.errors),
        when=functools.partial(iteration_words, view.plan),
    )


@router.get("/trains/{key}/board", response_class=HTMLResponse)
def board_page(request: Request, key: str, db: Db) -> Response:
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    movable = [t.key for t in plan.teams if allowed(caller.actor, plan.train.key, Action.MOVE_CARD, [t.key]).ok]
    fixes = allowed(caller.actor, plan.train.key, Action.FACILITATE, []).ok  # "Suggest a fix": a repair scenario
    return render(request, "board.html", caller, plan=plan, seq=seq, train=key, page="board", movable=movable,
                  fixes=fixes)  # fmt: skip


BACKLOG_PAGE = 50  # features on a page of the backlog


@router.get("/trains/{key}/backlog", response_class=HTMLResponse)
def backlog_page(
    request: Request, key: str, db: Db, q: str = "", team: str = "", kind: str = "", state: str = "", number: int = 1
) -> Response:
    """The backlog by WSJF, a page at a time; ``q`` finds words in keys and titles, ``team``, ``kind`` and
    ``state`` keep the features a team has cards of, of one kind, or in one state."""
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    words = q.lower().split()
    rows = [
        r
        for r in request.app.state.boards.derived(key, seq, "backlog", lambda: views.backlog(plan))
        if all(w in f"{r.key} {r.title}".lower() for w in words)
        and (not team or team in r.teams)
        and (not kind or r.kind == kind)
        and (not state or r.state == state)
    ]
    pages = max(1, -(-len(rows) // BACKLOG_PAGE))
    number = min(max(1, number), pages)
    return render(
        request,
        "backlog.html",
        caller,
        plan=plan,
        seq=seq,
        train=key,
        rows=rows[(number - 1) * BACKLOG_PAGE : number * BACKLOG_PAGE],
        found=len(rows),
        number=number,
        pages=pages,
        q=q,
        team=team,
        kind=kind,
        state=state,
        states=list(FeatureState),
        editable=allowed(caller.actor, key, Action.EDIT_FEATURE).ok,
        page="backlog",
    )


@router.get("/trains/{key}/findings", response_class=HTMLResponse)
def findings_page(request: Request, key: str, db: Db) -> Response:
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    findings = page_findings(request, db, caller, key, seq, plan, lagging=True)
    return render(
        request,
        "findings.html",
        caller,
        plan=plan,
        seq=seq,
        train=key,
        findings=[views.Finding.of(f) for f in findings],
        page="findings",
        conflict_button=allowed(caller.actor, key, Action.REPORT).ok,
        fixes=fixes_offered(caller, key, plan, findings),
    )


def page_findings(
    request: Request, db: Any, caller: Caller, key: str, seq: int, plan: Plan, *, lagging: bool = False
) -> list[Finding]:
    """The findings of the train's plan as of ``seq`` (read by ``train_page``), today: found once per seq by this
    worker, for every page that shows them. ``lagging``: a page that shows them alone may be given those of an
    earlier seq while the train changes (``Settings.findings_lag_seconds``); it is told when to read itself again."""
    boards: BoardCache = request.app.state.boards

    def found() -> list[Finding]:
        return list_findings(db, actor=caller.actor, train_key=key, plan=plan)

    if not lagging:
        return boards.derived(key, seq, ("findings", date.today()), found)
    return lagging_behind(request, key, seq, ("findings", date.today()), found)


def lagging_behind(request: Request, key: str, seq: int, what: Hashable, make: Callable[[], T]) -> T:
    """What ``make`` derives from the train's whole plan, made by this worker at most once per
    ``Settings.findings_lag_seconds`` while the train changes (``BoardCache.lagging``): the page is told when a newer
    one is due (``X-Behind``), and reads itself again then."""
    boards: BoardCache = request.app.state.boards
    made, due = boards.lagging(key, seq, what, make, request.app.state.settings.findings_lag_seconds)
    if due > 0:
        request.state.behind = max(getattr(request.state, "behind", 0.0), due)
    return made


def fixes_offered(caller: Caller, key: str, plan: Plan, findings: list[Finding]) -> frozenset[str]:
    """The error findings whose "Suggest a fix" this person may ask for: the board's repair may clear them."""
    if not allowed(caller.actor, key, Action.FACILITATE).ok:
        return frozenset()
    return frozenset(f.id for f in fixable(findings, plan, first_to_come(plan, date.today())))


@router.get("/trains/{key}/history", response_class=HTMLResponse)
def history_page(
    request: Request, key: str, db: Db, team: str = "", item: str = "", before: int | None = None
) -> Response:
    """The event log, newest first, a page at a time (``before``: the seq the page ends under)."""
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
        limit=HISTORY_PAGE + 1,  # one more says whether there are older ones
        newest_first=True,
        before=before,
    )
    older = events[HISTORY_PAGE - 1].seq if len(events) > HISTORY_PAGE else None
    return render(
        request,
        "history.html",
        caller,
        plan=plan,
        seq=seq,
        train=key,
        events=[views.Event.of(e) for e in events[:HISTORY_PAGE]],
        team=team,
        item=item,
        older=older,
        paged=before is not None,
        page="history",
    )
