"""The domain stays pure: no database, web, CLI framework or clock in domain/."""

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
