"""The optimizer on hand-made trains: proven optimal where brute force can check it, never breaking a rule the
findings analysis holds, the same answer for the same seed, and never worse with more capacity."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from artsync.domain.findings import analyze
from artsync.domain.optimizer import (
    OVER_NEAR,
    SAME_ITERATION,
    Outcome,
    Settings,
    cost_of_delay_avoided,
    optimize,
    value_of,
)
from artsync.domain.plan import Milestone, Objective, Plan
from tests.builders import make_plan, without_ortools

FAST = Settings(time_limit=5)


def best_by_brute_force(plan: Plan) -> float:
    """Every placement of every card (iterations 1–4, or unplanned) that keeps the hard rules: the most avoided."""
    best = float("-inf")
    choices = [None, 1, 2, 3, 4]
    for placement in itertools.product(choices, repeat=len(plan.cards)):
        placed = plan.with_cards({c.ref: replace(c, iteration=i) for c, i in zip(plan.cards, placement, strict=True)})
        if not keeps_the_rules(placed):
            continue
        at = {c.ref: c.iteration for c in placed.cards}
        same = sum(1 for d in placed.dependencies if at[d.consumer] is not None and at[d.consumer] == at[d.provider])
        best = max(best, cost_of_delay_avoided(placed) - SAME_ITERATION * same - over_near(placed))
        assert (
            abs(value_of(placed) - (cost_of_delay_avoided(placed) - SAME_ITERATION * same - over_near(placed))) < 1e-9
        )
    return best


def keeps_the_rules(plan: Plan) -> bool:
    for team in plan.teams:
        for it in plan.pi.iterations:
            load = sum(c.points for c in plan.cards if c.team == team.key and c.iteration == it.index)
            if load > team.capacity(it.index):
                return False
    for d in plan.dependencies:
        consumer, provider = plan.cards_by_ref[d.consumer].iteration, plan.cards_by_ref[d.provider].iteration
        if consumer is not None and (provider is None or provider > consumer):
            return False
    return True


def over_near(plan: Plan) -> float:
    from artsync.domain.board import NEAR_CAPACITY
    from artsync.domain.optimizer import OVER_NEAR

    total = 0.0
    for team in plan.teams:
        for it in plan.pi.iterations:
            load = sum(c.points for c in plan.cards if c.team == team.key and c.iteration == it.index)
            total += OVER_NEAR * max(0.0, load - NEAR_CAPACITY * team.capacity(it.index))
    return total


def small_train() -> Plan:
    """Two teams, four cards, a dependency across them, tight capacity: not every order fits."""
    return make_plan(
        teams={"Atlas": 10, "Orion": 10},
        cards=[("F1", "Atlas", None, 8), ("F2", "Atlas", None, 6), ("F2", "Orion", None, 5), ("F3", "Orion", None, 9)],
        wsjf={"F1": (8, 5, 3, 5), "F2": (13, 8, 2, 8), "F3": (3, 2, 1, 3)},
        deps=[("F2@Atlas", "F2@Orion")],
    )


def test_a_small_train_is_planned_as_well_as_any_plan_can_be_and_the_solver_proves_it() -> None:
    plan = small_train()
    solution = optimize(plan, FAST)
    assert solution.outcome is Outcome.OPTIMAL and solution.gap <= 1e-6
    assert abs(solution.value - best_by_brute_force(plan)) < 1e-6
    assert keeps_the_rules(solution.plan)
    assert not [
        f for f in analyze(solution.plan) if f.severity == "error" and f.kind.startswith(("capacity", "dependency"))
    ]
    assert all(c.iteration != 5 for c in solution.plan.cards)  # nothing in the IP iteration


def test_a_milestone_and_a_committed_objective_are_met_and_one_that_no_plan_meets_is_said_so() -> None:
    plan = small_train()
    due = replace(plan, milestones=(Milestone("M1", "Beta", 1, None, ("F3",)),),
                  objectives=(Objective("O1", "Orion", "Ship F1", True, 5, None, ("F1",)),))  # fmt: skip
    solution = optimize(due, FAST)
    assert solution.plan.cards_by_ref["F3@Orion"].iteration == 1
    assert solution.plan.cards_by_ref["F1@Atlas"].iteration is not None
    # F1 and F2 by I1 need 14 of Atlas's 10 points there: no plan meets it.
    impossible = replace(plan, milestones=(Milestone("M1", "Too soon", 1, None, ("F1", "F2")),))
    solution = optimize(impossible, FAST)
    assert solution.outcome is Outcome.INFEASIBLE
    # The plan still meets what it can (F2 by I1), and says which feature no plan delivers in time, and why.
    assert [(u.feature, u.due) for u in solution.unmet] == [("F1", 1)]
    assert "milestone M1" in str(solution.unmet[0]) and "14 points of Atlas" in str(solution.unmet[0])
    assert {c.iteration for c in solution.plan.cards_by_feature["F2"]} == {1}
    assert keeps_the_rules(solution.plan)


def test_the_greedy_plans_the_providers_a_due_feature_waits_on_and_keeps_every_hard_rule() -> None:
    from artsync.domain.optimizer import keeps_hard_rules, wsjf_greedy

    plan = make_plan(teams={"Atlas": 10, "Orion": 10},
                     cards=[("F1", "Atlas", None, 5), ("F2", "Orion", None, 5), ("F9", "Orion", None, 8)],
                     wsjf={"F1": (1, 1, 1, 8), "F2": (1, 1, 1, 8), "F9": (20, 20, 20, 1)},
                     deps=[("F1@Atlas", "F2@Orion")],
                     milestones=[Milestone("M1", "Demo", 2, None, ("F1",))])  # fmt: skip
    greedy = wsjf_greedy(plan)  # F1 waits on F2: F2 first, though F9 ranks first by WSJF
    at = {c.ref: c.iteration for c in greedy.cards}
    assert at["F2@Orion"] == 1 and at["F1@Atlas"] == 2 and at["F9@Orion"] == 2 and keeps_hard_rules(greedy)


def test_a_repair_moves_as_few_cards_as_it_must() -> None:
    plan = make_plan(teams={"Atlas": 10}, cards=[("F1", "Atlas", 1, 6), ("F2", "Atlas", 1, 4), ("F3", "Atlas", 2, 5)],
                     capacity={("Atlas", 1): 6})  # fmt: skip  # the team lost capacity in I1: 10 points there, 6 fit
    solution = optimize(plan, replace(FAST, move_cost=100.0))
    assert keeps_the_rules(solution.plan) and len(solution.moved) == 1


def test_the_same_seed_and_time_limit_give_the_same_plan() -> None:
    plan = small_train()
    assert optimize(plan, FAST).plan == optimize(plan, FAST).plan


@settings(max_examples=15, deadline=None)
@given(extra=st.integers(min_value=0, max_value=10), team=st.sampled_from(["Atlas", "Orion"]), it=st.integers(1, 4))
def test_more_capacity_never_lowers_the_optimum(extra: int, team: str, it: int) -> None:
    plan = small_train()
    more = replace(plan, teams=tuple(
        replace(t, capacity_overrides={**t.capacity_overrides, it: t.capacity(it) + extra}) if t.key == team else t
        for t in plan.teams))  # fmt: skip
    assert optimize(more, FAST).value >= optimize(plan, FAST).value - 1e-6


def test_the_optimizer_never_does_worse_than_the_wsjf_greedy_a_person_would_do_by_hand() -> None:
    from artsync.domain.optimizer import value_of, wsjf_greedy

    plan = small_train()
    greedy = wsjf_greedy(plan)
    assert keeps_the_rules(greedy)
    assert optimize(plan, FAST).value >= value_of(greedy) - 1e-6


def drafted_demo() -> Plan:
    """The small demo train (6 teams, more than one neighbourhood) with every card unplanned."""
    from artsync.formats.demo import demo_plan

    plan = demo_plan("small")
    return plan.with_cards({c.ref: replace(c, iteration=None) for c in plan.cards})


def test_a_train_of_many_teams_is_searched_two_ways_and_the_answer_keeps_every_rule() -> None:
    from artsync.domain.optimizer import keeps_hard_rules, wsjf_greedy
    from artsync.domain.scenarios import CLEARABLE

    plan = drafted_demo()
    solution = optimize(plan, Settings(time_limit=3), clock=time.monotonic)
    assert solution.outcome in (Outcome.OPTIMAL, Outcome.FEASIBLE)
    assert keeps_hard_rules(solution.plan) and abs(value_of(solution.plan) - solution.value) < 1e-6
    assert solution.value >= value_of(wsjf_greedy(plan)) - 1e-6 and solution.bound >= solution.value - 1e-6
    assert not [f for f in analyze(solution.plan) if f.severity == "error" and f.kind in CLEARABLE]


def test_a_neighbourhood_frees_one_teams_cards_and_holds_what_they_touch() -> None:
    from artsync.domain.optimizer import neighbourhood, wsjf_greedy

    plan = wsjf_greedy(drafted_demo())
    team = plan.teams[0].key
    part, pinned = neighbourhood(plan, frozenset({team}), first=1)
    mine = {c.ref for c in plan.cards if c.team == team}
    refs = {c.ref for c in part.cards}
    assert mine <= refs and not mine & pinned and refs - mine == pinned  # every other card in it is held
    for ref in mine:  # all of a freed card's feature, and whatever it depends on or waits for it
        assert {c.ref for c in plan.cards_by_feature[plan.cards_by_ref[ref].feature]} <= refs
    assert all(d.consumer in refs and d.provider in refs for d in plan.dependencies if {d.consumer, d.provider} & mine)


def test_a_watcher_stops_the_search_of_a_large_train_with_its_best_plan_so_far() -> None:
    from artsync.domain.optimizer import Progress, keeps_hard_rules

    heard: list[Progress] = []

    def stop_at_once(progress: Progress) -> bool:
        heard.append(progress)
        return True

    solution = optimize(drafted_demo(), Settings(time_limit=60), stop_at_once, clock=time.monotonic)
    assert len(heard) == 1 and heard[0].value is not None  # told the start's value, then nothing more
    assert solution.outcome is Outcome.FEASIBLE and keeps_hard_rules(solution.plan)
    assert solution.value >= heard[0].value - 1e-6  # the start, or what the whole model had found by then


def test_iterations_that_are_over_count_what_was_done_in_them_even_above_what_may_be_planned() -> None:
    from artsync.domain.optimizer import keeps_hard_rules

    # I1 is over: Atlas did 10 points there, more than the 80% of its capacity a plan may now take. The feature
    # done in I1 still counts from I1, and the two left share the 8 points a later iteration may take.
    plan = make_plan(teams={"Atlas": 10}, cards=[("F0", "Atlas", 1, 10), ("F1", "Atlas", None, 5),
                                                 ("F2", "Atlas", None, 4)],
                     wsjf={"F0": (8, 8, 8, 1), "F1": (5, 5, 5, 1), "F2": (3, 3, 3, 1)})  # fmt: skip
    settings = replace(FAST, share=0.8, first=2)
    best = float("-inf")
    for one, two in itertools.product([None, 2, 3, 4], repeat=2):
        placed = plan.with_cards({"F1@Atlas": replace(plan.cards[1], iteration=one),
                                  "F2@Atlas": replace(plan.cards[2], iteration=two)})  # fmt: skip
        if keeps_hard_rules(placed, share=0.8, first=2):
            best = max(best, value_of(placed))
    solution = optimize(plan, settings)
    assert solution.outcome is Outcome.OPTIMAL and abs(value_of(solution.plan) - best) < 1e-6
    assert solution.plan.cards_by_ref["F0@Atlas"].iteration == 1
    # What the optimizer says it avoids is all of it, less only the penalties a plan can still change: I1's 2 points
    # above 80% are history.
    assert abs(solution.value - (value_of(solution.plan) + OVER_NEAR * 2)) < 1e-6 and solution.gap <= 1e-6


def test_the_whole_models_better_plans_reach_the_search_of_neighbourhoods() -> None:
    from artsync.domain.optimizer import Companion, keeps_hard_rules

    companion = Companion(small_train(), FAST)
    companion.thread.join()
    solution = companion.solution
    assert solution is not None and solution.outcome is Outcome.OPTIMAL
    found = companion.better_than(float("-inf"))  # as the solver told it, in the plan's terms
    assert found is not None and keeps_hard_rules(found) and abs(value_of(found) - solution.value) < 1e-6
    assert companion.better_than(solution.value) is None  # nothing better than what the neighbourhoods have


def test_the_bound_gives_a_consumer_no_more_of_the_pi_than_its_provider_has() -> None:
    from artsync.domain.optimizer import Model

    # Atlas can never take the 60-point provider (10 a iteration); the consumer waits on it. Relaxed, the provider
    # is at most a sixth done in each iteration, so the consumer can be planned by iteration j only j/6 of the way:
    # the bound holds at most that much of both features' cost of delay (16 and 3 an iteration), not a whole
    # consumer on a sixth of a provider.
    plan = make_plan(teams={"Atlas": 10, "Orion": 20}, cards=[("F1", "Orion", None, 5), ("F2", "Atlas", None, 60)],
                     wsjf={"F1": (8, 5, 3, 1), "F2": (1, 1, 1, 1)}, deps=[("F1@Orion", "F2@Atlas")])  # fmt: skip
    model = Model(plan, FAST)
    model.preferred()  # solves the LP relaxation
    assert model.relaxed <= (16 + 3) * (1 + 2 + 3 + 4) / 6 + 1e-6
    solution = optimize(plan, FAST)
    assert solution.outcome is Outcome.OPTIMAL and solution.value == 0 and not solution.moved


def test_cp_sat_solves_the_same_model_to_the_same_optimum_and_explains_what_no_plan_meets() -> None:
    cp_sat = replace(FAST, solver="cp-sat")
    plan = small_train()
    solution = optimize(plan, cp_sat)
    assert solution.outcome is Outcome.OPTIMAL and solution.gap <= 1e-6
    assert abs(solution.value - best_by_brute_force(plan)) < 1e-6 and keeps_the_rules(solution.plan)
    assert abs(value_of(solution.plan) - solution.value) < 1e-6  # a penalty in half points is counted whole
    impossible = replace(plan, milestones=(Milestone("M1", "Too soon", 1, None, ("F1", "F2")),))
    solution = optimize(impossible, cp_sat)
    assert solution.outcome is Outcome.INFEASIBLE and [(u.feature, u.due) for u in solution.unmet] == [("F1", 1)]
    assert {c.iteration for c in solution.plan.cards_by_feature["F2"]} == {1}


def test_a_solver_that_is_unknown_or_not_installed_is_named_with_what_to_do(monkeypatch) -> None:
    from artsync.domain.optimizer import missing_solver

    assert missing_solver("highs") is None and missing_solver("cp-sat") is None  # OR-Tools is a dev dependency
    assert "one of highs, cp-sat, not 'gurobi'" in (missing_solver("gurobi") or "")
    without_ortools(monkeypatch)
    assert "pip install 'artsync[cp-sat]'" in (missing_solver("cp-sat") or "")


def test_a_watcher_stops_cp_sat_with_its_best_plan_so_far() -> None:
    from artsync.domain.optimizer import Progress, keeps_hard_rules
    from artsync.formats.demo import demo_plan

    plan = demo_plan("art")
    draft = plan.with_cards({c.ref: replace(c, iteration=None) for c in plan.cards})
    heard: list[Progress] = []

    def watch(progress: Progress) -> bool:
        heard.append(progress)
        return progress.value is not None  # stop at the first plan

    solution = optimize(draft, Settings(time_limit=120, solver="cp-sat"), watch)
    assert heard and heard[-1].value is not None and solution.outcome is Outcome.FEASIBLE
    assert keeps_hard_rules(solution.plan) and solution.value >= heard[-1].value - 1e-6 and solution.gap > 0
