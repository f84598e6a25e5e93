"""The plan a tracker implies, and what a pull changes on the board: plain values, no tracker, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from artsync.domain.cadence import PI
from artsync.domain.plan import Card
from artsync.domain.tracker import (
    Implied,
    Item,
    Progress,
    Rules,
    Sprint,
    Winner,
    card_status,
    implied,
    reconcile,
    sprint_iteration,
)

PI_ = PI("PI-1", date(2026, 11, 2), 2, 5, True)  # I1 starts 2 Nov, two weeks each
SPRINTS = {
    "s1": Sprint("s1", "Atlas", "Atlas 1", date(2026, 11, 2), date(2026, 11, 13)),
    "s3": Sprint("s3", "Atlas", "Atlas 3", date(2026, 11, 30), date(2026, 12, 11)),
    "old": Sprint("old", "Atlas", "Last PI's", date(2026, 9, 1), date(2026, 9, 12)),
}


def feature(key: str) -> Item:
    return Item(key, f"Feature {key}", is_feature=True)


def story(key: str, parent: str, team: str = "Atlas", sprint: str | None = "s1", points: int = 3, **more) -> Item:
    return Item(key, f"Story {key}", is_feature=False, parent=parent, team=team, sprint=sprint, points=points, **more)


def test_a_sprint_belongs_to_the_iteration_holding_its_middle_day() -> None:
    assert sprint_iteration(PI_, SPRINTS["s1"]) == 1
    assert sprint_iteration(PI_, Sprint("x", "Atlas", "x", date(2026, 11, 12), date(2026, 11, 25))) == 2
    assert sprint_iteration(PI_, SPRINTS["old"]) is None
    assert sprint_iteration(PI_, Sprint("y", "Atlas", "no dates")) is None


def test_a_cards_status_comes_from_its_items() -> None:
    todo, doing, done = (story("A-2", "A-1", progress=p) for p in Progress)
    assert card_status([done, done]) == "done"
    assert card_status([todo, done]) == card_status([todo, doing]) == "in progress"
    assert card_status([todo, story("A-3", "A-1", blocked=True)]) == "blocked"
    assert card_status([todo]) == "not started"


def test_a_teams_stories_of_a_feature_are_one_card_in_their_latest_sprint_with_their_points_summed() -> None:
    found = implied(
        [feature("A-1"), story("A-2", "A-1", sprint="s1", points=3), story("A-3", "A-1", sprint="s3", points=5),
         story("A-4", "A-1", team="Orion", sprint=None, points=2)],
        SPRINTS, PI_, ["Atlas", "Orion"],
    )  # fmt: skip
    assert found.cards == {
        "A-1@Atlas": Card("A-1", "Atlas", 3, 8, "not started"),
        "A-1@Orion": Card("A-1", "Orion", None, 2, "not started"),
    }


def test_a_feature_on_one_teams_board_without_children_is_its_own_card() -> None:
    alone = Item("A-9", "Small feature", is_feature=True, team="Atlas", sprint="s3", points=5)
    assert implied([alone], SPRINTS, PI_, ["Atlas"]).cards == {"A-9@Atlas": Card("A-9", "Atlas", 3, 5, "not started")}


def test_what_cannot_be_placed_is_reported_never_guessed() -> None:
    found = implied(
        [feature("A-1"), story("A-2", "A-1", sprint="old"), story("A-3", "A-1", team="Ghosts"),
         story("A-4", "B-1"), story("A-5", "A-1", sprint="nowhere")],
        SPRINTS, PI_, ["Atlas"],
    )  # fmt: skip
    assert found.cards["A-1@Atlas"].iteration is None
    said = " | ".join(found.problems)
    for words in ("not within PI-1", "team Ghosts is not on the train", "B-1 is not one of the project's features",
                  "sprint nowhere is not one of its team's sprints"):  # fmt: skip
        assert words in said


def test_an_item_blocked_by_another_teams_item_makes_its_card_need_the_others() -> None:
    found = implied(
        [feature("A-1"), feature("B-1"), story("A-2", "A-1", blocked_by=("B-2", "A-3")), story("A-3", "A-1"),
         story("B-2", "B-1", team="Orion")],
        SPRINTS, PI_, ["Atlas", "Orion"],
    )  # fmt: skip
    assert found.dependencies == {("A-1@Atlas", "B-1@Orion")}  # within one card, nothing


def card(iteration: int | None, status: str = "not started", points: int = 3) -> Card:
    return Card("A-1", "Atlas", iteration, points, status)


def test_only_what_the_tracker_changed_since_the_last_pull_reaches_the_board() -> None:
    base = Implied(cards={"A-1@Atlas": card(1)})
    now = Implied(cards={"A-1@Atlas": card(1, "done")})
    moved_here = {"A-1@Atlas": card(2)}  # the board moved it; the tracker did not
    changes = reconcile(base, now, {}, moved_here, [])
    assert changes.cards_moved == () and changes.cards_marked == (("A-1@Atlas", "not started", "done"),)
    assert changes.conflicts == ()


def test_both_sides_changing_a_field_is_a_conflict_the_rules_settle() -> None:
    base = Implied(cards={"A-1@Atlas": card(1)})
    now = Implied(cards={"A-1@Atlas": card(3)})
    board = {"A-1@Atlas": card(2)}
    executing = reconcile(base, now, {}, board, [])
    assert executing.cards_moved == (("A-1@Atlas", 2, 3),)
    assert executing.conflicts[0].winner is Winner.TRACKER
    planning = reconcile(base, now, {}, board, [], planning=True)  # artsync wins the iteration in PI planning
    assert planning.cards_moved == () and planning.conflicts[0].winner is Winner.ARTSYNC
    rules = Rules(iteration=Winner.ARTSYNC)
    assert reconcile(base, now, {}, board, [], rules=rules).cards_moved == ()


def test_cards_and_dependencies_are_removed_only_when_the_tracker_had_them() -> None:
    base = Implied(cards={"A-1@Atlas": card(1)}, dependencies=frozenset({("A-1@Atlas", "B-1@Orion")}))
    board_cards = {"A-1@Atlas": card(1), "C-1@Atlas": Card("C-1", "Atlas", 2, 3)}  # C-1 was made on the board
    changes = reconcile(base, Implied(), {}, board_cards, [("A-1@Atlas", "B-1@Orion"), ("C-1@Atlas", "B-1@Orion")])
    assert changes.cards_removed == ("A-1@Atlas",)
    assert changes.dependencies_removed == (("A-1@Atlas", "B-1@Orion"),)


def test_a_tracker_without_wsjf_fields_never_overwrites_the_backlogs_scores() -> None:
    from artsync.domain.plan import Feature
    from artsync.domain.wsjf import WsjfInputs

    scored_here = Feature("A-1", "Old title", "business", WsjfInputs(8, 5, 3, 2))
    pulled = implied([Item("A-1", "New title", is_feature=True)], SPRINTS, PI_, ["Atlas"])
    changes = reconcile(Implied(), pulled, {"A-1": scored_here}, {}, [])
    assert changes.features_edited == (Feature("A-1", "New title", "business", WsjfInputs(8, 5, 3, 2)),)
    same_title = implied([Item("A-1", "Old title", is_feature=True)], SPRINTS, PI_, ["Atlas"])
    assert reconcile(Implied(), same_title, {"A-1": scored_here}, {}, []).features_edited == ()


def test_a_card_taken_off_the_board_is_not_brought_back_by_the_next_pull() -> None:
    base = Implied(cards={"A-1@Atlas": card(1)})
    assert reconcile(base, base, {}, {}, []).cards_added == ()
    assert reconcile(Implied(), base, {}, {}, []).cards_added == (card(1),)  # new in the tracker: added


def test_a_release_due_within_the_pi_is_a_milestone_needing_its_features() -> None:
    from artsync.domain.plan import Milestone
    from artsync.domain.tracker import Release

    found = implied(
        [Item("A-1", "Checkout", is_feature=True, releases=("Beta 1.0",)), Item("A-2", "Refunds", is_feature=True)],
        SPRINTS, PI_, ["Atlas"],
        [Release("Beta 1.0", date(2026, 11, 20)), Release("Last year", date(2025, 12, 1)), Release("Someday", None)],
    )  # fmt: skip
    assert found.milestones == {"Beta-1.0": Milestone("Beta-1.0", "Beta 1.0", 2, date(2026, 11, 20), ("A-1",))}
    moved = Milestone("Beta-1.0", "Beta 1.0", 3, date(2026, 12, 1), ("A-1",))
    board = {"Beta-1.0": Milestone("Beta-1.0", "Beta 1.0", 1, date(2026, 11, 5), ("A-1",))}  # moved on the board
    assert reconcile(found, found, {}, {}, [], board_milestones=board).milestones == ()  # the tracker did not move it
    assert reconcile(found, replace(found, milestones={"Beta-1.0": moved}), {}, {}, [], board_milestones=board
                     ).milestones == (moved,)  # fmt: skip
