"""The ART events as the API, the CLI's ``--json`` and the pages show them: meetings with their minutes,
action items, decisions, impediments and conflicts."""

from __future__ import annotations

import datetime as dt

from artsync.domain import conflicts, impediments
from artsync.formats.agenda import (
    ActionRecord,
    ConflictRecord,
    DecisionRecord,
    ImpedimentRecord,
    MeetingRecord,
    minutes_markdown,
)
from artsync.services.meetings import MeetingItems
from artsync.services.writes import Changed
from artsync.views.base import Record, Written, seq_of


def current_minutes(v: MeetingItems) -> str:
    """The minutes: as kept once the meeting ended, as they stand while it runs."""
    return v.meeting.minutes or minutes_markdown(v.meeting, list(v.actions), list(v.decisions))


class Meeting(MeetingRecord, Written):
    """A meeting with its decisions and action items, and its minutes (as they stand, while it runs)."""

    version: int
    actions: list[ActionRecord]
    decisions: list[DecisionRecord]
    minutes: str  # never empty here: while it runs, the minutes as they stand

    @classmethod
    def of_view(cls, changed: Changed[MeetingItems], today: dt.date | None = None) -> Meeting:
        v = changed.value
        record = dict(MeetingRecord.of(v.meeting))
        record["minutes"] = current_minutes(v)
        return cls(**record, version=changed.version, actions=[ActionRecord.of(a, today) for a in v.actions],
                   decisions=[DecisionRecord.of(d) for d in v.decisions],
                   seq=seq_of(changed.event))  # fmt: skip


class MeetingList(Record):
    meetings: list[MeetingRecord]


class ActionList(Record):
    actions: list[ActionRecord]


class DecisionList(Record):
    decisions: list[DecisionRecord]


class Impediment(ImpedimentRecord, Written):
    version: int

    @classmethod
    def of_view(cls, view: Changed[impediments.Impediment], today: dt.date) -> Impediment:
        seq = seq_of(view.event)
        return cls(**dict(ImpedimentRecord.of(view.value, today)), version=view.version, seq=seq)


class ImpedimentList(Record):
    impediments: list[ImpedimentRecord]


class Conflict(ConflictRecord, Written):
    version: int

    @classmethod
    def of_view(cls, view: Changed[conflicts.Conflict]) -> Conflict:
        seq = seq_of(view.event)
        return cls(**dict(ConflictRecord.of(view.value)), version=view.version, seq=seq)


class ConflictList(Record):
    conflicts: list[ConflictRecord]
