"""The predictability measure on hand-computed cases."""

from __future__ import annotations

from artsync.domain.plan import Objective
from artsync.domain.predictability import by_team, measure, planned_as_committed


def o(key: str, team: str | None, planned: int | None, actual: int | None, committed: bool = True) -> Objective:
    return Objective(key, team, key, committed, planned, actual)


def test_uncommitted_objectives_count_in_actual_but_not_in_planned() -> None:
    # planned (committed only) = 8 + 5 = 13; actual (all) = 6 + 5 + 3 = 14 → 107.7%
    found = measure("Atlas", [o("O1", "Atlas", 8, 6), o("O2", "Atlas", 5, 5), o("O3", "Atlas", 4, 3, committed=False)])
    assert (found.planned, found.actual, found.percent, found.band) == (13, 14, 107.7, "above")


def test_the_band_is_80_to_100_inclusive() -> None:
    assert measure("A", [o("O1", "A", 10, 8)]).band == "within"
    assert measure("A", [o("O1", "A", 10, 10)]).band == "within"
    assert measure("A", [o("O1", "A", 10, 7)]).band == "below"
    assert measure("A", [o("O1", "A", 10, 7)]).percent == 70.0


def test_no_committed_value_gives_a_clear_answer_not_a_crash() -> None:
    none = measure("Nova", [o("O1", "Nova", 5, 5, committed=False)])
    assert none.percent is None and none.band is None
    assert "no committed objective has a planned business value" in (none.reason or "")
    assert measure("Nova", []).reason == "no objectives"


def test_unvalued_objectives_are_counted_and_named() -> None:
    found = measure("A", [o("O1", "A", 10, None), o("O2", "A", 10, 9)])
    assert (found.percent, found.unvalued) == (45.0, 1)
    before = measure("A", [o("O1", "A", 10, None), o("O2", "A", 10, None)])
    assert before.percent is None and "Inspect & Adapt" in (before.reason or "")


def test_the_train_rolls_up_every_objective_including_its_own() -> None:
    objectives = [o("O1", "Atlas", 10, 9), o("O2", "Orion", 10, 6), o("T1", None, 5, 5)]
    measures = {m.scope: m.percent for m in by_team(objectives, ["Atlas", "Orion"])}
    assert measures == {"Atlas": 90.0, "Orion": 60.0, "train": 80.0}  # (9 + 6 + 5) / (10 + 10 + 5)


def test_planned_value_is_taken_as_it_was_committed() -> None:
    baseline = [o("O1", "A", 8, None), o("O2", "A", 3, None, committed=False)]
    current = [o("O1", "A", 10, 8), o("O2", "A", 3, 3, committed=True), o("O9", "A", 2, 2)]
    frozen = planned_as_committed(current, baseline)
    assert [(x.key, x.planned_bv, x.committed, x.actual_bv) for x in frozen] == [
        ("O1", 8, True, 8),
        ("O2", 3, False, 3),
        ("O9", 2, True, 2),
    ]
