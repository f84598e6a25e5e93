"""Progress against the plan: points done against points planned, per iteration, team, train and feature.

"Planned" is the committed baseline's plan when there is one (what the train promised), otherwise the
board as it stands. "Done" is the points of cards marked done, counted in the iteration they sit in.
The burn-up is the cumulative of both, with the scope (all points now on the board) as its ceiling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate

from artsync.domain.plan import Card, CardStatus, Plan


@dataclass(frozen=True)
class IterationProgress:
    iteration: int
    label: str
    planned: int
    done: int


@dataclass(frozen=True)
class Progress:
    scope: str  # a team key, or "train"
    iterations: tuple[IterationProgress, ...]
    scope_points: int  # every point on the board now, planned or not

    @property
    def planned(self) -> int:
        return sum(i.planned for i in self.iterations)

    @property
    def done(self) -> int:
        return sum(i.done for i in self.iterations)

    @property
    def burn_up(self) -> tuple[list[int], list[int]]:
        """Cumulative planned and cumulative done, iteration by iteration."""
        return list(accumulate(i.planned for i in self.iterations)), list(accumulate(i.done for i in self.iterations))


@dataclass(frozen=True)
class FeatureProgress:
    key: str
    title: str
    points: int
    done: int
    teams: tuple[str, ...]
    iterations: tuple[IterationProgress, ...] = ()

    @property
    def percent(self) -> float:
        return round(100.0 * self.done / self.points, 1) if self.points else 100.0


def progress(plan: Plan, baseline: Plan | None = None) -> list[Progress]:
    """Per team, then the train."""
    promised = baseline or plan
    teams = [t.key for t in plan.teams]

    def of(scope: str, now: list[Card], then: list[Card]) -> Progress:
        rows = tuple(
            IterationProgress(
                it.index,
                it.label,
                sum(c.points for c in then if c.iteration == it.index),
                sum(c.points for c in now if c.iteration == it.index and c.status == "done"),
            )
            for it in plan.pi.iterations
        )
        return Progress(scope, rows, sum(c.points for c in now))

    found = [of(t, [c for c in plan.cards if c.team == t], [c for c in promised.cards if c.team == t]) for t in teams]
    return [*found, of("train", list(plan.cards), list(promised.cards))]


def feature_progress(plan: Plan, baseline: Plan | None = None) -> list[FeatureProgress]:
    """Every feature with cards: its points and the points done, in all and per iteration; least done first."""
    by_feature: dict[str, list[Card]] = {}
    for c in plan.cards:
        by_feature.setdefault(c.feature, []).append(c)
    promised: dict[str, list[Card]] = {}
    for c in (baseline or plan).cards:
        promised.setdefault(c.feature, []).append(c)
    titles = {f.key: f.title for f in plan.features}
    found = [
        FeatureProgress(
            key,
            titles.get(key, ""),
            sum(c.points for c in cards),
            sum(c.points for c in cards if c.status == "done"),
            tuple(sorted(c.team for c in cards)),
            tuple(
                IterationProgress(
                    it.index,
                    it.label,
                    sum(c.points for c in promised.get(key, []) if c.iteration == it.index),
                    sum(c.points for c in cards if c.iteration == it.index and c.status == "done"),
                )
                for it in plan.pi.iterations
            ),
        )
        for key, cards in by_feature.items()
    ]
    return sorted(found, key=lambda f: (f.percent, f.key))


class FeatureState(StrEnum):
    """Where a feature stands, from its cards."""

    UNPLANNED = "unplanned"  # no card of it sits in an iteration, none started
    PLANNED = "planned"  # cards in iterations, none started
    IN_PROGRESS = "in progress"  # a card started (in progress, blocked or done), not every card done
    DONE = "done"  # every card done


def feature_state(cards: Sequence[Card]) -> FeatureState:
    """A feature's state from its cards (a feature without cards is unplanned)."""
    if cards and all(c.status == CardStatus.DONE for c in cards):
        return FeatureState.DONE
    if any(c.status != CardStatus.NOT_STARTED for c in cards):
        return FeatureState.IN_PROGRESS
    return FeatureState.PLANNED if any(c.iteration is not None for c in cards) else FeatureState.UNPLANNED
