"""What-if scenarios: changes supposed on a plan, and the measures that compare plans side by side.

A scenario supposes changes to the plan's inputs — a team's capacity in an iteration, a milestone's iteration,
a feature added to a team's work or dropped, a team dropped — and the optimizer plans under them. Supposing
changes nothing on the board; accepting a scenario applies its moves (services/scenarios.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from artsync.domain.findings import ERROR, WARNING, Finding, analyze
from artsync.domain.optimizer import cost_of_delay_avoided
from artsync.domain.plan import Card, Plan, Team


class Kind(StrEnum):
    """What a supposed change is about."""

    CAPACITY = "capacity"  # a team has ``points`` in ``iteration``
    MILESTONE = "milestone"  # a milestone moves to ``iteration``
    ADD = "add"  # a backlog feature gets a card of ``points`` for ``team``
    DROP = "drop"  # a feature is dropped from the PI: its cards leave the board
    DROP_TEAM = "drop-team"  # a team leaves the train for the PI: its cards leave the board


@dataclass(frozen=True)
class Supposition:
    """One change a scenario supposes."""

    kind: Kind
    subject: str  # the team, milestone or feature it is about
    iteration: int | None = None
    points: int | None = None
    team: str | None = None

    def __str__(self) -> str:
        match self.kind:
            case Kind.CAPACITY:
                return f"capacity {self.subject} I{self.iteration}={self.points}"
            case Kind.MILESTONE:
                return f"milestone {self.subject} I{self.iteration}"
            case Kind.ADD:
                return f"add {self.subject} {self.team} {self.points}"
            case Kind.DROP:
                return f"drop {self.subject}"
            case _:
                return f"drop-team {self.subject}"

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind.value, "subject": self.subject, "iteration": self.iteration,
                "points": self.points, "team": self.team}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Supposition:
        iteration, points, team = data.get("iteration"), data.get("points"), data.get("team")
        return cls(Kind(str(data["kind"])), str(data["subject"]), None if iteration is None else int(str(iteration)),
                   None if points is None else int(str(points)), None if team is None else str(team))  # fmt: skip


# The written form of each change, as the CLI and the scenarios page take it.
FORMS = {
    Kind.CAPACITY: re.compile(r"capacity\s+(?P<subject>\S+)\s+I?(?P<iteration>\d+)\s*=\s*(?P<points>\d+)", re.I),
    Kind.MILESTONE: re.compile(r"milestone\s+(?P<subject>\S+)\s+I?(?P<iteration>\d+)", re.I),
    Kind.ADD: re.compile(r"add\s+(?P<subject>\S+)\s+(?P<team>\S+)\s+(?P<points>\d+)", re.I),
    Kind.DROP_TEAM: re.compile(r"drop-team\s+(?P<subject>\S+)", re.I),
    Kind.DROP: re.compile(r"drop\s+(?P<subject>\S+)", re.I),
}
EXAMPLES = ("capacity Phoenix I2=24", "milestone M1 I3", "add PAY-240 Atlas 8", "drop PAY-101", "drop-team Orion")


def parse(text: str) -> Supposition:
    """A change as written (see EXAMPLES); a ValueError says what it should look like."""
    for kind, form in FORMS.items():
        if found := form.fullmatch(text.strip()):
            parts = found.groupdict()
            return Supposition(
                kind,
                parts["subject"],
                int(parts["iteration"]) if parts.get("iteration") else None,
                int(parts["points"]) if parts.get("points") else None,
                parts.get("team"),
            )
    raise ValueError(f"{text.strip()!r} is not a change a scenario can suppose; write one of: {'; '.join(EXAMPLES)}")


def suppose(plan: Plan, changes: list[Supposition]) -> Plan:
    """``plan`` with ``changes`` made, in order; a ValueError names a change that does not fit the plan."""
    for change in changes:
        plan = supposed(plan, change)
    return plan


def supposed(plan: Plan, change: Supposition) -> Plan:
    iterations = {it.index for it in plan.pi.iterations}
    if change.iteration is not None and change.iteration not in iterations:
        raise ValueError(f"{change}: {plan.pi.key} has no iteration {change.iteration}")
    match change.kind:
        case Kind.CAPACITY:
            team = team_of(plan, change.subject, change)
            overrides = {**team.capacity_overrides, int(change.iteration or 0): int(change.points or 0)}
            return replace(plan, teams=tuple(replace(t, capacity_overrides=overrides) if t is team else t
                                             for t in plan.teams))  # fmt: skip
        case Kind.MILESTONE:
            if change.subject not in {m.key for m in plan.milestones}:
                raise ValueError(f"{change}: {plan.pi.key} has no milestone {change.subject}")
            return replace(plan, milestones=tuple(
                replace(m, iteration=int(change.iteration or 0), date=None) if m.key == change.subject else m
                for m in plan.milestones))  # fmt: skip
        case Kind.ADD:
            if change.subject not in plan.features_by_key:
                raise ValueError(f"{change}: no feature {change.subject} in the backlog")
            team_of(plan, str(change.team), change)
            card = Card(change.subject, str(change.team), None, int(change.points or 0))
            if card.ref in plan.cards_by_ref:
                raise ValueError(f"{change}: {card.ref} is on the board already")
            return replace(plan, cards=(*plan.cards, card))
        case Kind.DROP:
            if change.subject not in plan.features_by_key:
                raise ValueError(f"{change}: no feature {change.subject} in the backlog")
            return without(plan, lambda card: card.feature == change.subject)
        case _:
            team_of(plan, change.subject, change)
            dropped = without(plan, lambda card: card.team == change.subject)
            return replace(dropped, teams=tuple(t for t in plan.teams if t.key != change.subject))


def team_of(plan: Plan, key: str, change: Supposition) -> Team:
    team = plan.teams_by_key.get(key)
    if team is None:
        raise ValueError(f"{change}: no team {key} on the train")
    return team


def without(plan: Plan, gone: Callable[[Card], bool]) -> Plan:
    """``plan`` without the cards ``gone`` says (and the dependencies on them)."""
    kept = tuple(c for c in plan.cards if not gone(c))
    refs = {c.ref for c in kept}
    return replace(plan, cards=kept, dependencies=tuple(
        d for d in plan.dependencies if d.consumer in refs and d.provider in refs))  # fmt: skip


@dataclass(frozen=True)
class Measures:
    """What a plan achieves, for the comparison of scenarios side by side."""

    milestones_met: int
    milestones: int
    objectives_covered: int  # committed objectives whose features are all planned
    objectives: int  # committed objectives
    cost_of_delay_avoided: float
    moved: int  # cards placed elsewhere than on the board now
    errors: int
    warnings: int

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


def measure(plan: Plan, board: Plan, findings: list[Finding] | None = None) -> Measures:
    """What ``plan`` achieves, its moves counted against ``board`` (the plan as it is now)."""
    findings = analyze(plan) if findings is None else findings
    by_feature = plan.cards_by_feature
    delivered_by = {
        key: max(c.iteration for c in cards) if cards and all(c.iteration is not None for c in cards) else None  # type: ignore[type-var]
        for key, cards in by_feature.items()
    }
    met = sum(
        1
        for m in plan.milestones
        if all((d := delivered_by.get(key)) is not None and d <= m.iteration for key in m.features)
    )
    committed = [o for o in plan.objectives if o.committed]
    covered = sum(1 for o in committed if all(delivered_by.get(key) is not None for key in o.features))
    was = {c.ref: c.iteration for c in board.cards}
    moved = sum(1 for c in plan.cards if c.ref in was and was[c.ref] != c.iteration)
    return Measures(
        met,
        len(plan.milestones),
        covered,
        len(committed),
        cost_of_delay_avoided(plan),
        moved,
        sum(1 for f in findings if f.severity == ERROR),
        sum(1 for f in findings if f.severity == WARNING),
    )


# The error findings moving cards can clear; the others (a dependency cycle, one declared broken) need a person.
CLEARABLE = frozenset(
    {
        "over-capacity",
        "dependency-broken",
        "dependency-unplanned-provider",
        "milestone-miss",
        "objective-unplanned-feature",
    }
)


def uncleared(findings: list[Finding], plan: Plan, first: int = 1) -> list[Finding]:
    """The error findings no move of cards clears, what a repair leaves to people: those of a kind no move clears,
    and those about history — a card that is done or in an iteration that is over, an iteration that is over, a
    milestone whose iteration is over."""
    past = {it.label for it in plan.pi.iterations if it.index < first}
    past |= {m.key for m in plan.milestones if m.iteration < first}
    cards = plan.cards_by_ref
    past |= {ref for ref, c in cards.items() if c.iteration is not None and (c.iteration < first or c.status == "done")}
    return [
        f for f in findings
        if f.severity == ERROR and (f.kind not in CLEARABLE or any(i in past for i in f.items))
    ]  # fmt: skip


def first_to_come(plan: Plan, today: date) -> int:
    """The first iteration of the plan's PI that is not over on ``today`` (one past the last once all are)."""
    pi = plan.pi
    return 1 if today < pi.start else pi.iteration_of(today) or len(pi.iterations) + 1


def fixable(findings: list[Finding], plan: Plan, first: int = 1) -> list[Finding]:
    """The error findings a repair's moves may clear: of a kind a move clears, and not about history."""
    left = uncleared(findings, plan, first)
    return [f for f in findings if f.severity == ERROR and f not in left]


OUTCOME_WORDS = {
    "optimal": "the best plan possible",
    "feasible": "the best plan found in the time",
    "infeasible": "the best plan, though some due features cannot be met",
    "unsolved": "no plan found in the time",
}


def outcome_words(outcome: str | None) -> str:
    """A solve's outcome as a person reads it (the API keeps the solver's word)."""
    return "" if outcome is None else OUTCOME_WORDS.get(outcome, outcome)


def gap_words(gap: float | None, *, short: bool = False) -> str:
    """How far a plan may be from the best possible, as a person reads it (``short``: for a narrow column)."""
    if gap is None:
        return "—"
    if gap == 0:
        return "optimal" if short else "proven optimal"
    if gap < 0.001:
        return "<0.1%" if short else "under 0.1%"
    return f"{gap:.1%}"
