"""The optimizer on the demo trains, beside its targets (issue: plan it for me), and against the WSJF greedy.

1. The art demo (10 teams) drafted from nothing: proven optimal or gap ≤ 1% within 10 s.
2. A repair after a team loses 30% of its capacity in I2 (art demo): < 1.5 s, the fewest moves.
3. The cost of delay avoided, against the WSJF greedy a person would do by hand.
4. With OR-Tools installed, the same draft by CP-SAT (``--solver cp-sat``), for comparison.

The 40-team train's draft (≥ 96% of the proven bound within 30 s) is bench/optimizer_train.py.
"""

from __future__ import annotations

import time
from dataclasses import replace

from artsync.domain.optimizer import Settings, missing_solver, optimize
from support.drafts import drafted


def main() -> None:
    draft = drafted("art", 10)
    plan, solution = draft.plan, draft.solution
    print(f"optimizer on the art demo ({draft.describe()})")
    print(f"  draft: {solution.outcome}, gap {solution.gap:.2%} in {draft.seconds:.1f} s "
          "(target: optimal or gap ≤ 1% within 10 s)")  # fmt: skip
    print(draft.against_greedy())
    if missing_solver("cp-sat") is None:  # OR-Tools installed: the same draft by CP-SAT, for the choice of solver
        cp_sat = drafted("art", 10, solver="cp-sat")
        found = cp_sat.solution
        print(f"  the same draft by CP-SAT: {found.outcome}, gap {found.gap:.2%} in {cp_sat.seconds:.1f} s "
              f"(value {found.value:,.0f}, bound {found.bound:,.0f})")  # fmt: skip
    team = plan.teams[0]
    cut = replace(team, capacity_overrides={**team.capacity_overrides, 2: int(team.capacity(2) * 0.7)})
    hit = replace(solution.plan, teams=(cut, *plan.teams[1:]))
    began = time.perf_counter()
    repaired = optimize(hit, Settings(time_limit=10, move_cost=1000.0))
    took = time.perf_counter() - began
    print(f"  repair after {team.key} loses 30% in I2: {len(repaired.moved)} cards moved, {repaired.outcome}, "
          f"{took:.2f} s (target < 1.5 s)")  # fmt: skip


if __name__ == "__main__":
    main()
