"""Scenarios of the plan: drafted, repaired and what-if, compared, and one accepted as a single logged change."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from artsync.domain.findings import analyze
from artsync.domain.scenarios import CLEARABLE
from artsync.errors import ConflictError, ForbiddenError, InvalidInputError, StaleVersionError
from artsync.formats.plan_format import parse_plan
from artsync.services.cards import move_card
from artsync.services.events import list_events
from artsync.services.meetings import list_decisions
from artsync.services.plans import import_plan
from artsync.services.scenarios import (
    STALE_AFTER,
    accept_scenario,
    change_scenario,
    compare_scenarios,
    draft_plan,
    get_scenario,
    new_scenario,
    repair_plan,
    solve_scenario,
    start_solve,
    stop_solve,
)
from artsync.services.trains import get_plan
from artsync.store.models import ScenarioRow
from tests.formats.test_plan_format import minimal
from tests.personas import ADMIN, local, personas


def two_teams() -> dict:
    plan = minimal()
    plan["teams"] = [{"key": "Atlas", "name": "Team Atlas", "velocity": 10},
                     {"key": "Orion", "name": "Team Orion", "velocity": 10}]  # fmt: skip
    plan["features"].append({"key": "F3", "title": "Wallet", "kind": "business", "ubv": 13, "tc": 8, "rroe": 3,
                             "size": 2})  # fmt: skip
    plan["cards"] = [
        {"feature": "F1", "team": "Atlas", "iteration": 1, "points": 8},
        {"feature": "F2", "team": "Atlas", "iteration": 1, "points": 5},  # Atlas: 13 of 10 in I1
        {"feature": "F3", "team": "Orion", "iteration": None, "points": 5},
    ]
    plan["dependencies"] = []
    return plan


@pytest.fixture
def train(db) -> str:
    import_plan(db, actor=local("alice"), plan=parse_plan(two_teams()))
    return "ART"


def test_a_repair_proposes_the_fewest_moves_and_changes_nothing_until_accepted(db, train) -> None:
    repair = repair_plan(db, actor=local("rte"), train_key=train, time_limit=5)
    assert repair.state == "solved" and repair.outcome == "optimal"
    assert [m.ref for m in repair.moves] == ["F2@Atlas"] and repair.moves[0].before == 1  # F1 is due by M1
    assert repair.measures is not None and repair.measures.errors == 0 and repair.measures.moved == 1
    board = get_plan(db, actor=ADMIN, train_key=train)
    assert board.cards_by_ref["F2@Atlas"].iteration == 1  # nothing moved yet
    assert any(f.kind == "over-capacity" for f in analyze(board))


def test_accepting_makes_one_event_per_move_and_one_decision_naming_the_scenario(db, train) -> None:
    repair = repair_plan(db, actor=local("rte"), train_key=train, time_limit=5)
    before = len(list_events(db, actor=ADMIN, train_key=train))
    accepted = accept_scenario(db, actor=local("rte"), train_key=train, key=repair.key, rationale="Atlas is full")
    assert accepted.state == "accepted"
    events = list_events(db, actor=ADMIN, train_key=train)[before:]
    assert [(e.entity, e.action) for e in events] == [("card", "moved"), ("decision", "pending"),
                                                      ("decision", "decided"), ("scenario", "accepted")]  # fmt: skip
    board = get_plan(db, actor=ADMIN, train_key=train)
    assert not [f for f in analyze(board) if f.severity == "error" and f.kind in CLEARABLE]
    decision = list_decisions(db, actor=ADMIN, train_key=train)[-1]
    assert repair.key in decision.decision and "Repair" in decision.decision and repair.key in decision.links
    with pytest.raises(ConflictError, match="only a solved scenario"):
        accept_scenario(db, actor=local("rte"), train_key=train, key=repair.key)


def test_a_card_moved_since_the_solve_refuses_the_whole_accept(db, train) -> None:
    repair = repair_plan(db, actor=local("rte"), train_key=train, time_limit=5)
    move_card(db, actor=local("bob"), train_key=train, ref="F2@Atlas", to_iteration=4)
    before = len(list_events(db, actor=ADMIN, train_key=train))
    with pytest.raises(StaleVersionError):
        accept_scenario(db, actor=local("rte"), train_key=train, key=repair.key)
    assert len(list_events(db, actor=ADMIN, train_key=train)) == before
    assert get_scenario(db, actor=ADMIN, train_key=train, key=repair.key).state == "solved"


def test_what_if_scenarios_are_compared_side_by_side(db, train) -> None:
    less = new_scenario(db, actor=local("rte"), train_key=train, name="Orion halves", time_limit=5,
                        changes=["capacity Orion I1=0", "capacity Orion I2=0"])  # fmt: skip
    drop = new_scenario(db, actor=local("rte"), train_key=train, name="No refunds", time_limit=5,
                        changes=["drop F2"])  # fmt: skip
    change_scenario(db, actor=local("rte"), train_key=train, key=drop.key, change="milestone M1 I2")
    for key in (less.key, drop.key):
        solve_scenario(db, actor=local("rte"), train_key=train, key=key)
    table = compare_scenarios(db, actor=ADMIN, train_key=train)
    assert table.board.errors >= 1
    first, second = table.scenarios
    assert first.changes == ("capacity Orion I1=0", "capacity Orion I2=0")
    assert second.changes == ("drop F2", "milestone M1 I2")
    assert ("F2@Atlas", 1, None) in {(m.ref, m.before, m.after) for m in second.moves}  # a dropped feature leaves
    assert first.measures is not None and second.measures is not None
    assert first.measures.cost_of_delay_avoided < second.measures.cost_of_delay_avoided  # F3 waits for Orion
    assert second.measures.milestones_met == second.measures.milestones == 1


def test_a_scenario_adding_a_card_adds_it_when_accepted(db, train) -> None:
    made = new_scenario(db, actor=local("rte"), train_key=train, name="Orion helps", time_limit=5,
                        changes=["add F1 Orion 3"])  # fmt: skip
    solved = solve_scenario(db, actor=local("rte"), train_key=train, key=made.key)
    assert ("F1@Orion", None, 3) in {(m.ref, m.before, m.added) for m in solved.moves}
    accept_scenario(db, actor=local("rte"), train_key=train, key=made.key)
    assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref["F1@Orion"].points == 3


def test_a_draft_plans_the_whole_pi_and_keeps_every_rule(db, train) -> None:
    draft = draft_plan(db, actor=local("rte"), train_key=train, time_limit=5)
    assert draft.kind == "draft" and draft.outcome == "optimal" and draft.gap == 0.0
    assert draft.measures is not None and draft.measures.errors == 0
    assert draft.value is not None and draft.bound is not None and draft.value <= draft.bound + 1e-6


def test_a_milestone_no_plan_meets_is_named_with_why(db, train) -> None:
    made = new_scenario(db, actor=local("rte"), train_key=train, name="Too soon", kind="repair", time_limit=5,
                        changes=["capacity Atlas I1=2", "capacity Atlas I2=2", "capacity Atlas I3=5"])  # fmt: skip
    solved = solve_scenario(db, actor=local("rte"), train_key=train, key=made.key)
    assert solved.outcome == "infeasible"
    assert len(solved.unmet) == 1 and solved.unmet[0].startswith("F1 by I")
    assert "milestone M1" in solved.unmet[0] and "F1@Atlas (8 points) fits in no iteration of Atlas" in solved.unmet[0]


def test_bad_changes_and_settings_are_refused_with_what_to_write(db, train) -> None:
    with pytest.raises(InvalidInputError, match="capacity Phoenix I2=24"):
        new_scenario(db, actor=local("rte"), train_key=train, name="x", changes=["more please"])
    with pytest.raises(InvalidInputError, match="no team Nobody"):
        new_scenario(db, actor=local("rte"), train_key=train, name="x", changes=["capacity Nobody I1=3"])
    with pytest.raises(InvalidInputError, match="no iteration 9"):
        new_scenario(db, actor=local("rte"), train_key=train, name="x", changes=["milestone M1 I9"])
    with pytest.raises(InvalidInputError, match="time"):
        new_scenario(db, actor=local("rte"), train_key=train, name="x", time_limit=0)
    with pytest.raises(ConflictError, match="not being solved"):
        made = new_scenario(db, actor=local("rte"), train_key=train, name="x")
        stop_solve(db, actor=local("rte"), train_key=train, key=made.key)


def test_only_who_facilitates_may_make_scenarios_and_everyone_may_read_them(db, train) -> None:
    people = personas(train, "Atlas", "Orion")
    for who in ("product_owner", "member", "viewer", "stranger"):
        with pytest.raises(ForbiddenError):
            new_scenario(db, actor=people[who], train_key=train, name="mine")
    made = new_scenario(db, actor=people["rte"], train_key=train, name="RTE's")
    assert get_scenario(db, actor=people["viewer"], train_key=train, key=made.key).name == "RTE's"


def test_a_solve_cut_off_by_a_server_stop_can_be_solved_again(db, train) -> None:
    made = new_scenario(db, actor=local("rte"), train_key=train, name="Orion halves", time_limit=5,
                        changes=["capacity Orion I1=5"])  # fmt: skip
    start_solve(db, actor=local("rte"), train_key=train, key=made.key)  # ... and the server stops: no answer comes
    with pytest.raises(ConflictError, match="is being solved"):
        start_solve(db, actor=local("rte"), train_key=train, key=made.key)
    row = db.scalars(select(ScenarioRow).where(ScenarioRow.key == made.key)).one()
    started = datetime.fromisoformat(row.progress["started"]) - timedelta(seconds=5 + STALE_AFTER + 1)
    row.progress = {"started": started.isoformat()}  # as long ago as its time limit and then some
    db.commit()
    assert get_scenario(db, actor=ADMIN, train_key=train, key=made.key).state == "interrupted"
    with pytest.raises(ConflictError, match="not being solved"):
        stop_solve(db, actor=local("rte"), train_key=train, key=made.key)
    solved = solve_scenario(db, actor=local("rte"), train_key=train, key=made.key)
    assert solved.state == "solved" and solved.outcome in ("optimal", "feasible")


def test_a_repair_asked_again_before_the_board_changed_is_the_standing_one(db, train) -> None:
    first = repair_plan(db, actor=local("rte"), train_key=train, time_limit=5)
    assert repair_plan(db, actor=local("rte"), train_key=train, time_limit=5).key == first.key  # clicked twice
    move_card(db, actor=local("bob"), train_key=train, ref="F3@Orion", to_iteration=4)
    assert repair_plan(db, actor=local("rte"), train_key=train, time_limit=5).key != first.key
