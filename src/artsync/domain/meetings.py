"""The train's events as meetings, and what comes out of them: team status, decisions, action items."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


# The ART events (DOMAIN.md): PI planning, the weekly ART sync (coach sync and PO sync, which may be
# held apart), the system demo at the end of every iteration, and Inspect & Adapt at the end of the PI.
class MeetingKind(StrEnum):
    PI_PLANNING = "pi_planning"
    ART_SYNC = "art_sync"
    PO_SYNC = "po_sync"
    SCRUM_OF_SCRUMS = "scrum_of_scrums"
    SYSTEM_DEMO = "system_demo"
    INSPECT_ADAPT = "inspect_adapt"


class TeamStatus(StrEnum):
    """What a team reports at a sync."""

    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OFF_TRACK = "off track"


KINDS: dict[str, str] = {
    MeetingKind.PI_PLANNING: "PI planning",
    MeetingKind.ART_SYNC: "ART sync",
    MeetingKind.PO_SYNC: "PO sync",
    MeetingKind.SCRUM_OF_SCRUMS: "Coach sync (scrum of scrums)",
    MeetingKind.SYSTEM_DEMO: "System demo",
    MeetingKind.INSPECT_ADAPT: "Inspect & Adapt",
}
STATES = ("planned", "running", "ended")
TEAM_STATUSES = tuple(TeamStatus)
ACTION_STATES = ("open", "done")
DECISION_STATES = ("pending", "decided")


@dataclass(frozen=True)
class ActionItem:
    """Something one person will do by a date."""

    key: str
    text: str
    owner: str
    due: date
    state: str = "open"
    meeting: int | None = None

    def overdue(self, today: date) -> bool:
        """Open after its due date."""
        return self.state == "open" and self.due < today

    def due_by(self, day: date) -> bool:
        """Open and due on or before ``day``."""
        return self.state == "open" and self.due <= day


@dataclass(frozen=True)
class Decision:
    """A question the train must settle, or settled: the decision, why, and what it changed."""

    key: str
    question: str
    state: str = "pending"
    decision: str | None = None
    rationale: str | None = None
    links: tuple[str, ...] = ()
    conflict: str | None = None
    meeting: int | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Meeting:
    """One ART event: its agenda, what the teams reported, and its outcomes."""

    id: int
    kind: str
    title: str
    day: date
    state: str
    pi: str
    iteration: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    team_status: dict[str, dict[str, str]] = field(default_factory=dict)
    outcomes: tuple[dict[str, Any], ...] = ()
    agenda: dict[str, Any] | None = None
    minutes: str | None = None

    @property
    def label(self) -> str:
        return KINDS.get(self.kind, self.kind)


def check_kind(kind: str) -> str | None:
    if kind not in KINDS:
        return f"{kind!r} is not a kind of meeting; the kinds are {', '.join(KINDS)}"
    return None


def check_team_status(status: str) -> str | None:
    if status not in TEAM_STATUSES:
        return f"a team's status is one of {', '.join(TEAM_STATUSES)}, not {status!r}"
    return None
