"""The ART events over the API: the sync agenda, meetings, action items, decisions, impediments, conflicts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from artsync.domain.meetings import MeetingKind, TeamStatus
from artsync.errors import InvalidInputError
from artsync.io import agenda as agenda_io
from artsync.io import views
from artsync.services.conflicts import (
    ConflictView,
    conflict_from_finding,
    decide_conflict,
    get_conflict,
    mediate_conflict,
    report_conflict,
    search_conflicts,
)
from artsync.services.impediments import (
    ImpedimentView,
    get_impediment,
    list_impediments,
    raise_impediment,
    update_impediment,
)
from artsync.services.meetings import (
    MeetingView,
    add_action,
    add_decision,
    art_sync_agenda,
    complete_action,
    decide,
    end_meeting,
    get_meeting,
    list_actions,
    list_decisions,
    list_meetings,
    record_outcome,
    record_team_status,
    schedule_meeting,
    start_meeting,
)
from artsync.web.deps import CurrentCaller, Db, parse_if_match, set_etag
from artsync.web.fields import Name, Note, Text

router = APIRouter(prefix="/api/v1", tags=["art events"])
Items = Annotated[list[Name], Field(max_length=100)]
TodayQuery = Annotated[date | None, Query(description="Judge ages and due dates as of this day; by default today.")]
IfMatch = Annotated[str | None, Header()]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewMeeting(Strict):
    kind: MeetingKind
    day: date
    title: Name | None = None
    iteration: int | None = Field(None, ge=1, le=12)


class StartMeeting(Strict):
    today: date | None = None


class TeamStatusReport(Strict):
    status: TeamStatus
    note: Note | None = None


class Outcome(Strict):
    text: Text
    item: Name | None = None
    team: Name | None = None
    feedback: Note | None = None


class NewAction(Strict):
    text: Text
    owner: Name
    due: date
    meeting: int | None = Field(None, ge=1, le=2**31 - 1)


class ActionPatch(Strict):
    state: Literal["open", "done"]


class NewDecision(Strict):
    question: Text
    meeting: int | None = Field(None, ge=1, le=2**31 - 1)


class TakeDecision(Strict):
    decision: Text
    rationale: Note | None = None
    links: Items = Field(default_factory=list)


class NewImpediment(Strict):
    """An impediment; a team-level one names its team."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"properties": {"level": {"enum": ["train", "portfolio", None]}}},
                {"required": ["team"], "properties": {"team": {"type": "string"}}},
            ]
        },
    )
    text: Text
    team: Name | None = None
    level: Literal["team", "train", "portfolio"] | None = None
    owner: Name | None = None


class ImpedimentPatch(Strict):
    owner: Name | None = None
    level: Literal["team", "train", "portfolio"] | None = None
    state: Literal["open", "resolved"] | None = None
    note: Note | None = None


class NewConflict(Strict):
    """A reported conflict, or (with only ``finding``) one drawn from a finding."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["finding"], "properties": {"finding": {"type": "string"}}},
                {
                    "required": ["kind", "summary", "parties"],
                    "properties": {
                        "kind": {"type": "string"},
                        "summary": {"type": "string"},
                        "parties": {"minItems": 2},
                    },
                },
            ]
        },
    )

    finding: Name | None = None
    kind: Literal["capacity", "dependency", "milestone", "priority", "scope", "people", "other"] | None = None
    summary: Text | None = None
    parties: Items = Field(default_factory=list)
    options: Items = Field(default_factory=list)
    items: Items = Field(default_factory=list)


class ConflictPatch(Strict):
    mediator: Name | None = None
    options: Items | None = None
    status: Literal["open", "mediating", "closed"] | None = None


class ConflictDecision(Strict):
    decision: Text
    rationale: Text
    links: Items = Field(default_factory=list)


def meeting_body(request: Request, key: str, view: MeetingView) -> dict[str, Any]:
    return views.meeting_view_json(view)


def impediment_body(view: ImpedimentView, today: date | None = None) -> dict[str, Any]:
    return {**agenda_io.impediment_json(view.impediment, today or date.today()), "version": view.version}


def conflict_body(view: ConflictView) -> dict[str, Any]:
    return {**agenda_io.conflict_json(view.conflict), "version": view.version}


@router.get("/trains/{key}/sync/agenda")
def sync_agenda(
    key: str,
    db: Db,
    caller: CurrentCaller,
    today: TodayQuery = None,
    kind: Literal["art_sync", "po_sync", "scrum_of_scrums"] = "art_sync",
    format: Literal["json", "markdown"] = "json",
) -> Any:
    """The next ART sync's agenda, from the log since the previous one ended; ``format=markdown`` for text."""
    agenda = agenda_io.agenda_json(art_sync_agenda(db, actor=caller.actor, train_key=key, today=today, kind=kind))
    if format == "markdown":
        return Response(agenda_io.agenda_markdown(agenda), media_type="text/markdown; charset=utf-8")
    return agenda


