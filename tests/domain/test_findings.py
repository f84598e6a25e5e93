"""One table of cases per kind of finding, each with the clean case beside it."""

from __future__ import annotations

from datetime import date

import pytest

from artsync.domain.findings import KINDS, analyze
from artsync.domain.plan import Milestone, Objective, Plan, Risk
from tests.builders import make_plan


def kinds_and_items(plan: Plan) -> set[tuple[str, tuple[str, ...]]]:
    return {(f.kind, f.items) for f in analyze(plan)}


def only(plan: Plan, kind: str) -> set[tuple[str, ...]]:
    return {f.items for f in analyze(plan) if f.kind == kind}


def test_clean_plan_has_no_findings() -> None:
    plan = make_plan(
        cards=[("F1", "Atlas", 1, 5), ("F2", "Orion", 2, 8), ("F3", "Atlas", 3, 3)],
        deps=[("F2@Orion", "F1@Atlas")],
        milestones=[Milestone("M1", "Beta", 2, None, ("F1", "F2"))],
        objectives=[Objective("O1", "Atlas", "Ship F1", True, 8, None, ("F1",))],
        risks=[Risk("R1", "Vendor late", "owned", "Alice", "Atlas")],
    )
    assert analyze(plan) == []


def test_every_kind_the_analysis_can_produce_has_a_severity() -> None:
    assert set(KINDS.values()) == {"error", "warning"}
    assert len(KINDS) == 14  # thirteen from the plan, and the forecast's milestone-at-risk


DEPENDENCY_CASES = [
    # consumer iteration, provider iteration, expected kind (None = clean)
    pytest.param(3, 1, None, id="provider-earlier-is-fine"),
    pytest.param(2, 2, "dependency-at-risk", id="provider-in-same-iteration-is-at-risk"),
    pytest.param(2, 3, "dependency-broken", id="provider-later-is-broken"),
    pytest.param(2, None, "dependency-unplanned-provider", id="unplanned-provider-is-broken"),
    pytest.param(None, 3, None, id="unplanned-consumer-is-not-judged"),
    pytest.param(None, None, None, id="both-unplanned-is-not-judged"),
]


@pytest.mark.parametrize(("consumer", "provider", "kind"), DEPENDENCY_CASES)
def test_dependency_is_judged_by_the_iterations_of_its_two_cards(
    consumer: int | None, provider: int | None, kind: str | None
) -> None:
    plan = make_plan(
        cards=[("C", "Atlas", consumer, 3), ("P", "Orion", provider, 3)],
        deps=[("C@Atlas", "P@Orion")],
    )
    dependency_kinds = {f.kind for f in analyze(plan) if f.kind.startswith("dependency")}
    assert dependency_kinds == ({kind} if kind else set())
    if kind:
        assert only(plan, kind) == {("C@Atlas", "P@Orion")}


def test_broken_dependency_message_names_both_cards_and_iterations() -> None:
    plan = make_plan(cards=[("C", "Atlas", 2, 3), ("P", "Orion", 4, 3)], deps=[("C@Atlas", "P@Orion")])
    [finding] = analyze(plan)
    assert finding.severity == "error"
    assert finding.message == "C@Atlas (I2) needs P@Orion, which is planned later, in I4."
    assert "Move P@Orion before I2" in finding.fix


@pytest.mark.parametrize(
    ("deps", "cycle"),
    [
        pytest.param([("A@Atlas", "B@Orion"), ("B@Orion", "A@Atlas")], ("A@Atlas", "B@Orion"), id="two-cards"),
        pytest.param(
            [("A@Atlas", "B@Orion"), ("B@Orion", "C@Atlas"), ("C@Atlas", "A@Atlas")],
            ("A@Atlas", "B@Orion", "C@Atlas"),
            id="three-cards",
        ),
        pytest.param([("A@Atlas", "B@Orion"), ("B@Orion", "C@Atlas")], None, id="a-chain-is-no-cycle"),
    ],
)
def test_cards_that_need_each_other_form_a_cycle(deps: list[tuple[str, str]], cycle: tuple[str, ...] | None) -> None:
    plan = make_plan(cards=[("A", "Atlas", None, 3), ("B", "Orion", None, 3), ("C", "Atlas", None, 3)], deps=deps)
    assert only(plan, "dependency-cycle") == ({cycle} if cycle else set())


