"""The layers hold: the domain is pure, and every package imports only what the layer table allows."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).parents[1] / "src" / "artsync" / "domain"
FORBIDDEN_MODULES = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "typer",
    "rich",
    "alembic",
    "psycopg",
    "artsync.store",
    "artsync.services",
    "artsync.cli",
    "artsync.web",
)
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter"}


def domain_modules() -> list[Path]:
    return sorted(DOMAIN.glob("*.py"))


@pytest.mark.parametrize("path", domain_modules(), ids=lambda p: p.name)
def test_domain_module_imports_no_framework(path: Path) -> None:
    tree = ast.parse(path.read_text())
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.append(node.module)
    bad = [name for name in imported if name.startswith(FORBIDDEN_MODULES)]
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", domain_modules(), ids=lambda p: p.name)
def test_domain_module_does_not_read_the_clock(path: Path) -> None:
    tree = ast.parse(path.read_text())
    calls = [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLOCK_CALLS
    ]
    assert not calls, f"{path.name} reads the clock ({calls}); pass today in instead"
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module in ("time",)] + [
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names if a.name == "time"
    ]
    assert not imported, f"{path.name} imports time"


# The whole table of allowed directions (DESIGN.md): which artsync packages each package may import.
SRC = Path(__file__).parents[1] / "src" / "artsync"
ANYWHERE = {"errors"}  # the one exception family
ALLOWED = {
    "domain": set(),
    "store": {"domain"},
    "formats": {"domain", "settings"},  # file and wire formats of plain values, usable by services
    "services": {"domain", "store", "formats", "settings"},
    "views": {"domain", "services", "formats", "settings"},  # presenters: what the API, --json and pages show
    "realtime": {"domain", "services"},
    "connectors": {"domain", "services", "formats", "settings"},
    "web": {"domain", "services", "formats", "views", "realtime", "connectors", "settings", "store"},
    "cli": {"domain", "services", "formats", "views", "settings", "store", "realtime", "connectors"},
    "settings": set(),
}
# Crossings that exist today and are to go: each is listed so that no new one appears unnoticed,
# and the test fails when one is removed but still listed here.
KNOWN_CROSSINGS: set[tuple[str, str]] = set()


def package_imports() -> dict[str, set[str]]:
    """For each top-level package of artsync, the other artsync packages its modules import."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).parts
        package = parts[0].removesuffix(".py")
        if package in ("__init__", "__main__"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                pieces = name.split(".")
                if pieces[0] == "artsync" and len(pieces) > 1 and pieces[1] != package:
                    found.setdefault(package, set()).add(pieces[1])
    return found


def test_every_package_imports_only_what_the_layer_table_allows() -> None:
    crossings = {
        (package, target)
        for package, targets in package_imports().items()
        for target in targets - ANYWHERE
        if target not in ALLOWED.get(package, set())
    }
    assert crossings - KNOWN_CROSSINGS == set(), "imports against the layer table"
    assert KNOWN_CROSSINGS - crossings == set(), "a known crossing is gone: take it off KNOWN_CROSSINGS"


def test_every_package_is_in_the_layer_table() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in SRC.glob("*.py")} - {"__init__", "__main__"}
    assert packages | modules <= set(ALLOWED) | ANYWHERE


def test_only_the_write_appends_to_the_log_and_bumps_versions_by_claim() -> None:
    """Every change to a train goes through services/writes.py: no service writes its own ceremony."""
    services = SRC / "services"
    ceremony = {"append_event", "claim"}  # the log entry, and the lock with the version check
    homes = ("artsync.services.events", "artsync.services.versioning")
    found = {
        (path.name, alias.name)
        for path in services.glob("*.py")
        if path.name not in ("writes.py", "events.py", "versioning.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module in homes
        for alias in node.names
        if alias.name in ceremony
    }
    assert found == set(), "use services.writes.writing and the Write's record/claim/update instead"