@router.get("/trains/{key}/meetings")
def meetings(key: str, db: Db, caller: CurrentCaller, kind: MeetingKind | None = None) -> dict[str, Any]:
    """The train's meetings by day."""
    return {
        "meetings": [agenda_io.meeting_json(m) for m in list_meetings(db, actor=caller.actor, train_key=key, kind=kind)]
    }


@router.post("/trains/{key}/meetings", status_code=201)
def new_meeting(key: str, body: NewMeeting, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Schedule an ART event (the RTE)."""
    made = schedule_meeting(
        db, actor=caller.actor, train_key=key, kind=body.kind, day=body.day, title=body.title, iteration=body.iteration
    )
    return meeting_body(request, key, made)


@router.get("/trains/{key}/meetings/{meeting}")
def read_meeting(key: str, meeting: int, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """A meeting: agenda, team status, outcomes, decisions, action items, minutes."""
    return views.meeting_view_json(get_meeting(db, actor=caller.actor, train_key=key, meeting_id=meeting))


@router.get("/trains/{key}/meetings/{meeting}/minutes")
def minutes(key: str, meeting: int, db: Db, caller: CurrentCaller) -> Response:
    """The minutes as Markdown (as they stand while the meeting runs)."""
    found = get_meeting(db, actor=caller.actor, train_key=key, meeting_id=meeting)
    return Response(views.current_minutes(found), media_type="text/markdown; charset=utf-8")


@router.post("/trains/{key}/meetings/{meeting}/start")
def begin_meeting(
    key: str, meeting: int, body: StartMeeting, request: Request, db: Db, caller: CurrentCaller
) -> dict[str, Any]:
    """Start the meeting; its agenda is generated now and kept."""
    started = start_meeting(db, actor=caller.actor, train_key=key, meeting_id=meeting, today=body.today)
    return meeting_body(request, key, started)


@router.put("/trains/{key}/meetings/{meeting}/teams/{team}")
def team_status(
    key: str, meeting: int, team: str, body: TeamStatusReport, request: Request, db: Db, caller: CurrentCaller
) -> dict[str, Any]:
    """Record what a team reports in the meeting."""
    view = record_team_status(
        db, actor=caller.actor, train_key=key, meeting_id=meeting, team=team, status=body.status, note=body.note
    )
    return meeting_body(request, key, view)


@router.post("/trains/{key}/meetings/{meeting}/outcomes", status_code=201)
def outcome(key: str, meeting: int, body: Outcome, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Record an outcome: what a system demo showed and its feedback, an I&A result."""
    view = record_outcome(
        db, actor=caller.actor, train_key=key, meeting_id=meeting, text=body.text, item=body.item, team=body.team,
        feedback=body.feedback,
    )  # fmt: skip
    return meeting_body(request, key, view)


@router.post("/trains/{key}/meetings/{meeting}/end")
def finish_meeting(key: str, meeting: int, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """End the meeting: the minutes are written and kept."""
    return meeting_body(request, key, end_meeting(db, actor=caller.actor, train_key=key, meeting_id=meeting))


@router.get("/trains/{key}/actions")
def actions(
    key: str, db: Db, caller: CurrentCaller, state: Literal["open", "done", "all"] = "open", today: TodayQuery = None
) -> dict[str, Any]:
    """Action items by due date; ``overdue`` as of today."""
    found = list_actions(db, actor=caller.actor, train_key=key, state=None if state == "all" else state)
    return {"actions": [agenda_io.action_json(a, today or date.today()) for a in found]}


@router.post("/trains/{key}/actions", status_code=201)
def new_action(key: str, body: NewAction, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Add an action item with its owner and due date (the RTE)."""
    item = add_action(
        db, actor=caller.actor, train_key=key, text=body.text, owner=body.owner, due=body.due, meeting_id=body.meeting
    )
    return agenda_io.action_json(item, date.today())


@router.patch("/trains/{key}/actions/{action}")
def patch_action(
    key: str, action: str, body: ActionPatch, request: Request, db: Db, caller: CurrentCaller, if_match: IfMatch = None
) -> dict[str, Any]:
    """Mark an action item done or open again (its owner or the RTE)."""
    item = complete_action(
        db, actor=caller.actor, train_key=key, key=action, done=body.state == "done", version=parse_if_match(if_match)
    )
    return agenda_io.action_json(item, date.today())


@router.get("/trains/{key}/decisions")
def decisions(
    key: str, db: Db, caller: CurrentCaller, state: Literal["pending", "decided"] | None = None
) -> dict[str, Any]:
    """The decision log."""
    found = list_decisions(db, actor=caller.actor, train_key=key, state=state)
    return {"decisions": [agenda_io.decision_json(d) for d in found]}


@router.post("/trains/{key}/decisions", status_code=201)
def new_decision(key: str, body: NewDecision, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Record a decision the train needs (the RTE)."""
    made = add_decision(db, actor=caller.actor, train_key=key, question=body.question, meeting_id=body.meeting)
    return agenda_io.decision_json(made)


@router.put("/trains/{key}/decisions/{decision}")
def take_decision(
    key: str, decision: str, body: TakeDecision, request: Request, db: Db, caller: CurrentCaller
) -> dict[str, Any]:
    """Take a decision: what, why, and the items it changed."""
    taken = decide(
        db, actor=caller.actor, train_key=key, key=decision, decision=body.decision, rationale=body.rationale,
        links=body.links,
    )  # fmt: skip
    return agenda_io.decision_json(taken)


@router.get("/trains/{key}/impediments")
def impediments(
    key: str,
    db: Db,
    caller: CurrentCaller,
    state: Literal["open", "resolved", "all"] = "open",
    today: TodayQuery = None,
) -> dict[str, Any]:
    """Impediments, oldest first, with age and whether they are aging."""
    found = list_impediments(db, actor=caller.actor, train_key=key, state=None if state == "all" else state)
    return {"impediments": [agenda_io.impediment_json(i, today or date.today()) for i in found]}


@router.post("/trains/{key}/impediments", status_code=201)
def new_impediment(
    key: str, body: NewImpediment, request: Request, db: Db, caller: CurrentCaller, response: Response
) -> dict[str, Any]:
    """Raise an impediment (anyone on the train)."""
    raised = raise_impediment(
        db, actor=caller.actor, train_key=key, text=body.text, team=body.team, level=body.level, owner=body.owner
    )
    set_etag(response, raised.version)
    return impediment_body(raised)


@router.get("/trains/{key}/impediments/{impediment}")
def read_impediment(key: str, impediment: str, db: Db, caller: CurrentCaller, response: Response) -> dict[str, Any]:
    found = get_impediment(db, actor=caller.actor, train_key=key, key=impediment)
    set_etag(response, found.version)
    return impediment_body(found)


@router.patch("/trains/{key}/impediments/{impediment}")
def patch_impediment(
    key: str,
    impediment: str,
    body: ImpedimentPatch,
    request: Request,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Own, escalate (only upwards), resolve or reopen an impediment; If-Match is optional."""
    updated = update_impediment(
        db, actor=caller.actor, train_key=key, key=impediment, owner=body.owner, level=body.level, state=body.state,
        note=body.note, version=parse_if_match(if_match),
    )  # fmt: skip
    set_etag(response, updated.version)
    return impediment_body(updated)


@router.get("/trains/{key}/conflicts")
def conflicts(
    key: str,
    db: Db,
    caller: CurrentCaller,
    q: Annotated[str | None, Query(max_length=200, description="Words that must all appear")] = None,
    status: Literal["open", "mediating", "decided", "closed"] | None = None,
    kind: Literal["capacity", "dependency", "milestone", "priority", "scope", "people", "other"] | None = None,
    party: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Search the conflict log, newest first."""
    found = search_conflicts(db, actor=caller.actor, train_key=key, query=q, status=status, kind=kind, party=party)
    return {"conflicts": [agenda_io.conflict_json(c) for c in found]}


@router.post("/trains/{key}/conflicts", status_code=201)
def new_conflict(
    key: str, body: NewConflict, request: Request, db: Db, caller: CurrentCaller, response: Response
) -> dict[str, Any]:
    """Report a conflict; or send only ``finding`` to draw it from that finding in one step."""
    if body.finding is not None:
        made = conflict_from_finding(db, actor=caller.actor, train_key=key, finding_id=body.finding)
    else:
        if body.kind is None or body.summary is None:
            raise InvalidInputError("a conflict needs its kind and summary, or the finding it comes from")
        made = report_conflict(
            db, actor=caller.actor, train_key=key, kind=body.kind, summary=body.summary, parties=body.parties,
            options=body.options, items=body.items,
        )  # fmt: skip
    set_etag(response, made.version)
    return conflict_body(made)


@router.get("/trains/{key}/conflicts/{conflict}")
def read_conflict(key: str, conflict: str, db: Db, caller: CurrentCaller, response: Response) -> dict[str, Any]:
    found = get_conflict(db, actor=caller.actor, train_key=key, key=conflict)
    set_etag(response, found.version)
    return conflict_body(found)


@router.patch("/trains/{key}/conflicts/{conflict}")
def patch_conflict(
    key: str,
    conflict: str,
    body: ConflictPatch,
    request: Request,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Mediate: the mediator, the options, the status (the RTE)."""
    made = mediate_conflict(
        db, actor=caller.actor, train_key=key, key=conflict, mediator=body.mediator, options=body.options,
        status=body.status, version=parse_if_match(if_match),
    )  # fmt: skip
    set_etag(response, made.version)
    return conflict_body(made)


@router.put("/trains/{key}/conflicts/{conflict}/decision")
def conflict_decision(
    key: str,
    conflict: str,
    body: ConflictDecision,
    request: Request,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Record the mediated decision, its rationale and the items it changed; it enters the decision log."""
    made = decide_conflict(
        db, actor=caller.actor, train_key=key, key=conflict, decision=body.decision, rationale=body.rationale,
        links=body.links, version=parse_if_match(if_match),
    )  # fmt: skip
    set_etag(response, made.version)
    return conflict_body(made)
