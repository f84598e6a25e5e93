"""Capacity planning: the train's holidays, people's leave, team size, and each team's adjustments.

Whenever a calendar changes, the calculated capacity of every PI that is not
closed is written again (``CapacityRow.source == "calendar"``); a team's own
adjustment (``source == "team"``) always wins and is never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from artsync.domain import limits
from artsync.domain.board import loads
from artsync.domain.cadence import PI
from artsync.domain.capacity import Holiday, IterationCapacity, Leave, team_capacities
from artsync.domain.events import Entity, Event
from artsync.domain.permissions import Action, Actor
from artsync.errors import ConflictError, InvalidInputError, NotFoundError
from artsync.services.permissions import authorize
from artsync.services.trains import find_pi, find_train
from artsync.services.writes import Write, writing
from artsync.store.mapping import load_plan, pi_value
from artsync.store.models import CapacityRow, HolidayRow, LeaveRow, PIRow, TeamRow, TrainRow


@dataclass(frozen=True)
class TeamCapacity:
    """One team's capacity and load in every iteration of a PI."""

    team: str
    name: str
    velocity: int
    size: int | None
    iterations: tuple[IterationCapacity, ...]
    load: dict[int, int]


@dataclass(frozen=True)
class CapacityPlan:
    """The capacity of every team in one PI, with the calendars it comes from."""

    train: str
    pi: PI
    holidays: tuple[Holiday, ...]
    leave: tuple[Leave, ...]
    teams: tuple[TeamCapacity, ...]


@dataclass(frozen=True)
class CalendarChanged:
    """What a calendar or capacity change did; ``event`` is None when nothing changed."""

    summary: str
    event: Event | None


def calendars(db: Session, train: TrainRow) -> tuple[tuple[Holiday, ...], tuple[Leave, ...]]:
    """The train's holidays and everyone's leave, in date order."""
    holidays = tuple(
        Holiday(h.day, h.name)
        for h in db.scalars(select(HolidayRow).where(HolidayRow.train_id == train.id).order_by(HolidayRow.day))
    )
    leave = tuple(
        Leave(row.team_key, row.person, row.first_day, row.last_day)
        for row in db.scalars(
            select(LeaveRow)
            .where(LeaveRow.train_id == train.id)
            .order_by(LeaveRow.first_day, LeaveRow.team_key, LeaveRow.person)
        )
    )
    return holidays, leave


def adjustments(db: Session, pi: PIRow) -> dict[int, dict[int, int]]:
    """The teams' own capacity figures in ``pi``: team id → iteration → points."""
    found: dict[int, dict[int, int]] = {}
    for row in db.scalars(select(CapacityRow).where(CapacityRow.pi_id == pi.id, CapacityRow.source == "team")):
        found.setdefault(row.team_id, {})[row.iteration] = row.points
    return found


def refresh_capacities(db: Session, train: TrainRow) -> None:
    """Write the calculated capacity of every open PI of ``train`` again, from the calendars."""
    holidays, leave = calendars(db, train)
    teams = db.scalars(select(TeamRow).where(TeamRow.train_id == train.id)).all()
    for pi in db.scalars(select(PIRow).where(PIRow.train_id == train.id, PIRow.state != "closed")):
        own = adjustments(db, pi)
        db.execute(delete(CapacityRow).where(CapacityRow.pi_id == pi.id, CapacityRow.source == "calendar"))
        rows = [
            {"pi_id": pi.id, "team_id": team.id, "iteration": c.iteration, "points": c.calculated, "source": "calendar"}
            for team in teams
            for c in team_capacities(
                pi_value(pi), team=team.key, velocity=team.velocity, size=team.size, holidays=holidays, leave=leave
            )
            if c.calculated != team.velocity and c.iteration not in own.get(team.id, {})
        ]
        if rows:
            db.execute(insert(CapacityRow), rows)