def test_a_long_dependency_chain_does_not_overflow_the_cycle_search() -> None:
    n = 5000
    cards = [(f"F{i}", "Atlas", None, 1) for i in range(n)]
    deps = [(f"F{i}@Atlas", f"F{i + 1}@Atlas") for i in range(n - 1)]
    plan = make_plan(cards=cards, deps=[*deps, (f"F{n - 1}@Atlas", "F0@Atlas")])
    [cycle] = only(plan, "dependency-cycle")
    assert len(cycle) == n


@pytest.mark.parametrize(
    ("load", "capacity", "kind"),
    [
        pytest.param(16, 20, None, id="80-percent-is-fine"),
        pytest.param(17, 20, "near-capacity", id="above-80-percent-is-near"),
        pytest.param(20, 20, "near-capacity", id="exactly-full-is-near"),
        pytest.param(21, 20, "over-capacity", id="above-capacity-is-over"),
        pytest.param(1, 0, "over-capacity", id="any-load-on-zero-capacity-is-over"),
    ],
)
def test_load_is_judged_against_capacity(load: int, capacity: int, kind: str | None) -> None:
    plan = make_plan(teams={"Atlas": capacity}, cards=[("F1", "Atlas", 2, load)])
    found = {f.kind for f in analyze(plan) if f.kind.endswith("capacity")}
    assert found == ({kind} if kind else set())
    if kind:
        assert only(plan, kind) == {("Atlas", "I2")}


def test_capacity_override_replaces_velocity_for_that_iteration() -> None:
    plan = make_plan(teams={"Atlas": 40}, capacity={("Atlas", 3): 10}, cards=[("F1", "Atlas", 3, 12)])
    [finding] = [f for f in analyze(plan) if f.kind == "over-capacity"]
    assert finding.message == "Team Atlas is loaded 12 points in I3 against a capacity of 10 (120%)."


@pytest.mark.parametrize(
    ("iteration", "ip_last", "expected"),
    [
        pytest.param(5, True, True, id="card-in-ip-iteration"),
        pytest.param(4, True, False, id="card-in-last-development-iteration"),
        pytest.param(5, False, False, id="pi-without-ip-iteration"),
    ],
)
def test_feature_work_in_the_ip_iteration_is_flagged(iteration: int, ip_last: bool, expected: bool) -> None:
    plan = make_plan(cards=[("F1", "Atlas", iteration, 3)], ip_last=ip_last)
    assert only(plan, "ip-iteration-planned") == ({("F1@Atlas",)} if expected else set())


@pytest.mark.parametrize(
    ("card_iteration", "expected"),
    [
        pytest.param(2, False, id="before-the-milestone"),
        pytest.param(3, False, id="in-the-milestone-iteration"),
        pytest.param(4, True, id="after-the-milestone"),
        pytest.param(None, True, id="unplanned"),
    ],
)
def test_a_milestone_feature_card_after_the_milestone_misses_it(card_iteration: int | None, expected: bool) -> None:
    plan = make_plan(
        cards=[("F1", "Atlas", 1, 3), ("F1", "Orion", card_iteration, 3)],
        milestones=[Milestone("M1", "Release", 3, date(2027, 2, 5), ("F1",))],
    )
    assert only(plan, "milestone-miss") == ({("M1", "F1", "F1@Orion")} if expected else set())


