"""The train's event calendar for one PI: iterations, and the ART events on their days.

Events scheduled as meetings are shown as scheduled. Where an event of the cadence has not been
scheduled yet, it is shown where the cadence puts it (DOMAIN.md): a system demo on the last working
day of every development iteration, a weekly ART sync (Wednesdays), Inspect & Adapt on the first
working day of the IP iteration, and the next PI planning on the last two working days of the IP
iteration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from artsync.domain.cadence import PI
from artsync.domain.meetings import KINDS, Meeting

WEEKLY_SYNC_WEEKDAY = 2  # Wednesday


@dataclass(frozen=True)
class CalendarEntry:
    """One all-day entry: ``end`` is inclusive. ``uid`` stays the same however often the feed is read."""

    uid: str
    kind: str  # iteration | pi_planning | art_sync | system_demo | inspect_adapt | ...
    title: str
    start: date
    end: date
    description: str = ""
    scheduled: bool = True  # False: where the cadence puts it, not scheduled yet


def working_days(first: date, last: date, holidays: set[date]) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5 and day not in holidays:
            days.append(day)
        day += timedelta(days=1)
    return days


def train_calendar(
    train: str, pi: PI, meetings: Iterable[Meeting], holidays: Iterable[date] = ()
) -> list[CalendarEntry]:
    """Every entry of the PI's calendar, by day."""
    off = set(holidays)
    held = [m for m in meetings if m.pi == pi.key]
    entries = [
        CalendarEntry(
            f"{train}-{pi.key}-iteration-{it.index}",
            "iteration",
            f"{train} {pi.key} {'IP iteration' if it.is_ip else f'iteration {it.index}'}",
            it.start,
            it.end,
            f"{it.label}: {it.start} to {it.end}",
        )
        for it in pi.iterations
    ]
    entries += [
        CalendarEntry(f"{train}-meeting-{m.id}", m.kind, f"{train} {m.title}", m.day, m.day, KINDS.get(m.kind, m.kind))
        for m in held
    ]

    def cadence(uid: str, kind: str, title: str, first: date, last: date | None = None) -> None:
        entries.append(
            CalendarEntry(f"{train}-{pi.key}-{uid}", kind, f"{train} {title}", first, last or first,
                          f"{KINDS[kind]}, where the cadence puts it; not scheduled yet", scheduled=False)
        )  # fmt: skip

    demoed = {m.iteration for m in held if m.kind == "system_demo"}
    for it in pi.iterations:
        days = working_days(it.start, it.end, off)
        if not it.is_ip and it.index not in demoed and days:
            cadence(f"system-demo-{it.index}", "system_demo", f"System demo — iteration {it.index}", days[-1])
        if it.is_ip and days:
            if not any(m.kind == "inspect_adapt" for m in held):
                cadence("inspect-adapt", "inspect_adapt", f"Inspect & Adapt {pi.key}", days[0])
            if not any(m.kind == "pi_planning" for m in held):
                cadence("pi-planning", "pi_planning", "PI planning (next PI)", days[-2] if len(days) > 1 else days[-1],
                        days[-1])  # fmt: skip
    if not any(m.kind == "art_sync" for m in held):
        development = [it for it in pi.iterations if not it.is_ip]
        if development:
            day = development[0].start + timedelta(days=(WEEKLY_SYNC_WEEKDAY - development[0].start.weekday()) % 7)
            while day <= development[-1].end:
                if day not in off:
                    cadence(f"art-sync-{day.isoformat()}", "art_sync", "ART sync", day)
                day += timedelta(days=7)
    return sorted(entries, key=lambda e: (e.start, e.kind != "iteration", e.title))
