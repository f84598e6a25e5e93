"""Plan it for me: the PI plan that avoids the most cost of delay, as a mixed-integer program (HiGHS).

Plan in, plan out. Each card is placed in one iteration of its team, or left unplanned, such that:

- a team's load in an iteration is at most ``share`` of its capacity; above 80% of it each point costs a
  penalty (room for the unexpected);
- nothing is planned in the IP iteration;
- a provider finishes in an earlier iteration than its consumer — in the same one only at a penalty
  ("at risk"); a consumer is planned only if its provider is;
- the features a milestone needs are delivered (every card planned) by the milestone's iteration;
- the cards of a committed objective's features are planned.

A feature is delivered in the iteration of its last card. The objective is the cost of delay avoided: each
feature's cost of delay (user/business value + time criticality + risk reduction) times the iterations from
its delivery to the end of the PI, counting the delivery's own (a feature delivered in the last iteration
before the IP iteration avoids one iteration's), minus the penalties and — when repairing — ``move_cost`` for
each card not where the current plan has it. The answer always carries the solver's proven bound and the gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

import highspy
import numpy as np

from artsync.domain.board import NEAR_CAPACITY
from artsync.domain.plan import Card, Plan

SAME_ITERATION = 5.0  # the penalty of a provider finishing in its consumer's iteration
OVER_NEAR = 0.5  # the penalty per point planned above NEAR_CAPACITY of a team's capacity


class Outcome(StrEnum):
    OPTIMAL = "optimal"  # proven: no plan avoids more
    FEASIBLE = "feasible"  # the best found within the time; the gap says how far it may be from the best
    INFEASIBLE = "infeasible"  # no plan meets every hard rule
    UNSOLVED = "unsolved"  # the time ran out before a plan was found


@dataclass(frozen=True)
class Settings:
    share: float = 1.0  # of each team's capacity that may be planned
    time_limit: float = 10.0  # seconds
    seed: int = 7
    move_cost: float = 0.0  # per card moved from the given plan (a repair); 0: a draft


@dataclass(frozen=True)
class Solution:
    """A plan the solver proposes, what it avoids, and how far it may be from the best one."""

    outcome: Outcome
    plan: Plan
    value: float  # the objective: cost of delay avoided, less penalties (and moves)
    bound: float  # the solver's proven upper bound on any plan's value
    moved: tuple[str, ...]  # the cards placed elsewhere than in the given plan

    @property
    def gap(self) -> float:
        """How far the plan may be from the best, as a share of the bound (0: proven optimal)."""
        if self.outcome in (Outcome.INFEASIBLE, Outcome.UNSOLVED):
            return float("inf")
        return 0.0 if self.bound <= 0 else max(0.0, (self.bound - self.value) / abs(self.bound))


def cost_of_delay_avoided(plan: Plan) -> float:
    """What a plan avoids, by the measure the optimizer maximises (without penalties)."""
    planned = [it.index for it in plan.pi.iterations if not it.is_ip]
    last = max(planned, default=0)
    total = 0.0
    for feature in plan.features:
        cards = [c for c in plan.cards if c.feature == feature.key]
        if cards and all(c.iteration is not None for c in cards):
            delivered = max(c.iteration for c in cards if c.iteration is not None)
            total += feature.wsjf.cost_of_delay * sum(1 for i in planned if delivered <= i <= last)
    return total


def value_of(plan: Plan) -> float:
    """A plan's value as the optimizer counts it (without moves): cost of delay avoided, less the penalties."""
    at = {c.ref: c.iteration for c in plan.cards}
    same = sum(
        1 for d in plan.dependencies if at.get(d.consumer) is not None and at.get(d.consumer) == at.get(d.provider)
    )
    over = 0.0
    for team in plan.teams:
        for it in plan.pi.iterations:
            load = sum(c.points for c in plan.cards if c.team == team.key and c.iteration == it.index)
            over += max(0.0, load - NEAR_CAPACITY * team.capacity(it.index))
    return cost_of_delay_avoided(plan) - SAME_ITERATION * same - OVER_NEAR * over


def optimize(plan: Plan, settings: Settings = Settings()) -> Solution:
    """The plan that avoids the most cost of delay under the rules (see the module), within the time limit;
    the search starts from the WSJF greedy plan (and, for a repair, from the given plan when it keeps the rules)."""
    model = Model(plan, settings)
    model.start_from(wsjf_greedy(plan, settings.share))
    return model.solve()