@pytest.mark.parametrize(
    ("committed", "iteration", "expected"),
    [
        pytest.param(True, None, True, id="committed-with-unplanned-card"),
        pytest.param(True, 2, False, id="committed-and-planned"),
        pytest.param(False, None, False, id="uncommitted-may-be-unplanned"),
    ],
)
def test_committed_objective_with_an_unplanned_feature_card(
    committed: bool, iteration: int | None, expected: bool
) -> None:
    plan = make_plan(
        cards=[("F1", "Atlas", 1, 3), ("F1", "Orion", iteration, 3)],
        objectives=[Objective("O1", "Atlas", "Ship F1", committed, 5, None, ("F1",))],
    )
    assert only(plan, "objective-unplanned-feature") == ({("O1", "F1", "F1@Orion", "Atlas")} if expected else set())


@pytest.mark.parametrize(
    ("high_iteration", "low_iteration", "expected"),
    [
        pytest.param(None, 2, True, id="high-unplanned-low-planned"),
        pytest.param(2, None, False, id="high-planned-low-unplanned"),
        pytest.param(1, 2, False, id="both-planned"),
        pytest.param(None, None, False, id="both-unplanned"),
    ],
)
def test_higher_wsjf_left_unplanned_while_lower_is_planned_is_an_inversion(
    high_iteration: int | None, low_iteration: int | None, expected: bool
) -> None:
    plan = make_plan(
        cards=[("HIGH", "Atlas", high_iteration, 3), ("LOW", "Atlas", low_iteration, 3)],
        wsjf={"HIGH": (13, 8, 5, 2), "LOW": (2, 1, 1, 8)},
    )
    assert only(plan, "priority-inversion") == ({("HIGH@Atlas", "LOW@Atlas")} if expected else set())


def test_priority_inversion_is_judged_within_one_team_only() -> None:
    plan = make_plan(
        cards=[("HIGH", "Atlas", None, 3), ("LOW", "Orion", 2, 3)],
        wsjf={"HIGH": (13, 8, 5, 2), "LOW": (2, 1, 1, 8)},
    )
    assert only(plan, "priority-inversion") == set()


@pytest.mark.parametrize(
    ("roam", "expected"),
    [(state, state == "unroamed") for state in ("unroamed", "resolved", "owned", "accepted", "mitigated")],
    ids=lambda v: str(v),
)
def test_only_unroamed_risks_are_flagged(roam: str, expected: bool) -> None:
    plan = make_plan(risks=[Risk("R1", "Vendor late", roam, "Alice" if roam == "owned" else None, "Atlas")])
    assert only(plan, "risk-unroamed") == ({("R1", "Atlas")} if expected else set())


@pytest.mark.parametrize(
    ("points", "expected"),
    [pytest.param(20, False, id="fits-the-largest-iteration"), pytest.param(21, True, id="fits-no-iteration")],
)
def test_card_larger_than_capacity_in_every_development_iteration_is_too_big(points: int, expected: bool) -> None:
    # Capacity is 10 in I1-I3 and 20 in I4; the IP iteration's 50 does not count.
    plan = make_plan(
        teams={"Atlas": 10},
        capacity={("Atlas", 4): 20, ("Atlas", 5): 50},
        cards=[("BIG", "Atlas", None, points)],
    )
    assert only(plan, "card-too-big") == ({("BIG@Atlas", "Atlas")} if expected else set())


def test_the_same_problem_keeps_its_id_when_the_plan_changes_around_it() -> None:
    base = make_plan(cards=[("C", "Atlas", 2, 3), ("P", "Orion", 3, 3)], deps=[("C@Atlas", "P@Orion")])
    [before] = analyze(base)
    moved = base.with_card_moved("P@Orion", 4)
    [after] = analyze(moved)
    assert before.id == after.id
    assert before.message != after.message


def test_errors_come_before_warnings() -> None:
    plan = make_plan(
        teams={"Atlas": 10},
        cards=[("F1", "Atlas", 2, 9), ("F2", "Atlas", 3, 11)],
        risks=[Risk("R1", "late", "unroamed")],
    )
    severities = [f.severity for f in analyze(plan)]
    assert severities == sorted(severities, key=["error", "warning"].index)
    assert severities[0] == "error"
