"""PIs and capacity planning: set up a PI, move it on, the calendars, team size and capacity."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from artsync.domain import limits
from artsync.domain.lifecycle import PIState
from artsync.io import views
from artsync.services.capacity import (
    CalendarChanged,
    add_holiday,
    add_leave,
    adjust_capacity,
    get_capacity,
    remove_holiday,
    remove_leave,
    set_team,
)
from artsync.services.pis import advance_pi, create_pi, list_pis
from artsync.web.deps import CurrentCaller, Db, parse_if_match, set_etag
from artsync.web.fields import Key, Name

router = APIRouter(prefix="/api/v1", tags=["pis"])
PiQuery = Annotated[str | None, Query(max_length=64, description="The PI's key; by default the current PI.")]


class NewPI(BaseModel):
    """A PI to set up: it starts in draft. With an IP iteration last, it has two iterations or more."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["ip_last"], "properties": {"ip_last": {"const": False}}},
                {"properties": {"iterations": {"minimum": 2}}},
            ]
        },
    )
    key: Key
    start: date
    iteration_weeks: int = Field(2, ge=1, le=4)
    iterations: int = Field(5, ge=1, le=12)
    ip_last: bool = True


class PIMove(BaseModel):
    """The state to move the PI to; by default the next one."""

    model_config = ConfigDict(extra="forbid")
    state: PIState | None = None


class NewHoliday(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date
    name: Name


class NewLeave(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team: Key
    person: Name
    first: date
    last: date


class TeamPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: int | None = Field(None, ge=limits.TEAM_SIZE.low, le=limits.TEAM_SIZE.high)
    velocity: int | None = Field(None, ge=limits.VELOCITY.low, le=limits.VELOCITY.high)


class CapacityPut(BaseModel):
    """The team's own capacity in one iteration; null goes back to the calculated figure."""

    model_config = ConfigDict(extra="forbid")
    points: int | None = Field(..., ge=limits.CAPACITY.low, le=limits.CAPACITY.high)


def changed(request: Request, key: str, result: CalendarChanged) -> dict[str, Any]:
    return {"summary": result.summary, "seq": result.event.seq if result.event else None}


@router.get("/trains/{key}/pis")
def pis(key: str, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """The train's PIs, oldest first; ``current`` marks the one the board shows."""
    return {"pis": [views.pi_json(p.pi, p.version, p.current) for p in list_pis(db, actor=caller.actor, train_key=key)]}


@router.post("/trains/{key}/pis", status_code=201)
def new_pi(
    key: str, body: NewPI, request: Request, db: Db, caller: CurrentCaller, response: Response
) -> dict[str, Any]:
    """Set up a PI in draft (the RTE); capacities are calculated from the calendars."""
    created = create_pi(
        db,
        actor=caller.actor,
        train_key=key,
        key=body.key,
        start=body.start,
        iteration_weeks=body.iteration_weeks,
        iterations=body.iterations,
        ip_last=body.ip_last,
    )
    set_etag(response, created.version)
    return views.pi_json(created.pi, created.version, current=False)


@router.post("/trains/{key}/pis/{pi}/advance")
def move_pi(
    key: str,
    pi: str,
    body: PIMove,
    request: Request,
    db: Db,
    caller: CurrentCaller,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Move a PI to its next state (draft → planning → executing → closed); If-Match is optional."""
    moved = advance_pi(
        db, actor=caller.actor, train_key=key, to=body.state, version=parse_if_match(if_match), pi_key=pi
    )
    return {"key": moved.pi, "state": moved.state, "version": moved.version, "seq": moved.event.seq}


@router.get("/trains/{key}/capacity")
def capacity(key: str, db: Db, caller: CurrentCaller, pi: PiQuery = None) -> dict[str, Any]:
    """Each team's capacity per iteration (velocity × availability, or the team's own figure) and load."""
    return views.capacity_json(get_capacity(db, actor=caller.actor, train_key=key, pi_key=pi))


@router.put("/trains/{key}/capacity/{team}/{iteration}")
def put_capacity(
    key: str,
    team: str,
    iteration: int,
    body: CapacityPut,
    request: Request,
    db: Db,
    caller: CurrentCaller,
    pi: PiQuery = None,
) -> dict[str, Any]:
    """Set the team's own capacity in one iteration, or clear it with ``{"points": null}``."""
    result = adjust_capacity(
        db, actor=caller.actor, train_key=key, team=team, iteration=iteration, points=body.points, pi_key=pi
    )
    return changed(request, key, result)


@router.patch("/trains/{key}/teams/{team}")
def patch_team(
    key: str,
    team: str,
    body: TeamPatch,
    request: Request,
    db: Db,
    caller: CurrentCaller,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Change a team's size or velocity; If-Match is optional."""
    result = set_team(
        db,
        actor=caller.actor,
        train_key=key,
        team=team,
        size=body.size,
        velocity=body.velocity,
        version=parse_if_match(if_match),
    )
    return changed(request, key, result)


@router.get("/trains/{key}/calendar")
def calendar(key: str, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """The train's holidays and everyone's leave."""
    return views.calendars_json(get_capacity(db, actor=caller.actor, train_key=key))


@router.post("/trains/{key}/holidays", status_code=201)
def new_holiday(key: str, body: NewHoliday, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Add a day off for the whole train (the RTE)."""
    return changed(request, key, add_holiday(db, actor=caller.actor, train_key=key, day=body.day, name=body.name))


@router.delete("/trains/{key}/holidays/{day}")
def drop_holiday(key: str, day: date, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Remove a holiday."""
    return changed(request, key, remove_holiday(db, actor=caller.actor, train_key=key, day=day))


@router.post("/trains/{key}/leave", status_code=201)
def new_leave(key: str, body: NewLeave, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Record a person's leave on their team's calendar (the team's PO or SM, or the RTE)."""
    result = add_leave(
        db, actor=caller.actor, train_key=key, team=body.team, person=body.person, first=body.first, last=body.last
    )
    return changed(request, key, result)


@router.delete("/trains/{key}/leave/{team}/{person}/{first}")
def drop_leave(
    key: str, team: str, person: str, first: date, request: Request, db: Db, caller: CurrentCaller
) -> dict[str, Any]:
    """Remove the leave of ``person`` that starts on ``first``."""
    result = remove_leave(db, actor=caller.actor, train_key=key, team=team, person=person, first=first)
    return changed(request, key, result)