def wsjf_greedy(plan: Plan, share: float = 1.0) -> Plan:
    """What a person would do by hand: features in WSJF order, each card in the earliest iteration of its team
    with room left and after its providers; a feature whose cards do not all fit is left unplanned."""
    from artsync.domain.wsjf import rank

    iterations = [it.index for it in plan.pi.iterations if not it.is_ip]
    teams = {t.key: t for t in plan.teams}
    left = {(t.key, i): share * t.capacity(i) for t in plan.teams for i in iterations}
    providers: dict[str, list[str]] = {}
    for d in plan.dependencies:
        providers.setdefault(d.consumer, []).append(d.provider)
    at: dict[str, int | None] = {c.ref: None for c in plan.cards}
    by_feature: dict[str, list[Card]] = {}
    for card in plan.cards:
        by_feature.setdefault(card.feature, []).append(card)
    for feature in rank(plan.features):
        mine = by_feature.get(feature.key, [])
        chosen: dict[str, int] = {}
        for card in sorted(mine, key=lambda c: len(providers.get(c.ref, []))):
            needed = [chosen.get(p, at.get(p)) for p in providers.get(card.ref, [])]
            if any(n is None for n in needed):
                break
            earliest = max((n + 1 for n in needed if n is not None), default=iterations[0] if iterations else 1)
            fits = [i for i in iterations if i >= earliest and left[card.team, i] >= card.points]
            if not fits or card.team not in teams:
                break
            chosen[card.ref] = fits[0]
            left[card.team, fits[0]] -= card.points
        else:
            at.update(chosen)
            continue
        for ref, i in chosen.items():  # not all of it fits: none of it is planned
            left[plan.cards_by_ref[ref].team, i] += plan.cards_by_ref[ref].points
    return plan.with_cards({c.ref: replace(c, iteration=at[c.ref]) for c in plan.cards})


