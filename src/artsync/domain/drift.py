"""Drift from the committed baseline: what moved against the plan the train committed to, and who moved it.

- **slipped**: a card now planned later than the baseline had it (or unplanned), by how many iterations;
- **added**: a card on the board that the baseline did not have (scope added);
- **removed**: a card of the baseline no longer on the board (scope removed);
- **broken**: a dependency a team declared broken, or whose provider now comes after its consumer.

Each change names the event that caused it (the last one on that item since the commit) and its actor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from artsync.domain.board import DependencyStatus, dependency_statuses
from artsync.domain.events import Entity, Event
from artsync.domain.plan import Plan, split_card_ref

KINDS = ("slipped", "added", "removed", "broken")


@dataclass(frozen=True)
class Drift:
    kind: str
    item: str  # a card ref, or CONSUMER->PROVIDER
    team: str
    detail: str
    points: int = 0
    iterations: int | None = None  # how far a card slipped; None when it left the PI's plan
    seq: int | None = None
    actor: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class DriftTotals:
    scope: str  # a team key, or "train"
    slipped: int
    iterations_slipped: int
    added_points: int
    removed_points: int
    broken: int


def cause(events: dict[str, Event], item: str) -> tuple[int | None, str | None, datetime | None]:
    """The seq, actor and time of the last event on ``item``."""
    e = events.get(item)
    return (e.seq, e.actor, e.at) if e else (None, None, None)


def drift(baseline: Plan, plan: Plan, events: Iterable[Event]) -> list[Drift]:
    """Every change against ``baseline``; ``events`` are those logged since the commit."""
    last: dict[str, Event] = {}
    for e in events:
        if e.entity in (Entity.CARD, Entity.DEPENDENCY):
            last[e.entity_id] = e
    labels = {it.index: it.label for it in plan.pi.iterations}
    before, now = baseline.cards_by_ref, plan.cards_by_ref
    found: list[Drift] = []
    for ref, card in now.items():
        was = before.get(ref)
        if was is None:
            where = labels.get(card.iteration, "unplanned") if card.iteration else "unplanned"
            found.append(Drift("added", ref, card.team, f"{card.points} points, {where}", card.points, None,
                               *cause(last, ref)))  # fmt: skip
        elif was.iteration is not None and (card.iteration is None or card.iteration > was.iteration):
            moved = card.iteration - was.iteration if card.iteration is not None else None
            to = labels.get(card.iteration, str(card.iteration)) if card.iteration else "unplanned"
            detail = f"{labels.get(was.iteration, was.iteration)} → {to}" + (
                f" ({moved} iteration{'s' if moved != 1 else ''})" if moved else ""
            )
            found.append(Drift("slipped", ref, card.team, detail, card.points, moved, *cause(last, ref)))
    for ref, was in before.items():
        if ref not in now:
            found.append(Drift("removed", ref, was.team, f"{was.points} points", was.points, None, *cause(last, ref)))
    then = {d.key: d for d in baseline.dependencies}
    then_status = dependency_statuses(baseline)
    status = dependency_statuses(plan)
    for d in plan.dependencies:
        declared = d.state == "broken" and then.get(d.key, d).state != "broken"
        moved = status[d.key] is DependencyStatus.BROKEN and then_status.get(d.key) is not DependencyStatus.BROKEN
        if declared or moved:
            detail = "declared broken" if declared else "the provider is now planned after its consumer"
            team = split_card_ref(d.consumer)[1]
            found.append(Drift("broken", d.key, team, detail, 0, None, *cause(last, d.key if declared else d.provider)))
    order = {k: n for n, k in enumerate(KINDS)}
    return sorted(found, key=lambda x: (order[x.kind], x.team, x.item))


def totals(changes: Iterable[Drift], teams: Iterable[str]) -> list[DriftTotals]:
    """Per team, then for the train."""
    chosen = list(changes)

    def sum_up(scope: str, mine: list[Drift]) -> DriftTotals:
        slipped = [c for c in mine if c.kind == "slipped"]
        return DriftTotals(
            scope,
            len(slipped),
            sum(c.iterations or 0 for c in slipped),
            sum(c.points for c in mine if c.kind == "added"),
            sum(c.points for c in mine if c.kind == "removed"),
            sum(1 for c in mine if c.kind == "broken"),
        )

    return [*(sum_up(t, [c for c in chosen if c.team == t]) for t in teams), sum_up("train", chosen)]
