"""A web worker starts without what only some requests need: NumPy (the forecast, the optimizer), HiGHS (the
optimizer), the tracker connectors with httpx (and the click, Rich and Pygments httpx brings along) and the
Markdown renderer load at their first use, so a worker that serves the board keeps ~23 MiB less
(docs/performance.md)."""

from __future__ import annotations

import subprocess
import sys

LATER = ("numpy", "highspy", "redis", "icalendar", "httpx", "rich", "pygments", "markdown_it")


def test_starting_a_web_worker_loads_no_numpy_solver_connectors_or_markdown() -> None:
    code = "import sys, artsync.web.app; print('\\n'.join(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = sorted({m.split(".")[0] for m in output.split()} & set(LATER))
    assert loaded == [], f"loaded when a worker starts: {loaded}"
