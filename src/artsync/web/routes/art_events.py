"""The ART events over the API: the sync agenda, meetings, action items, decisions, impediments, conflicts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from artsync.domain.meetings import MeetingKind, TeamStatus
from artsync.errors import InvalidInputError
from artsync.formats import agenda as agenda_io
from artsync.formats.agenda import (
    ActionRecord,
    AgendaRecord,
    ConflictRecord,
    DecisionRecord,
    ImpedimentRecord,
    MeetingRecord,
)
from artsync.formats.fields import Name, Note, Text
from artsync.services.conflicts import (
    conflict_from_finding,
    decide_conflict,
    get_conflict,
    mediate_conflict,
    report_conflict,
    search_conflicts,
)
from artsync.services.impediments import (
    get_impediment,
    list_impediments,
    raise_impediment,
    update_impediment,
)
from artsync.services.meetings import (
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
    record_team_statuses,
    schedule_meeting,
    start_meeting,
)
from artsync.views import art_events as shown
from artsync.web.deps import CurrentCaller, Db, parse_if_match, set_etag

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


class TeamStatuses(Strict):
    teams: dict[str, TeamStatusReport] = Field(min_length=1, max_length=100)  # unknown teams: 404 from the service


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


@router.get(
    "/trains/{key}/sync/agenda",
    response_model=AgendaRecord,
    responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}},
)
def sync_agenda(
    key: str,
    db: Db,
    caller: CurrentCaller,
    today: TodayQuery = None,
    kind: Literal["art_sync", "po_sync", "scrum_of_scrums"] = "art_sync",
    format: Literal["json", "markdown"] = "json",
) -> Any:
    """The next ART sync's agenda, from the log since the previous one ended; ``format=markdown`` for text."""
    agenda = AgendaRecord.of(art_sync_agenda(db, actor=caller.actor, train_key=key, today=today, kind=kind))
    if format == "markdown":
        return Response(agenda_io.agenda_markdown(agenda.json_value()), media_type="text/markdown; charset=utf-8")
    return agenda


@router.get("/trains/{key}/meetings")
def meetings(key: str, db: Db, caller: CurrentCaller, kind: MeetingKind | None = None) -> shown.MeetingList:
    """The train's meetings by day."""
    found = list_meetings(db, actor=caller.actor, train_key=key, kind=kind)
    return shown.MeetingList(meetings=[MeetingRecord.of(m) for m in found])


@router.post("/trains/{key}/meetings", status_code=201)
def new_meeting(key: str, body: NewMeeting, db: Db, caller: CurrentCaller) -> shown.Meeting:
    """Schedule an ART event (the RTE)."""
    made = schedule_meeting(
        db, actor=caller.actor, train_key=key, kind=body.kind, day=body.day, title=body.title, iteration=body.iteration
    )
    return shown.Meeting.of_view(made)


@router.get("/trains/{key}/meetings/{meeting}")
def read_meeting(key: str, meeting: int, db: Db, caller: CurrentCaller) -> shown.Meeting:
    """A meeting: agenda, team status, outcomes, decisions, action items, minutes."""
    return shown.Meeting.of_view(get_meeting(db, actor=caller.actor, train_key=key, meeting_id=meeting))


@router.get(
    "/trains/{key}/meetings/{meeting}/minutes",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}, "description": "The minutes"}},
)
def minutes(key: str, meeting: int, db: Db, caller: CurrentCaller) -> Response:
    """The minutes as Markdown (as they stand while the meeting runs)."""
    found = get_meeting(db, actor=caller.actor, train_key=key, meeting_id=meeting)
    return Response(shown.current_minutes(found.value), media_type="text/markdown; charset=utf-8")


@router.post("/trains/{key}/meetings/{meeting}/start")
def begin_meeting(key: str, meeting: int, body: StartMeeting, db: Db, caller: CurrentCaller) -> shown.Meeting:
    """Start the meeting; its agenda is generated now and kept."""
    started = start_meeting(db, actor=caller.actor, train_key=key, meeting_id=meeting, today=body.today)
    return shown.Meeting.of_view(started)


@router.put("/trains/{key}/meetings/{meeting}/teams/{team}")
def team_status(
    key: str, meeting: int, team: str, body: TeamStatusReport, db: Db, caller: CurrentCaller
) -> shown.Meeting:
    """Record what a team reports in the meeting."""
    view = record_team_status(
        db, actor=caller.actor, train_key=key, meeting_id=meeting, team=team, status=body.status, note=body.note
    )
    return shown.Meeting.of_view(view)