def get_capacity(db: Session, *, actor: Actor, train_key: str | None, pi_key: str | None = None) -> CapacityPlan:
    """Every team's capacity per iteration of a PI (the current one by default), with load."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    pi = find_pi(db, train, pi_key)
    holidays, leave = calendars(db, train)
    own = adjustments(db, pi)
    plan = load_plan(db, train, pi)
    load = loads(plan.cards)
    rows = db.scalars(select(TeamRow).where(TeamRow.train_id == train.id).order_by(TeamRow.key)).all()
    teams = tuple(
        TeamCapacity(
            team=t.key,
            name=t.name,
            velocity=t.velocity,
            size=t.size,
            iterations=team_capacities(
                plan.pi,
                team=t.key,
                velocity=t.velocity,
                size=t.size,
                holidays=holidays,
                leave=leave,
                adjusted=own.get(t.id),
            ),
            load={i: p for (team, i), p in load.items() if team == t.key},
        )
        for t in rows
    )
    return CapacityPlan(train.key, plan.pi, holidays, leave, teams)


def find_team(db: Session, train: TrainRow, key: str) -> TeamRow:
    """The train's team ``key``."""
    team = db.scalars(select(TeamRow).where(TeamRow.train_id == train.id, TeamRow.key == key)).first()
    if team is None:
        known = ", ".join(db.scalars(select(TeamRow.key).where(TeamRow.train_id == train.id).order_by(TeamRow.key)))
        raise NotFoundError(f"no team {key!r} in {train.key} (teams: {known or 'none yet'})")
    return team


def calendar_event(w: Write, entity_id: str, action: str, before: Any, after: Any) -> Event:
    """Log a calendar change and recalculate the capacities it affects, in the same transaction."""
    refresh_capacities(w.db, w.train)
    return w.record(Entity.CALENDAR, entity_id, action, before=before, after=after)


def add_holiday(db: Session, *, actor: Actor, train_key: str | None, day: date, name: str) -> CalendarChanged:
    """Put a day off for the whole train on the train calendar."""
    if not name.strip():
        raise InvalidInputError("a holiday needs a name, e.g. 'Whit Monday'")
    with writing(db, actor=actor, train_key=train_key, may=Action.ADMINISTER) as w:
        train = w.train
        existing = db.scalars(select(HolidayRow).where(HolidayRow.train_id == train.id, HolidayRow.day == day)).first()
        if existing is not None:
            raise ConflictError(f"{day} is already a holiday ({existing.name}); remove it first to rename it")
        db.add(HolidayRow(train_id=train.id, day=day, name=name.strip()))
        db.flush()
        after = {"day": day.isoformat(), "name": name.strip()}
        event = calendar_event(w, f"holiday:{day}", "holiday-added", None, after)
    return CalendarChanged(f"{day} ({name.strip()}) is a holiday for train {train.key}", event)


def remove_holiday(db: Session, *, actor: Actor, train_key: str | None, day: date) -> CalendarChanged:
    """Take a day off the train calendar."""
    with writing(db, actor=actor, train_key=train_key, may=Action.ADMINISTER) as w:
        train = w.train
        row = db.scalars(select(HolidayRow).where(HolidayRow.train_id == train.id, HolidayRow.day == day)).first()
        if row is None:
            raise NotFoundError(f"{day} is not a holiday of train {train.key}")
        before = {"day": day.isoformat(), "name": row.name}
        db.delete(row)
        db.flush()
        event = calendar_event(w, f"holiday:{day}", "holiday-removed", before, None)
    return CalendarChanged(f"{day} is a working day again for train {train.key}", event)


def leave_value(row: LeaveRow) -> dict[str, Any]:
    return {"team": row.team_key, "person": row.person, "first": row.first_day.isoformat(),
            "last": row.last_day.isoformat()}  # fmt: skip


def add_leave(
    db: Session, *, actor: Actor, train_key: str | None, team: str, person: str, first: date, last: date
) -> CalendarChanged:
    """Record a person's leave on their team's calendar."""
    if last < first:
        raise InvalidInputError(f"leave ends ({last}) before it starts ({first})")
    if not person.strip():
        raise InvalidInputError("leave needs the person's name")
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        row_team = find_team(db, train, team)
        w.authorize(Action.PLAN_CAPACITY, [row_team.key])
        if not row_team.size:
            raise InvalidInputError(
                f"team {team} has no size yet, so leave cannot be turned into availability: "
                f"give the team its size first (how many people are in {team})"
            )
        row = LeaveRow(train_id=train.id, team_key=row_team.key, person=person.strip(), first_day=first, last_day=last)
        db.add(row)
        db.flush()
        event = calendar_event(w, f"leave:{row.id}", "leave-added", None, leave_value(row))
    return CalendarChanged(f"{person.strip()} of {team} is away {first} – {last}", event)


