"""Pages for the ART events: PI planning (vote, commit, objectives), WSJF, draft plan review, ROAM board,
ART sync and meetings, impediments, the conflict log. Forms on them act through the JSON API."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from artsync.domain.board import dependency_statuses
from artsync.domain.conflicts import KINDS as CONFLICT_KINDS
from artsync.domain.findings import Finding
from artsync.domain.meetings import KINDS as MEETING_KINDS
from artsync.domain.meetings import TEAM_STATUSES
from artsync.domain.permissions import Action, allowed
from artsync.domain.plan import ROAM_STATES, Plan
from artsync.domain.workshop import CATEGORIES
from artsync.domain.wsjf import COLUMNS, SCALE
from artsync.errors import NotFoundError
from artsync.formats import agenda as agenda_io
from artsync.services.art_status import get_art_status
from artsync.services.baselines import get_committed
from artsync.services.capacity import get_capacity
from artsync.services.conflicts import search_conflicts
from artsync.services.forecast import TrainForecast, get_forecast
from artsync.services.impediments import list_impediments
from artsync.services.meetings import art_sync_agenda, get_meeting, list_actions, list_decisions, list_meetings
from artsync.services.notifications import get_subscription, list_subscriptions, list_webhooks
from artsync.services.outbox import list_outbox
from artsync.services.report import Report, pi_report
from artsync.services.votes import get_vote
from artsync.services.wsjf import get_wsjf_session
from artsync.views import board as board_views
from artsync.views import notifications as shown
from artsync.views.art_events import Meeting as MeetingView
from artsync.views.planning import RiskItem, Vote, Wsjf
from artsync.views.report import report_body_html, tables
from artsync.web.deps import Db
from artsync.web.identities import Caller
from artsync.web.routes.pages import lagging_behind, page_findings, render, train_page

router = APIRouter(include_in_schema=False)
ROAM_COLUMNS = ("unroamed", *[s for s in ROAM_STATES if s != "unroamed"])


@functools.cache
def markdown() -> Any:
    """CommonMark without HTML (minutes are text: no HTML passes through); loaded with the first agenda shown."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False})


def as_html(text: str) -> str:
    return str(markdown().render(text))


def may(caller: Caller, train: str, action: Action, teams: list[str | None] | None = None) -> bool:
    return allowed(caller.actor, train, action, teams or []).ok


