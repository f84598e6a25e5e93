"""Properties that hold for every plan, not just the ones we thought of."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from artsync.domain.findings import analyze, severity_rank
from artsync.domain.plan import Plan
from artsync.formats.plan_format import dump_plan, parse_plan
from tests.strategies import plans

DEPENDENCY_KINDS = {"dependency-at-risk", "dependency-broken", "dependency-unplanned-provider", "dependency-cycle"}


@given(plans(), st.randoms())
def test_findings_do_not_depend_on_input_order(plan: Plan, rnd) -> None:
    def shuffled(items: tuple) -> tuple:
        items = list(items)
        rnd.shuffle(items)
        return tuple(items)

    reordered = replace(
        plan,
        teams=shuffled(plan.teams),
        features=shuffled(plan.features),
        cards=shuffled(plan.cards),
        dependencies=shuffled(plan.dependencies),
        milestones=shuffled(plan.milestones),
        objectives=shuffled(plan.objectives),
        risks=shuffled(plan.risks),
    )
    assert analyze(reordered) == analyze(plan)


@given(plans(), st.data())
def test_moving_earlier_a_card_that_depends_on_nothing_adds_no_dependency_finding(plan: Plan, data) -> None:
    consumers = {d.consumer for d in plan.dependencies}
    candidates = [c for c in plan.cards if c.ref not in consumers and c.iteration is not None and c.iteration > 1]
    if not candidates:
        return
    card = data.draw(st.sampled_from(candidates))
    earlier = data.draw(st.integers(1, card.iteration - 1))
    before = dependency_problems(plan)
    after = dependency_problems(plan.with_card_moved(card.ref, earlier))
    # No dependency gains a finding, and none gets worse (broken may become at risk, never the reverse).
    assert set(after) <= set(before)
    assert all(severity_rank(after[items]) >= severity_rank(before[items]) for items in after)


def dependency_problems(plan: Plan) -> dict[tuple[str, ...], str]:
    return {f.items: f.severity for f in analyze(plan) if f.kind in DEPENDENCY_KINDS}


@settings(max_examples=200)
@given(plans())
def test_export_then_import_gives_the_same_plan(plan: Plan) -> None:
    document = dump_plan(plan)
    assert dump_plan(parse_plan(document)) == document
