"""Board analysis on the `train` demo (2,000 features, 40 teams): median time of analyze(plan).

Target (issue: foundation): under 100 ms median on a 2-core machine.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

from artsync.domain.findings import analyze
from artsync.formats.demo import demo_plan


def main() -> None:
    plan = demo_plan("train")
    analyze(plan)  # warm up
    times = []
    for _ in range(30):
        # A Plan caches its indexes; rebuild it each run so the figure includes building them.
        fresh = replace(plan)
        start = time.perf_counter()
        findings = analyze(fresh)
        times.append(time.perf_counter() - start)
    print(
        f"analysis of the train demo: {len(plan.teams)} teams, {len(plan.features)} features, "
        f"{len(plan.cards)} cards, {len(plan.dependencies)} dependencies → {len(findings)} findings"
    )
    print(
        f"  median {statistics.median(times) * 1000:.1f} ms, "
        f"min {min(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms over {len(times)} runs (target < 100 ms)"
    )


if __name__ == "__main__":
    main()