class Model:
    """The mixed-integer program of a plan: x[card, iteration] binary, one column per pair, and the rows."""

    def __init__(self, plan: Plan, settings: Settings) -> None:
        self.plan, self.settings = plan, settings
        self.iterations = [it.index for it in plan.pi.iterations if not it.is_ip]
        self.cards = list(plan.cards)
        self.h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy ships no types for it
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("time_limit", float(settings.time_limit))
        self.h.setOptionValue("random_seed", int(settings.seed))
        self.h.setOptionValue("threads", 1)  # the same seed and time limit give the same plan
        self.columns = 0
        self.integers: list[int] = []
        self.x: dict[tuple[int, int], int] = {}
        self.stays: dict[int, int] = {}  # card → its "stays unplanned" column (a repair)
        self.over: list[tuple[list[int], int, float, int]] = []  # cards, iteration, near load, column
        self.same: list[tuple[int, int, int, int]] = []  # consumer, provider, iteration, column
        self.build()

    def column(self, cost: float, upper: float = 1.0, integer: bool = True) -> int:
        self.h.addVar(0.0, upper)
        if cost:
            self.h.changeColCost(self.columns, cost)
        if integer:
            self.integers.append(self.columns)
        self.columns += 1
        return self.columns - 1

    def row(self, lower: float, upper: float, terms: Mapping[int, float]) -> None:
        index = np.array(list(terms), dtype=np.int32)
        value = np.array([terms[i] for i in terms], dtype=np.float64)
        self.h.addRow(lower, upper, len(index), index, value)

    def build(self) -> None:
        plan, settings, inf = self.plan, self.settings, highspy.kHighsInf
        # x[n, i]: card n finishes in iteration i. A repair pays ``move_cost`` to keep a card where it is (so a
        # move costs it); the constant is taken off the value again in ``solve``.
        for n, card in enumerate(self.cards):
            for i in self.iterations:
                self.x[n, i] = self.column(settings.move_cost if card.iteration == i else 0.0)
            one = {self.x[n, i]: 1.0 for i in self.iterations}
            if settings.move_cost and card.iteration is None:
                self.stays[n] = self.column(settings.move_cost)  # stays unplanned
                one[self.stays[n]] = 1.0
            self.row(-inf, 1, one)  # one iteration, or unplanned
        # The cost of delay avoided: y[f, j] = 1 when feature f is delivered by iteration j.
        index = {c.ref: n for n, c in enumerate(self.cards)}
        by_feature: dict[str, list[int]] = {}
        for n, card in enumerate(self.cards):
            by_feature.setdefault(card.feature, []).append(n)
        self.delivered: dict[tuple[str, int], int] = {}
        for feature in plan.features:
            mine = by_feature.get(feature.key, [])
            if not mine:
                continue
            for j in self.iterations:
                y = self.column(float(feature.wsjf.cost_of_delay))
                self.delivered[feature.key, j] = y
                for n in mine:  # y ≤ card n planned by j
                    self.row(-inf, 0, {y: 1, **{self.x[n, i]: -1 for i in self.iterations if i <= j}})
        # Capacity: hard at ``share``, a penalty per point above NEAR_CAPACITY.
        for team in plan.teams:
            mine = [n for n, c in enumerate(self.cards) if c.team == team.key]
            for i in self.iterations:
                capacity = team.capacity(i)
                load = {self.x[n, i]: float(self.cards[n].points) for n in mine if self.cards[n].points}
                if not load:
                    continue
                self.row(-inf, settings.share * capacity, load)
                over = self.column(-OVER_NEAR, upper=inf, integer=False)
                self.over.append((mine, i, NEAR_CAPACITY * capacity, over))
                self.row(-inf, NEAR_CAPACITY * capacity, {**load, over: -1.0})
        # Dependencies: the provider by the consumer's iteration; the same one at a penalty.
        for dep in plan.dependencies:
            consumer, provider = index.get(dep.consumer), index.get(dep.provider)
            if consumer is None or provider is None:
                continue
            for j in self.iterations:
                by_then = {self.x[provider, i]: -1.0 for i in self.iterations if i <= j}
                self.row(-inf, 0, {self.x[consumer, j]: 1.0, **by_then})
                same = self.column(-SAME_ITERATION)
                self.same.append((consumer, provider, j, same))
                self.row(-inf, 1, {self.x[consumer, j]: 1, self.x[provider, j]: 1, same: -1})
        # Milestones: their features delivered by their iteration.
        for milestone in plan.milestones:
            for key in milestone.features:
                for n in by_feature.get(key, []):
                    self.row(1, 1, {self.x[n, i]: 1 for i in self.iterations if i <= milestone.iteration})
        # Committed objectives: their features' cards planned.
        for objective in plan.objectives:
            if objective.committed:
                for key in objective.features:
                    for n in by_feature.get(key, []):
                        self.row(1, 1, {self.x[n, i]: 1 for i in self.iterations})
        kinds = np.array([highspy.HighsVarType.kInteger] * len(self.integers))
        self.h.changeColsIntegrality(len(self.integers), np.array(self.integers, dtype=np.int32), kinds)
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)

    def start_from(self, plan: Plan) -> None:
        """Give the solver ``plan`` (a placement that keeps the hard rules) as the plan to beat."""
        at = {c.ref: c.iteration for c in plan.cards}
        values = np.zeros(self.columns)
        for (n, i), column in self.x.items():
            values[column] = 1.0 if at.get(self.cards[n].ref) == i else 0.0
        for n, column in self.stays.items():
            values[column] = 1.0 if at.get(self.cards[n].ref) is None else 0.0
        for (key, j), column in self.delivered.items():
            mine = [c for c in self.cards if c.feature == key]
            values[column] = 1.0 if all(at.get(c.ref) is not None and at[c.ref] <= j for c in mine) else 0.0  # type: ignore[operator]
        for cards, i, near, column in self.over:
            load = sum(self.cards[n].points for n in cards if at.get(self.cards[n].ref) == i)
            values[column] = max(0.0, load - near)
        for consumer, provider, j, column in self.same:
            both = at.get(self.cards[consumer].ref) == j and at.get(self.cards[provider].ref) == j
            values[column] = 1.0 if both else 0.0
        solution = highspy.HighsSolution()
        solution.col_value = list(values)
        self.h.setSolution(solution)

    def solve(self) -> Solution:
        self.h.run()
        status = self.h.getModelStatus()
        info = self.h.getInfo()
        if status == highspy.HighsModelStatus.kInfeasible:
            return Solution(Outcome.INFEASIBLE, self.plan, float("-inf"), float("-inf"), ())
        if info.primal_solution_status == 0:  # the time ran out before any plan was found
            return Solution(Outcome.UNSOLVED, self.plan, float("-inf"), float(info.mip_dual_bound), ())
        values = self.h.getSolution().col_value
        placed: dict[str, Card] = {}
        moved = []
        for n, card in enumerate(self.cards):
            at = next((i for i in self.iterations if values[self.x[n, i]] > 0.5), None)
            if at != card.iteration:
                moved.append(card.ref)
                placed[card.ref] = replace(card, iteration=at)
        value = float(info.objective_function_value) - self.settings.move_cost * len(self.cards)
        bound = float(info.mip_dual_bound) - self.settings.move_cost * len(self.cards)
        optimal = status == highspy.HighsModelStatus.kOptimal
        return Solution(Outcome.OPTIMAL if optimal else Outcome.FEASIBLE, self.plan.with_cards(placed), value,
                        bound, tuple(sorted(moved)))  # fmt: skip
