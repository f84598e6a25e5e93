"""PIs and capacity planning: set up a PI, move it on, the calendars, team size and capacity."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from artsync.domain import limits
from artsync.domain.lifecycle import PIState
from artsync.formats.fields import Key, Name
from artsync.services.capacity import (
    add_holiday,
    add_leave,
    adjust_capacity,
    get_capacity,
    remove_holiday,
    remove_leave,
    set_team,
)
from artsync.services.pis import advance_pi, create_pi, list_pis
from artsync.views import board as views
from artsync.views.planning import Calendar, CalendarChange, Capacity
from artsync.web.deps import CurrentCaller, Db, parse_if_match, set_etag

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


@router.get("/trains/{key}/pis")
def pis(key: str, db: Db, caller: CurrentCaller) -> views.PIList:
    """The train's PIs, oldest first; ``current`` marks the one the board shows."""
    found = list_pis(db, actor=caller.actor, train_key=key)
    return views.PIList(pis=[views.PI.with_version(p.pi, p.version, p.current) for p in found])


@router.post("/trains/{key}/pis", status_code=201)
def new_pi(key: str, body: NewPI, db: Db, caller: CurrentCaller, response: Response) -> views.PI:
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
    return views.PI.with_version(created.value, created.version, current=False)


@router.post("/trains/{key}/pis/{pi}/advance")
def move_pi(
    key: str,
    pi: str,
    body: PIMove,
    db: Db,
    caller: CurrentCaller,
    if_match: Annotated[str | None, Header()] = None,
) -> views.PIMoved:
    """Move a PI to its next state (draft → planning → executing → closed); If-Match is optional."""
    moved = advance_pi(
        db, actor=caller.actor, train_key=key, to=body.state, version=parse_if_match(if_match), pi_key=pi
    )
    return views.PIMoved.of(moved)


@router.get("/trains/{key}/capacity")
def capacity(key: str, db: Db, caller: CurrentCaller, pi: PiQuery = None) -> Capacity:
    """Each team's capacity per iteration (velocity × availability, or the team's own figure) and load."""
    return Capacity.of(get_capacity(db, actor=caller.actor, train_key=key, pi_key=pi))


@router.put("/trains/{key}/capacity/{team}/{iteration}")
def put_capacity(
    key: str,
    team: str,
    iteration: int,
    body: CapacityPut,
    db: Db,
    caller: CurrentCaller,
    pi: PiQuery = None,
) -> CalendarChange:
    """Set the team's own capacity in one iteration, or clear it with ``{"points": null}``."""
    result = adjust_capacity(
        db, actor=caller.actor, train_key=key, team=team, iteration=iteration, points=body.points, pi_key=pi
    )
    return CalendarChange.of(result)


@router.patch("/trains/{key}/teams/{team}")
def patch_team(
    key: str,
    team: str,
    body: TeamPatch,
    db: Db,
    caller: CurrentCaller,
    if_match: Annotated[str | None, Header()] = None,
) -> CalendarChange:
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
    return CalendarChange.of(result)


@router.get("/trains/{key}/calendar")
def calendar(key: str, db: Db, caller: CurrentCaller) -> Calendar:
    """The train's holidays and everyone's leave."""
    return Calendar.of(get_capacity(db, actor=caller.actor, train_key=key))


@router.post("/trains/{key}/holidays", status_code=201)
def new_holiday(key: str, body: NewHoliday, db: Db, caller: CurrentCaller) -> CalendarChange:
    """Add a day off for the whole train (the RTE)."""
    return CalendarChange.of(add_holiday(db, actor=caller.actor, train_key=key, day=body.day, name=body.name))


@router.delete("/trains/{key}/holidays/{day}")
def drop_holiday(key: str, day: date, db: Db, caller: CurrentCaller) -> CalendarChange:
    """Remove a holiday."""
    return CalendarChange.of(remove_holiday(db, actor=caller.actor, train_key=key, day=day))


@router.post("/trains/{key}/leave", status_code=201)
def new_leave(key: str, body: NewLeave, db: Db, caller: CurrentCaller) -> CalendarChange:
    """Record a person's leave on their team's calendar (the team's PO or SM, or the RTE)."""
    result = add_leave(
        db, actor=caller.actor, train_key=key, team=body.team, person=body.person, first=body.first, last=body.last
    )
    return CalendarChange.of(result)


@router.delete("/trains/{key}/leave/{team}/{person}/{first}")
def drop_leave(key: str, team: str, person: str, first: date, db: Db, caller: CurrentCaller) -> CalendarChange:
    """Remove the leave of ``person`` that starts on ``first``."""
    result = remove_leave(db, actor=caller.actor, train_key=key, team=team, person=person, first=first)
    return CalendarChange.of(result)
