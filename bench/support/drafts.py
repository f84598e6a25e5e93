"""A demo train drafted by the optimizer from nothing, timed, beside the WSJF greedy a person would do by hand."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from artsync.domain.optimizer import Settings, Solution, cost_of_delay_avoided, optimize, wsjf_greedy
from artsync.domain.plan import Plan
from artsync.formats.demo import demo_plan


@dataclass(frozen=True)
class Draft:
    plan: Plan  # the demo as it comes
    solution: Solution
    seconds: float
    greedy: Plan

    def describe(self) -> str:
        return f"{len(self.plan.teams)} teams, {len(self.plan.features):,} features, {len(self.plan.cards):,} cards"

    def against_greedy(self) -> str:
        mine, theirs = cost_of_delay_avoided(self.solution.plan), cost_of_delay_avoided(self.greedy)
        return (f"  cost of delay avoided: optimizer {mine:,.0f}, WSJF greedy {theirs:,.0f} "
                f"(ratio {mine / max(1.0, theirs):.3f})")  # fmt: skip


def drafted(size: str, time_limit: float, solver: str = "highs") -> Draft:
    """The ``size`` demo with every card unplanned, drafted within ``time_limit`` seconds by ``solver``."""
    plan = demo_plan(size)
    draft = plan.with_cards({c.ref: replace(c, iteration=None) for c in plan.cards})
    began = time.perf_counter()
    solution = optimize(draft, Settings(time_limit=time_limit, solver=solver), clock=time.monotonic)
    return Draft(plan, solution, time.perf_counter() - began, wsjf_greedy(draft))