@router.put("/trains/{key}/meetings/{meeting}/teams")
def team_statuses(key: str, meeting: int, body: TeamStatuses, db: Db, caller: CurrentCaller) -> shown.Meeting:
    """Record what every team reports, from one form: all or none."""
    reports = {team: (report.status, report.note) for team, report in body.teams.items()}
    view = record_team_statuses(db, actor=caller.actor, train_key=key, meeting_id=meeting, reports=reports)
    return shown.Meeting.of_view(view)


@router.post("/trains/{key}/meetings/{meeting}/outcomes", status_code=201)
def outcome(key: str, meeting: int, body: Outcome, db: Db, caller: CurrentCaller) -> shown.Meeting:
    """Record an outcome: what a system demo showed and its feedback, an I&A result."""
    view = record_outcome(
        db, actor=caller.actor, train_key=key, meeting_id=meeting, text=body.text, item=body.item, team=body.team,
        feedback=body.feedback,
    )  # fmt: skip
    return shown.Meeting.of_view(view)


@router.post("/trains/{key}/meetings/{meeting}/end")
def finish_meeting(key: str, meeting: int, db: Db, caller: CurrentCaller) -> shown.Meeting:
    """End the meeting: the minutes are written and kept."""
    return shown.Meeting.of_view(end_meeting(db, actor=caller.actor, train_key=key, meeting_id=meeting))


@router.get("/trains/{key}/actions")
def actions(
    key: str, db: Db, caller: CurrentCaller, state: Literal["open", "done", "all"] = "open", today: TodayQuery = None
) -> shown.ActionList:
    """Action items by due date; ``overdue`` as of today."""
    found = list_actions(db, actor=caller.actor, train_key=key, state=None if state == "all" else state)
    return shown.ActionList(actions=[ActionRecord.of(a, today or date.today()) for a in found])


@router.post("/trains/{key}/actions", status_code=201)
def new_action(key: str, body: NewAction, db: Db, caller: CurrentCaller) -> ActionRecord:
    """Add an action item with its owner and due date (the RTE)."""
    item = add_action(
        db, actor=caller.actor, train_key=key, text=body.text, owner=body.owner, due=body.due, meeting_id=body.meeting
    )
    return ActionRecord.of(item, date.today())


@router.patch("/trains/{key}/actions/{action}")
def patch_action(
    key: str, action: str, body: ActionPatch, db: Db, caller: CurrentCaller, if_match: IfMatch = None
) -> ActionRecord:
    """Mark an action item done or open again (its owner or the RTE)."""
    item = complete_action(
        db, actor=caller.actor, train_key=key, key=action, done=body.state == "done", version=parse_if_match(if_match)
    )
    return ActionRecord.of(item, date.today())


@router.get("/trains/{key}/decisions")
def decisions(
    key: str, db: Db, caller: CurrentCaller, state: Literal["pending", "decided"] | None = None
) -> shown.DecisionList:
    """The decision log."""
    found = list_decisions(db, actor=caller.actor, train_key=key, state=state)
    return shown.DecisionList(decisions=[DecisionRecord.of(d) for d in found])


@router.post("/trains/{key}/decisions", status_code=201)
def new_decision(key: str, body: NewDecision, db: Db, caller: CurrentCaller) -> DecisionRecord:
    """Record a decision the train needs (the RTE)."""
    made = add_decision(db, actor=caller.actor, train_key=key, question=body.question, meeting_id=body.meeting)
    return DecisionRecord.of(made)


@router.put("/trains/{key}/decisions/{decision}")
def take_decision(key: str, decision: str, body: TakeDecision, db: Db, caller: CurrentCaller) -> DecisionRecord:
    """Take a decision: what, why, and the items it changed."""
    taken = decide(
        db, actor=caller.actor, train_key=key, key=decision, decision=body.decision, rationale=body.rationale,
        links=body.links,
    )  # fmt: skip
    return DecisionRecord.of(taken)


