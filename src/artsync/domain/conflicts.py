"""Conflicts between teams or people, and how one is drawn from a finding in one click."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from artsync.domain.findings import Finding

KINDS: dict[str, str] = {
    "capacity": "two claims on one iteration's capacity",
    "dependency": "a dependency one side will not or cannot meet",
    "milestone": "a milestone the plan will miss",
    "priority": "which work goes first",
    "scope": "what is in or out",
    "people": "between people",
    "other": "anything else",
}
STATUSES = ("open", "mediating", "decided", "closed")
FINDING_KINDS = {
    "dependency-at-risk": "dependency",
    "dependency-broken": "dependency",
    "dependency-unplanned-provider": "dependency",
    "dependency-cycle": "dependency",
    "dependency-declared-broken": "dependency",
    "over-capacity": "capacity",
    "near-capacity": "capacity",
    "milestone-miss": "milestone",
    "priority-inversion": "priority",
    "objective-unplanned-feature": "scope",
    "ip-iteration-planned": "capacity",
}


@dataclass(frozen=True)
class Conflict:
    """A conflict in the log: who disagrees about what, the options, and how it was decided."""

    key: str
    kind: str
    summary: str
    parties: tuple[str, ...]
    status: str
    raised_by: str
    raised_at: datetime
    options: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    finding: str | None = None
    mediator: str | None = None
    decision: str | None = None
    rationale: str | None = None
    links: tuple[str, ...] = ()
    decided_at: datetime | None = None

    def text(self) -> str:
        """Everything a search looks through, lower-cased."""
        words = (self.key, self.kind, self.summary, *self.parties, *self.options, *self.items, *self.links)
        extra = (self.mediator or "", self.decision or "", self.rationale or "")
        return " ".join((*words, *extra)).lower()


def check_kind(kind: str) -> str | None:
    if kind not in KINDS:
        return f"{kind!r} is not a kind of conflict; the kinds are {', '.join(KINDS)}"
    return None


def check_status(status: str) -> str | None:
    if status not in STATUSES:
        return f"a conflict's status is one of {', '.join(STATUSES)}, not {status!r}"
    return None


def parties_of(finding: Finding, teams: set[str]) -> tuple[str, ...]:
    """The teams a finding concerns: the team of each card it names, and the teams it names."""
    found: list[str] = []
    for item in finding.items:
        team = item.rpartition("@")[2] if "@" in item else item
        if team in teams and team not in found:
            found.append(team)
    return tuple(found)


@dataclass(frozen=True)
class Draft:
    """What a conflict drawn from a finding starts with; the mediator fills in the rest."""

    kind: str
    summary: str
    parties: tuple[str, ...]
    items: tuple[str, ...]
    options: tuple[str, ...]


def from_finding(finding: Finding, teams: set[str]) -> Draft:
    """Draw a conflict from ``finding``: its kind, the finding's message, the teams concerned, its items,
    and the finding's suggested fix as the first option."""
    return Draft(
        FINDING_KINDS.get(finding.kind, "other"),
        finding.message,
        parties_of(finding, teams),
        tuple(finding.items),
        (finding.fix,) if finding.fix else (),
    )
