"""The train on one screen for the ART sync: each team red, amber or green with the reasons, the
dependencies in trouble between which teams, and each milestone's chance.

Red is what stops delivery now: a blocked card, a dependency broken on either side. Amber is what
will, unless someone acts: cards slipped against the committed baseline, cards of iterations that are
over and not done, a dependency at risk, an iteration over capacity. Green is a team with none of these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from artsync.domain.board import DependencyStatus, dependency_statuses, load_status, loads
from artsync.domain.plan import Plan

TROUBLED = (DependencyStatus.BROKEN, DependencyStatus.AT_RISK, DependencyStatus.UNPLANNED_PROVIDER)


class Rag(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


@dataclass(frozen=True)
class TeamStatus:
    team: str
    rag: Rag
    reasons: tuple[str, ...] = ()  # worst first; empty when green


@dataclass(frozen=True)
class Trouble:
    """A dependency in trouble: which team waits on which, and how it stands."""

    consumer: str  # card refs
    provider: str
    status: str  # broken, at-risk, unplanned-provider

    @property
    def teams(self) -> tuple[str, str]:
        return self.consumer.partition("@")[2], self.provider.partition("@")[2]


@dataclass(frozen=True)
class ArtStatus:
    teams: tuple[TeamStatus, ...]
    dependencies: tuple[Trouble, ...]
    milestones: tuple[tuple[str, str, float | None], ...] = field(default=())  # key, name, chance by its due

    @property
    def quiet(self) -> tuple[str, ...]:
        """The green teams, folded into one line."""
        return tuple(t.team for t in self.teams if t.rag is Rag.GREEN)


def count(n: int, what: str, many: str | None = None) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {many or what + 's'}"


def art_status(
    plan: Plan, baseline: Plan | None, now: int, chances: Iterable[tuple[str, str, float | None]] = ()
) -> ArtStatus:
    """The status of each team of ``plan`` with iteration ``now`` in progress (earlier ones are over)."""
    statuses = dependency_statuses(plan)
    trouble = tuple(
        sorted(
            (Trouble(d.consumer, d.provider, str(statuses[d.key])) for d in plan.dependencies
             if statuses[d.key] in TROUBLED),
            key=lambda t: (t.status != "broken", t.consumer),
        )
    )  # fmt: skip
    was = {c.ref: c.iteration for c in baseline.cards} if baseline else {}
    load = loads(plan.cards)
    teams = []
    for team in plan.teams:
        mine = [c for c in plan.cards if c.team == team.key]
        red, amber = [], []
        if blocked := [c.ref for c in mine if c.status == "blocked"]:
            red.append(f"blocked: {', '.join(blocked)}")
        broken = [t for t in trouble if team.key in t.teams and t.status in ("broken", "unplanned-provider")]
        if broken:
            red.append(f"{count(len(broken), 'dependency', 'dependencies')} broken")
        slipped = [
            c.ref
            for c in mine
            if c.ref in was and was[c.ref] is not None and (c.iteration is None or c.iteration > (was[c.ref] or 0))
        ]
        if slipped:
            amber.append(f"slipped against the baseline: {', '.join(slipped)}")
        late = [c.ref for c in mine if c.iteration is not None and c.iteration < now and c.status != "done"]
        if late:
            amber.append(f"{count(len(late), 'card')} of past iterations not done")
        at_risk = [t for t in trouble if team.key in t.teams and t.status == "at-risk"]
        if at_risk:
            amber.append(f"{count(len(at_risk), 'dependency', 'dependencies')} at risk")
        over = [
            it.label
            for it in plan.pi.iterations
            if it.index >= now and load_status(load.get((team.key, it.index), 0), team.capacity(it.index)) == "over"
        ]
        if over:
            amber.append(f"over capacity in {', '.join(over)}")
        rag = Rag.RED if red else Rag.AMBER if amber else Rag.GREEN
        teams.append(TeamStatus(team.key, rag, tuple(red + amber)))
    order = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2}
    return ArtStatus(tuple(sorted(teams, key=lambda t: (order[t.rag], t.team))), trouble, tuple(chances))
