"""Team capacity per iteration: normalised velocity × availability.

Availability is the share of a normal iteration's person-days that the team
really has: the train's holidays take a day from everyone, a person's leave
takes their own days. Weekends never count. A team whose size is unknown is
only affected by holidays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from artsync.domain.cadence import PI, Iteration


@dataclass(frozen=True)
class Holiday:
    """A day off for the whole train (train calendar)."""

    day: date
    name: str


@dataclass(frozen=True)
class Leave:
    """A person's days away from their team, first and last day inclusive (team calendar)."""

    team: str
    person: str
    first: date
    last: date

    def days(self) -> Iterable[date]:
        """Every calendar day of the leave."""
        for n in range((self.last - self.first).days + 1):
            yield self.first + timedelta(days=n)


@dataclass(frozen=True)
class IterationCapacity:
    """One team's capacity in one iteration, and where the number comes from."""

    iteration: int
    weekdays: int  # Monday–Friday in the iteration
    holidays: int  # of those, train holidays
    leave_days: int  # person-days of leave on the remaining working days
    availability: float  # 0..1
    calculated: int  # velocity × availability
    adjusted: int | None  # the team's own figure, when it set one

    @property
    def points(self) -> int:
        """The capacity the board plans against: the team's adjustment, else the calculation."""
        return self.calculated if self.adjusted is None else self.adjusted


def weekdays(iteration: Iteration) -> list[date]:
    """Monday to Friday of ``iteration``."""
    days = (iteration.start + timedelta(days=n) for n in range((iteration.end - iteration.start).days + 1))
    return [d for d in days if d.weekday() < 5]


def availability(
    iteration: Iteration, *, size: int | None, holidays: Iterable[date], leave: Iterable[Leave]
) -> tuple[float, int, int, int]:
    """(availability, weekdays, holidays, leave person-days) of a team of ``size`` people in ``iteration``."""
    working = weekdays(iteration)
    off = {d for d in holidays if iteration.contains(d)} & set(working)
    open_days = set(working) - off
    if not working:
        return 1.0, 0, 0, 0
    if not size:
        return (len(open_days) / len(working)), len(working), len(off), 0
    # A person's leave counts once per day, however the entries overlap.
    away: set[tuple[str, date]] = {(item.person, d) for item in leave for d in item.days() if d in open_days}
    person_days = max(0, size * len(open_days) - len(away))
    return person_days / (size * len(working)), len(working), len(off), len(away)


def team_capacities(
    pi: PI,
    *,
    team: str,
    velocity: int,
    size: int | None,
    holidays: Iterable[Holiday],
    leave: Iterable[Leave],
    adjusted: dict[int, int] | None = None,
) -> tuple[IterationCapacity, ...]:
    """The team's capacity in every iteration of ``pi``, calculated from the calendars."""
    days = [h.day for h in holidays]
    own = [item for item in leave if item.team == team]
    adjusted = adjusted or {}
    result = []
    for it in pi.iterations:
        share, working, off, away = availability(it, size=size, holidays=days, leave=own)
        result.append(
            IterationCapacity(
                iteration=it.index,
                weekdays=working,
                holidays=off,
                leave_days=away,
                availability=share,
                calculated=int(velocity * share + 0.5),  # round half up: 7.5 points is 8
                adjusted=adjusted.get(it.index),
            )
        )
    return tuple(result)
