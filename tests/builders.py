"""Small plans written compactly, for tests that reason about one rule at a time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import pytest

from artsync.domain.cadence import PI
from artsync.domain.plan import Card, Dependency, Feature, Milestone, Objective, Plan, Risk, Team, Train
from artsync.domain.wsjf import WsjfInputs

PI_START = date(2027, 1, 4)


def make_plan(
    *,
    teams: Mapping[str, int] | None = None,
    capacity: Mapping[tuple[str, int], int] | None = None,
    cards: Iterable[tuple[str, str, int | None, int]] = (),
    wsjf: Mapping[str, tuple[int, int, int, int]] | None = None,
    deps: Iterable[tuple[str, str]] = (),
    milestones: Iterable[Milestone] = (),
    objectives: Iterable[Objective] = (),
    risks: Iterable[Risk] = (),
    iterations: int = 5,
    ip_last: bool = True,
) -> Plan:
    """A plan with teams (key → velocity), cards (feature, team, iteration, points) and the rest.

    Features are made for every feature a card names, with WSJF inputs from ``wsjf``
    (default 3, 3, 3, 3).
    """
    teams = teams if teams is not None else {"Atlas": 20, "Orion": 20}
    capacity = capacity or {}
    card_values = tuple(Card(f, t, i, p) for f, t, i, p in cards)
    wsjf = wsjf or {}
    feature_keys = sorted({c.feature for c in card_values} | set(wsjf))
    return Plan(
        train=Train("ART", "Test ART"),
        pi=PI("PI-1", PI_START, 2, iterations, ip_last),
        teams=tuple(
            Team(k, f"Team {k}", v, {i: p for (t, i), p in capacity.items() if t == k}) for k, v in teams.items()
        ),
        features=tuple(
            Feature(k, f"Feature {k}", "business", WsjfInputs(*wsjf.get(k, (3, 3, 3, 3)))) for k in feature_keys
        ),
        cards=card_values,
        dependencies=tuple(Dependency(c, p) for c, p in deps),
        milestones=tuple(milestones),
        objectives=tuple(objectives),
        risks=tuple(risks),
    )


def without_ortools(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on the test runs as on a server without OR-Tools installed (CP-SAT unavailable)."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ortools" else real(name, *a))
