"""The CLI starts without loading what its commands do not all need: no database, no NumPy, no web stack."""

from __future__ import annotations

import subprocess
import sys

# Loaded only by the commands that use them (cli/lazy.py and imports at the command boundary).
HEAVY = ("sqlalchemy", "numpy", "pydantic", "pydantic_settings", "fastapi", "markdown_it", "argon2", "httpx")


def loaded_at_start() -> set[str]:
    code = "import sys, artsync.cli.app; print('\\n'.join(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(output.split())


def test_starting_the_cli_loads_no_database_numpy_or_web_stack() -> None:
    modules = loaded_at_start()
    heavy = sorted({m.split(".")[0] for m in modules if m.split(".")[0] in HEAVY})
    layers = sorted(m for m in modules if m.startswith(("artsync.services", "artsync.store", "artsync.web")))
    assert heavy == [] and layers == [], f"loaded at start: {heavy + layers}"


def test_help_lists_the_commands() -> None:
    result = subprocess.run([sys.executable, "-m", "artsync", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "findings" in result.stdout and "backup" in result.stdout


def test_help_groups_the_commands_in_panels_in_the_order_people_meet_them() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "artsync", "--help"], capture_output=True, text=True, check=False, env={"COLUMNS": "100"}
    )
    panels = [line.split("─ ")[1].split(" ─")[0] for line in result.stdout.splitlines() if line.startswith("╭─ ")]
    assert panels == ["Options", "Plan", "PI planning", "ART events", "Measure", "People and access", "Admin"]
    listed = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("│ ") and line[2] != " "]
    assert len(listed) == len(set(listed)) and {"board", "vote", "meeting", "forecast", "user", "backup"} <= set(listed)