@router.get("/trains/{key}/impediments")
def impediments(
    key: str,
    db: Db,
    caller: CurrentCaller,
    state: Literal["open", "resolved", "all"] = "open",
    today: TodayQuery = None,
) -> shown.ImpedimentList:
    """Impediments, oldest first, with age and whether they are aging."""
    found = list_impediments(db, actor=caller.actor, train_key=key, state=None if state == "all" else state)
    return shown.ImpedimentList(impediments=[ImpedimentRecord.of(i, today or date.today()) for i in found])


@router.post("/trains/{key}/impediments", status_code=201)
def new_impediment(
    key: str, body: NewImpediment, db: Db, caller: CurrentCaller, response: Response
) -> shown.Impediment:
    """Raise an impediment (anyone on the train)."""
    raised = raise_impediment(
        db, actor=caller.actor, train_key=key, text=body.text, team=body.team, level=body.level, owner=body.owner
    )
    set_etag(response, raised.version)
    return shown.Impediment.of_view(raised, date.today())


@router.get("/trains/{key}/impediments/{impediment}")
def read_impediment(key: str, impediment: str, db: Db, caller: CurrentCaller, response: Response) -> shown.Impediment:
    found = get_impediment(db, actor=caller.actor, train_key=key, key=impediment)
    set_etag(response, found.version)
    return shown.Impediment.of_view(found, date.today())


@router.patch("/trains/{key}/impediments/{impediment}")
def patch_impediment(
    key: str,
    impediment: str,
    body: ImpedimentPatch,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    if_match: IfMatch = None,
) -> shown.Impediment:
    """Own, escalate (only upwards), resolve or reopen an impediment; If-Match is optional."""
    updated = update_impediment(
        db, actor=caller.actor, train_key=key, key=impediment, owner=body.owner, level=body.level, state=body.state,
        note=body.note, version=parse_if_match(if_match),
    )  # fmt: skip
    set_etag(response, updated.version)
    return shown.Impediment.of_view(updated, date.today())


@router.get("/trains/{key}/conflicts")
def conflicts(
    key: str,
    db: Db,
    caller: CurrentCaller,
    q: Annotated[str | None, Query(max_length=200, description="Words that must all appear")] = None,
    status: Literal["open", "mediating", "decided", "closed"] | None = None,
    kind: Literal["capacity", "dependency", "milestone", "priority", "scope", "people", "other"] | None = None,
    party: Annotated[str | None, Query(max_length=200)] = None,
) -> shown.ConflictList:
    """Search the conflict log, newest first."""
    found = search_conflicts(db, actor=caller.actor, train_key=key, query=q, status=status, kind=kind, party=party)
    return shown.ConflictList(conflicts=[ConflictRecord.of(c) for c in found])


@router.post("/trains/{key}/conflicts", status_code=201)
def new_conflict(key: str, body: NewConflict, db: Db, caller: CurrentCaller, response: Response) -> shown.Conflict:
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
    return shown.Conflict.of_view(made)


@router.get("/trains/{key}/conflicts/{conflict}")
def read_conflict(key: str, conflict: str, db: Db, caller: CurrentCaller, response: Response) -> shown.Conflict:
    found = get_conflict(db, actor=caller.actor, train_key=key, key=conflict)
    set_etag(response, found.version)
    return shown.Conflict.of_view(found)


@router.patch("/trains/{key}/conflicts/{conflict}")
def patch_conflict(
    key: str,
    conflict: str,
    body: ConflictPatch,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    if_match: IfMatch = None,
) -> shown.Conflict:
    """Mediate: the mediator, the options, the status (the RTE)."""
    made = mediate_conflict(
        db, actor=caller.actor, train_key=key, key=conflict, mediator=body.mediator, options=body.options,
        status=body.status, version=parse_if_match(if_match),
    )  # fmt: skip
    set_etag(response, made.version)
    return shown.Conflict.of_view(made)


@router.put("/trains/{key}/conflicts/{conflict}/decision")
def conflict_decision(
    key: str,
    conflict: str,
    body: ConflictDecision,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    if_match: IfMatch = None,
) -> shown.Conflict:
    """Record the mediated decision, its rationale and the items it changed; it enters the decision log."""
    made = decide_conflict(
        db, actor=caller.actor, train_key=key, key=conflict, decision=body.decision, rationale=body.rationale,
        links=body.links, version=parse_if_match(if_match),
    )  # fmt: skip
    set_etag(response, made.version)
    return shown.Conflict.of_view(made)
