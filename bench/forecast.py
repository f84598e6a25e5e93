"""The Monte Carlo forecast, 10,000 trials, on the `art` demo (150 features, 10 teams) and the `train` demo
(2,000 features, 40 teams): time per forecast, with a throughput history of six past iterations per team.

Targets (issue: measure and forecast): under 1 s for `art`, under 10 s for `train` on a 2-core machine.
"""

from __future__ import annotations

import random
import statistics
import time

from artsync.domain.forecast import TRIALS, Throughput, forecast
from artsync.formats.demo import demo_plan

TARGETS = {"art": 1.0, "train": 10.0}


def main() -> None:
    for size, target in TARGETS.items():
        plan = demo_plan(size)
        rng = random.Random(1)
        history = {
            t.key: Throughput(
                t.key, tuple(max(0, round(rng.gauss(t.velocity, t.velocity * 0.2))) for _ in range(6)), t.velocity
            )
            for t in plan.teams
        }
        runs = 5 if size == "art" else 3
        times = []
        for seed in range(runs):
            start = time.perf_counter()
            result = forecast(plan, history, now=1, trials=TRIALS, seed=seed)
            times.append(time.perf_counter() - start)
        at_risk = sum(1 for m in result.milestones.values() if (m.probability or 0) < 0.7)
        print(
            f"forecast of the {size} demo: {len(plan.teams)} teams, {len(plan.features)} features, "
            f"{len(plan.cards)} cards, {len(plan.dependencies)} dependencies, {TRIALS:,} trials, "
            f"{result.horizon} iterations ahead → {len(result.milestones)} milestones, {at_risk} at risk"
        )
        print(
            f"  median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s "
            f"over {runs} runs (target < {target:.0f} s)"
        )


if __name__ == "__main__":
    main()
