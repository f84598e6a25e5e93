"""A web worker starts without what only some requests need: NumPy (the forecast, the optimizer), HiGHS (the
optimizer), the tracker connectors with httpx (and the click, Rich and Pygments httpx brings along) and the
Markdown renderer load at their first use, and nothing of the command line comes along (`artsync serve` becomes
`python -m artsync.web.server`, the module uvicorn's spawned workers import first), so a worker that serves the
board keeps ~28 MiB less (docs/performance.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.web.browser import demo_train_with_rte, serving

LATER = ("numpy", "highspy", "redis", "icalendar", "httpx", "rich", "pygments", "markdown_it", "typer")

# What multiprocessing's spawn does in each worker before it runs uvicorn's: import the parent's main module
# under the name ``__mp_main__`` — then the app, as uvicorn's worker does.
AS_A_WORKER = """
import runpy, sys
runpy.run_module("artsync.web.server", run_name="__mp_main__", alter_sys=True)
import artsync.web.asgi
print("\\n".join(sorted(sys.modules)))
"""


def loaded_at_start(code: str) -> list[str]:
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return sorted({m.split(".")[0] for m in output.split()} & set(LATER))


def test_starting_a_web_worker_loads_no_numpy_solver_connectors_or_markdown() -> None:
    loaded = loaded_at_start("import sys, artsync.web.app; print('\\n'.join(sorted(sys.modules)))")
    assert loaded == [], f"loaded when a worker starts: {loaded}"


def test_a_worker_spawned_by_the_server_loads_nothing_of_the_command_line() -> None:
    loaded = loaded_at_start(AS_A_WORKER)
    assert loaded == [], f"loaded when a spawned worker starts: {loaded}"


def test_serve_becomes_the_server_module_its_workers_are_spawned_from(postgres_url) -> None:
    demo_train_with_rte(postgres_url)
    with serving(postgres_url, workers=2) as server:
        command = Path(f"/proc/{server.process.pid}/cmdline").read_text().split("\0")
    assert command[1:3] == ["-m", "artsync.web.server"]
