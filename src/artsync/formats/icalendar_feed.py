"""The train's calendar as an iCalendar feed (RFC 5545) that calendar clients subscribe to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from artsync.domain.calendar import CalendarEntry


def calendar_ics(name: str, entries: Iterable[CalendarEntry], now: datetime | None = None) -> bytes:
    """All-day events with stable UIDs, so a client updates an entry rather than adding it twice."""
    cal = Calendar()
    cal.add("prodid", "-//artsync//train calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = now or datetime.now(UTC)
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.uid}@artsync")
        event.add("summary", entry.title)
        event.add("dtstart", entry.start)
        event.add("dtend", entry.end + timedelta(days=1))  # DTEND of an all-day event is exclusive
        event.add("dtstamp", stamp)
        event.add("categories", [entry.kind])
        event.add("transp", "TRANSPARENT" if entry.kind == "iteration" else "OPAQUE")
        if entry.description:
            event.add("description", entry.description)
        if not entry.scheduled:
            event.add("status", "TENTATIVE")
        cal.add_component(event)
    return bytes(cal.to_ical())
