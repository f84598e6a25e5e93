"""The PI's baseline: what must be true before the train commits its plan."""

from __future__ import annotations

from collections.abc import Iterable

from artsync.domain.findings import ERROR, Finding
from artsync.domain.plan import Plan


def commit_blockers(plan: Plan, findings: Iterable[Finding]) -> list[str]:
    """What stands in the way of committing ``plan``: unROAMed risks and error findings, one line each.

    Every risk raised during PI planning must be ROAMed before the vote (DOMAIN.md); an error
    finding (a broken dependency, an overloaded iteration) is a plan the train cannot keep.
    """
    blockers = [f"risk {r.key} is not ROAMed: {r.text}" for r in plan.risks if r.roam == "unroamed"]
    blockers += [f"{f.kind}: {f.message}" for f in findings if f.severity == ERROR]
    return blockers