def optional(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """The result, or None where there is nothing yet (no vote, no session, no baseline)."""
    try:
        return fn(*args, **kwargs)
    except NotFoundError:
        return None


@router.get("/trains/{key}/planning", response_class=HTMLResponse)
def planning_page(request: Request, key: str, db: Db) -> Response:
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    round_ = optional(get_vote, db, actor=caller.actor, train_key=key)
    baseline = optional(get_committed, db, actor=caller.actor, train_key=key)
    vote = Vote.of(round_) if round_ else None
    findings = page_findings(request, db, caller, key, seq, plan, lagging=True)
    return render(
        request, "planning.html", caller, plan=plan, seq=seq, train=key, page="planning", vote=vote,
        baseline=baseline, findings=findings, blockers=[f for f in findings if f.severity == "error"],
        unroamed=[r for r in plan.risks if r.roam == "unroamed"], facilitate=may(caller, key, Action.FACILITATE),
        may_vote=may(caller, key, Action.VOTE), value=may(caller, key, Action.SET_BUSINESS_VALUE),
        objectives=sorted(plan.objectives, key=lambda o: (o.team or "", not o.committed, o.key)),
    )  # fmt: skip


@router.get("/trains/{key}/wsjf", response_class=HTMLResponse)
def wsjf_page(request: Request, key: str, db: Db) -> Response:
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    session = optional(get_wsjf_session, db, actor=caller.actor, train_key=key)
    return render(
        request, "wsjf.html", caller, plan=plan, seq=seq, train=key, page="planning",
        session=Wsjf.of(session) if session else None,
        columns=COLUMNS, scale=SCALE, features=plan.features_by_key, editable=may(caller, key, Action.EDIT_FEATURE),
    )  # fmt: skip


@router.get("/trains/{key}/teams/{team}/review", response_class=HTMLResponse)
def review_page(request: Request, key: str, team: str, db: Db) -> Response:
    """The draft plan review of one team, generated from the plan."""
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    capacity = get_capacity(db, actor=caller.actor, train_key=key)
    mine = next((t for t in capacity.teams if t.team == team), None)
    if mine is None:
        raise NotFoundError(f"no team {team!r} in {key}")
    return render(
        request, "review.html", caller, plan=plan, seq=seq, train=key, page="planning", team=team, capacity=mine,
        may_edit=may(caller, key, Action.EDIT_OBJECTIVE, [team]),
        **review_of(plan, team, page_findings(request, db, caller, key, seq, plan, lagging=True)),
    )  # fmt: skip


def review_of(plan: Plan, team: str, findings: list[Finding]) -> dict[str, Any]:
    statuses = dependency_statuses(plan)
    cards = plan.cards_by_ref
    return {
        "cards": sorted((c for c in plan.cards if c.team == team), key=lambda c: (c.iteration or 99, c.ref)),
        "objectives": sorted((o for o in plan.objectives if o.team == team), key=lambda o: (not o.committed, o.key)),
        "risks": [r for r in plan.risks if r.team == team],
        "requested": [
            (d, statuses[d.key].value, cards[d.provider].team)
            for d in plan.dependencies
            if cards[d.consumer].team == team
        ],
        "provided": [
            (d, statuses[d.key].value, cards[d.consumer].team)
            for d in plan.dependencies
            if cards[d.provider].team == team and cards[d.consumer].team != team
        ],
        "findings": [f for f in findings if any(i == team or i.endswith(f"@{team}") for i in f.items)],
        "features": plan.features_by_key,
    }


@router.get("/trains/{key}/roam", response_class=HTMLResponse)
def roam_page(request: Request, key: str, db: Db) -> Response:
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    columns = {state: [RiskItem.of(r) for r in plan.risks if r.roam == state] for state in ROAM_COLUMNS}
    movable = {r.key for r in plan.risks if may(caller, key, Action.ROAM_RISK, [r.team])}
    return render(
        request, "roam.html", caller, plan=plan, seq=seq, train=key, page="roam", columns=columns, movable=movable,
        states=ROAM_STATES, may_raise=may(caller, key, Action.RAISE_RISK),
    )  # fmt: skip


@router.get("/trains/{key}/sync", response_class=HTMLResponse)
def sync_page(request: Request, key: str, db: Db) -> Response:
    """The ART sync: the running one, or the agenda the next one would have; the meetings so far."""
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    today = date.today()
    meetings = [agenda_io.MeetingRecord.of(m) for m in list_meetings(db, actor=caller.actor, train_key=key)]

    def agenda() -> str:  # the log since the last sync, the findings then and now, as HTML
        findings = page_findings(request, db, caller, key, seq, plan)
        made = art_sync_agenda(db, actor=caller.actor, train_key=key, today=today, plan=plan, findings=findings)
        return as_html(agenda_io.agenda_markdown(agenda_io.agenda_json(made)))

    # What the next sync covers, as of this seq: made by this worker for everyone with the page open, at most once
    # per lag while the train changes.
    agenda_html = lagging_behind(request, key, seq, ("agenda", today), agenda)
    return render(
        request, "sync.html", caller, plan=plan, seq=seq, train=key, page="sync", meetings=meetings,
        art=request.app.state.boards.derived(key, seq, ("art status", today), lambda: get_art_status(
            db, actor=caller.actor, train_key=key, today=today, plan=plan)),
        agenda_html=agenda_html, kinds=MEETING_KINDS,
        running=[m for m in meetings if m.state == "running"], facilitate=may(caller, key, Action.FACILITATE),
        today=today,
        actions=[agenda_io.ActionRecord.of(a, today) for a in list_actions(db, actor=caller.actor, train_key=key)],
        decisions=[agenda_io.DecisionRecord.of(d)
                   for d in list_decisions(db, actor=caller.actor, train_key=key, state="pending")],
    )  # fmt: skip


@router.get("/trains/{key}/meetings/{meeting}", response_class=HTMLResponse)
def meeting_page(request: Request, key: str, meeting: int, db: Db) -> Response:
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    found = get_meeting(db, actor=caller.actor, train_key=key, meeting_id=meeting)
    today = date.today()
    shown_meeting = MeetingView.of_view(found, today)  # what GET …/meetings/{id} answers
    return render(
        request, "meeting.html", caller, plan=plan, seq=seq, train=key, page="sync", view=shown_meeting,
        m=shown_meeting, agenda_html=as_html(agenda_io.meeting_agenda_markdown(found.value.meeting)),
        minutes_html=as_html(shown_meeting.minutes), statuses=TEAM_STATUSES,
        facilitate=may(caller, key, Action.FACILITATE), today=today,
    )  # fmt: skip


@router.get("/trains/{key}/impediments", response_class=HTMLResponse)
def impediments_page(request: Request, key: str, db: Db, show: str = "open") -> Response:
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    today = date.today()
    found = [
        agenda_io.ImpedimentRecord.of(i, today)
        for i in list_impediments(db, actor=caller.actor, train_key=key, state=None if show == "all" else "open")
    ]
    return render(
        request, "impediments.html", caller, plan=plan, seq=seq, train=key, page="impediments", impediments=found,
        show=show, may_report=may(caller, key, Action.REPORT),
        manageable={i.key for i in found if may(caller, key, Action.MANAGE_IMPEDIMENT,
                                                [i.team if i.level == "team" else None])},
    )  # fmt: skip


@router.get("/trains/{key}/conflicts", response_class=HTMLResponse)
def conflicts_page(
    request: Request, key: str, db: Db, q: str = "", status: str = "", kind: str = "", party: str = ""
) -> Response:
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    found = search_conflicts(
        db, actor=caller.actor, train_key=key, query=q[:200] or None, status=status or None, kind=kind or None,
        party=party[:200] or None,
    )  # fmt: skip
    shown = [agenda_io.ConflictRecord.of(c) for c in found]
    return render(
        request, "conflicts.html", caller, plan=plan, seq=seq, train=key, page="conflicts", conflicts=shown, q=q,
        status_filter=status, kind=kind, party=party, kinds=CONFLICT_KINDS,
        facilitate=may(caller, key, Action.FACILITATE), may_report=may(caller, key, Action.REPORT),
    )  # fmt: skip


@router.get("/trains/{key}/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, key: str, db: Db) -> Response:
    """Your subscription and calendar feed; for the RTE also the outbox, webhooks and everyone's subscriptions."""
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    admin = may(caller, key, Action.ADMINISTER)
    messages, counts = list_outbox(db, actor=caller.actor, train_key=key) if admin else ([], {})
    mine = optional(get_subscription, db, actor=caller.actor, train_key=key)
    return render(
        request, "notifications.html", caller, plan=plan, seq=seq, train=key, page="notifications", admin=admin,
        mine=shown.Subscription.of(mine) if mine else None, messages=[shown.Message.of(m) for m in messages],
        counts=counts,
        webhooks=[shown.Webhook.of(h) for h in list_webhooks(db, actor=caller.actor, train_key=key)] if admin else [],
        subscriptions=[shown.Subscription.of(s) for s in list_subscriptions(db, actor=caller.actor, train_key=key)]
        if admin else [],
    )  # fmt: skip


@router.get("/trains/{key}/tracker", response_class=HTMLResponse)
def tracker_page(request: Request, key: str, db: Db) -> Response:
    """Where the train's teams work (Jira): the last pull and its error, the pushes waiting, the conflict log."""
    from artsync.formats.connection import webhook_secret
    from artsync.services.connections import conflicts_of, get_connection, last_push_at, pending_pushes
    from artsync.views.connections import TrackerConnection

    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    connection = optional(get_connection, db, actor=caller.actor, train_key=key)
    shown_connection = None
    if connection is not None:
        waiting = pending_pushes(db, actor=caller.actor, train_key=key)
        conflicts = conflicts_of(db, actor=caller.actor, train_key=key)[:50]
        hooks = webhook_secret(connection.settings) is not None
        pushed = last_push_at(db, actor=caller.actor, train_key=key)
        shown_connection = TrackerConnection.of(connection, waiting, conflicts, hooks, pushed)
    return render(request, "tracker.html", caller, plan=plan, seq=seq, train=key, page="notifications",
                  connection=shown_connection, admin=may(caller, key, Action.ADMINISTER))  # fmt: skip


@router.get("/trains/{key}/forecast", response_class=HTMLResponse)
def forecast_page(request: Request, key: str, db: Db) -> Response:
    """Milestones and objectives: the chance of making each, and by when it is 85% likely."""
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page

    def forecast() -> TrainForecast:  # the whole forecast: ~0.75 s on 40 teams, at most once a lag while they change
        return get_forecast(db, actor=caller.actor, train_key=key, plan=plan)

    found = lagging_behind(request, key, seq, ("forecast", date.today()), forecast)
    return render(
        request, "forecast.html", caller, plan=found.plan, seq=seq, train=key, page="forecast",
        f=board_views.Forecast.of(found),  # what GET …/forecast answers
        milestones={m.key: m for m in found.plan.milestones},
    )  # fmt: skip


@router.get("/trains/{key}/report", response_class=HTMLResponse)
def report_page(request: Request, key: str, db: Db, pi: str | None = None) -> Response:
    """The PI report, with the problem-solving workshop's forms; CSV per table, the whole report as a file."""
    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    pi_key, today = (pi[:64] if pi else None), date.today()

    def report() -> tuple[Report, Markup]:  # rendered by views/report.py, which escapes what it shows
        made = pi_report(db, actor=caller.actor, train_key=key, pi_key=pi_key, today=today)
        return made, Markup(report_body_html(made))

    # The same for everyone who may read the train, as of this seq and day: made once per seq by this worker.
    made, body = request.app.state.boards.derived(key, seq, ("report", pi_key, today), report)
    return render(
        request, "report.html", caller, plan=plan, seq=seq, train=key, page="report", pi=made.measures.plan.pi.key,
        body=body,
        problems=made.problems, tables=list(tables(made)), may_report=may(caller, key, Action.REPORT),
        may_improve=may(caller, key, Action.EDIT_FEATURE), categories=CATEGORIES,
        pis=[t.pi for t in made.measures.trend],
    )  # fmt: skip


@router.get("/trains/{key}/scenarios", response_class=HTMLResponse)
def scenarios_page(request: Request, key: str, db: Db) -> Response:
    """Drafts, repairs and what-ifs of the PI's plan side by side: solve, stop, accept; start a new one."""
    from artsync.domain.optimizer import SOLVERS, missing_solver
    from artsync.domain.scenarios import EXAMPLES, gap_words, outcome_words
    from artsync.services.scenarios import compare_scenarios

    page = train_page(request, db, key)
    if isinstance(page, Response):
        return page
    caller, seq, plan = page
    table = compare_scenarios(db, actor=caller.actor, train_key=key, plan=plan)
    return render(request, "scenarios.html", caller, plan=plan, seq=seq, train=key, page="scenarios",
                  table=table, examples=EXAMPLES, facilitate=may(caller, key, Action.FACILITATE),
                  gap_words=gap_words, outcome_words=outcome_words,
                  solvers=[name for name in SOLVERS if missing_solver(name) is None])  # fmt: skip
