"""The predictability measure (DOMAIN.md): how much of the business value planned the teams delivered.

Predictability = (sum of actual business value of all objectives, committed and uncommitted)
               / (sum of planned business value of committed objectives only) × 100%,
per team and rolled up for the train. The target band is 80–100%; it may exceed 100%.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from artsync.domain.plan import Objective

BAND = (80.0, 100.0)


@dataclass(frozen=True)
class Predictability:
    """One team's (or the train's) measure in one PI; ``percent`` is None when it cannot be measured."""

    scope: str  # a team key, or "train"
    planned: int  # planned BV of committed objectives
    actual: int  # actual BV of all objectives
    percent: float | None
    objectives: int
    unvalued: int  # objectives without an actual value yet (counted as 0)
    reason: str | None = None  # why there is no percent

    @property
    def band(self) -> str | None:
        """``below``, ``within`` or ``above`` the 80–100% band."""
        if self.percent is None:
            return None
        low, high = BAND
        return "below" if self.percent < low else "above" if self.percent > high else "within"


def measure(scope: str, objectives: Iterable[Objective]) -> Predictability:
    """The measure over ``objectives``: actual of all over planned of the committed ones."""
    chosen = list(objectives)
    planned = sum(o.planned_bv or 0 for o in chosen if o.committed)
    actual = sum(o.actual_bv or 0 for o in chosen)
    unvalued = sum(1 for o in chosen if o.actual_bv is None)
    if planned == 0:
        reason = (
            "no objectives" if not chosen
            else "no committed objective has a planned business value, so there is nothing to measure against"
        )  # fmt: skip
        return Predictability(scope, 0, actual, None, len(chosen), unvalued, reason)
    if unvalued == len(chosen):
        reason = "no actual business value yet: business owners enter it at Inspect & Adapt"
        return Predictability(scope, planned, 0, None, len(chosen), unvalued, reason)
    return Predictability(scope, planned, actual, round(100.0 * actual / planned, 1), len(chosen), unvalued)


def by_team(objectives: Iterable[Objective], teams: Iterable[str]) -> list[Predictability]:
    """Every team's measure, then the train's over all objectives (train objectives included)."""
    chosen = list(objectives)
    found = [measure(team, [o for o in chosen if o.team == team]) for team in teams]
    return [*found, measure("train", chosen)]


def planned_as_committed(current: Iterable[Objective], baseline: Iterable[Objective] | None) -> list[Objective]:
    """The objectives with their planned value and commitment as the baseline froze them (actual value as now).

    Objectives written after the commit keep their own values.
    """
    frozen = {o.key: o for o in baseline or ()}
    out = []
    for o in current:
        was = frozen.get(o.key)
        if was is not None:
            o = Objective(o.key, o.team, o.text, was.committed, was.planned_bv, o.actual_bv, o.features)
        out.append(o)
    return out