def remove_leave(
    db: Session, *, actor: Actor, train_key: str | None, team: str, person: str, first: date
) -> CalendarChanged:
    """Take a person's leave that starts on ``first`` off their team's calendar."""
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        row_team = find_team(db, train, team)
        w.authorize(Action.PLAN_CAPACITY, [row_team.key])
        row = db.scalars(
            select(LeaveRow).where(
                LeaveRow.train_id == train.id,
                LeaveRow.team_key == row_team.key,
                LeaveRow.person == person,
                LeaveRow.first_day == first,
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no leave of {person} in {team} starting {first}")
        before = leave_value(row)
        entity_id = f"leave:{row.id}"
        db.delete(row)
        db.flush()
        event = calendar_event(w, entity_id, "leave-removed", before, None)
    return CalendarChanged(f"{person}'s leave from {first} is removed", event)


def set_team(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    team: str,
    size: int | None = None,
    velocity: int | None = None,
    version: int | None = None,
) -> CalendarChanged:
    """Change a team's size (people) or normalised velocity; capacities follow."""
    if size is not None and size not in limits.TEAM_SIZE:
        raise InvalidInputError(f"size: a team's size is {limits.TEAM_SIZE.words()} people, not {size}")
    if velocity is not None and velocity not in limits.VELOCITY:
        raise InvalidInputError(f"velocity: a team's velocity is {limits.VELOCITY.words()} points, not {velocity}")
    with writing(db, actor=actor, train_key=train_key) as w:
        row = find_team(db, w.train, team)
        w.authorize(Action.PLAN_CAPACITY, [row.key])
        event = w.update(
            row,
            entity=Entity.TEAM,
            entity_id=row.key,
            action="edited",
            expected=version,
            state=lambda row: {"key": row.key, "size": row.size, "velocity": row.velocity, "version": row.version},
            changes={"size": size if size is not None else row.size,
                     "velocity": velocity if velocity is not None else row.velocity},
        )  # fmt: skip
        if event is None:
            return CalendarChanged(f"team {team} is unchanged", None)
        db.flush()
        refresh_capacities(db, w.train)
    return CalendarChanged(f"team {team}: size {row.size or 'unknown'}, velocity {row.velocity}", event)


def adjust_capacity(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    team: str,
    iteration: int,
    points: int | None,
    pi_key: str | None = None,
) -> CalendarChanged:
    """Set the team's own capacity for one iteration (None returns to the calculated figure)."""
    if points is not None and points not in limits.CAPACITY:
        raise InvalidInputError(f"points: capacity is {limits.CAPACITY.words()} points, not {points}")
    with writing(db, actor=actor, train_key=train_key) as w:
        pi = w.choose_pi(pi_key)
        w.check_iteration(iteration)
        row_team = find_team(db, w.train, team)
        w.authorize(Action.PLAN_CAPACITY, [row_team.key])
        w.check_open("capacity")
        own = db.get(CapacityRow, (pi.id, row_team.id, iteration))
        before = {"team": team, "iteration": iteration, "points": own.points if own and own.source == "team" else None}
        if before["points"] == points:
            return CalendarChanged(f"{team} capacity in iteration {iteration} is unchanged", None)
        if own is not None:
            db.delete(own)
            db.flush()
        if points is not None:
            db.add(CapacityRow(pi_id=pi.id, team_id=row_team.id, iteration=iteration, points=points, source="team"))
            db.flush()
        refresh_capacities(db, w.train)
        after = {"team": team, "iteration": iteration, "points": points}
        event = w.record(Entity.CAPACITY, f"{pi.key}:{team}:{iteration}", "adjusted", before=before, after=after)
    what = f"{points} points" if points is not None else "the calculated figure"
    return CalendarChanged(f"{team} capacity in iteration {iteration} of {pi.key} is {what}", event)
