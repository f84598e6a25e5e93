"""A web worker starts without what only some requests need: NumPy (the forecast, the optimizer) and HiGHS (the
optimizer) load at their first use, so a worker that serves the board keeps ~17 MiB less (docs/performance.md)."""

from __future__ import annotations

import subprocess
import sys

LATER = ("numpy", "highspy", "redis", "icalendar")


def test_starting_a_web_worker_loads_no_numpy_solver_redis_or_calendar() -> None:
    code = "import sys, artsync.web.app; print('\\n'.join(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = sorted({m.split(".")[0] for m in output.split()} & set(LATER))
    assert loaded == [], f"loaded when a worker starts: {loaded}"
