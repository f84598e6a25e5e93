"""What a scenario supposes, read from how people write it and made on a plan; which errors a repair may clear;
how a gap reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from artsync.domain.findings import analyze
from artsync.domain.plan import Milestone
from artsync.domain.scenarios import (
    EXAMPLES,
    Kind,
    Supposition,
    first_to_come,
    fixable,
    gap_words,
    outcome_words,
    parse,
    suppose,
    uncleared,
)
from tests.builders import PI_START, make_plan


def train():
    """Atlas over capacity in I1, a provider after its consumer, a milestone that needs F3 by I2."""
    return make_plan(
        teams={"Atlas": 10, "Orion": 10},
        cards=[("F1", "Atlas", 1, 8), ("F2", "Atlas", 1, 5), ("F3", "Orion", 3, 5), ("F4", "Orion", 2, 3)],
        deps=[("F4@Orion", "F3@Orion")],
        milestones=[Milestone("M1", "Beta", 2, features=("F3",))],
    )


def test_every_example_reads_back_as_written_and_anything_else_says_what_to_write() -> None:
    assert [str(parse(text)) for text in EXAMPLES] == list(EXAMPLES)
    assert parse("  CAPACITY Phoenix 2 = 24 ") == Supposition(Kind.CAPACITY, "Phoenix", 2, 24)
    assert Supposition.from_dict(parse("add PAY-240 Atlas 8").as_dict()) == parse("add PAY-240 Atlas 8")
    with pytest.raises(ValueError, match="capacity Phoenix I2=24"):
        parse("more people please")


def test_each_change_is_made_on_the_plan_and_one_that_does_not_fit_names_itself() -> None:
    plan = train()
    changed = suppose(plan, [parse("capacity Atlas I1=20"), parse("drop F2"), parse("add F1 Orion 2")])
    assert changed.teams_by_key["Atlas"].capacity(1) == 20
    assert "F2@Atlas" not in changed.cards_by_ref and changed.cards_by_ref["F1@Orion"].iteration is None
    gone = suppose(plan, [parse("drop-team Orion")])
    assert "Orion" not in gone.teams_by_key and not gone.dependencies  # its cards' dependencies leave with them
    assert suppose(plan, [parse("milestone M1 I4")]).milestones[0].iteration == 4
    for wrong, said in [("capacity Zeta I1=5", "no team Zeta"), ("drop F9", "no feature F9"),
                        ("milestone M7 I2", "no milestone M7"), ("capacity Atlas I9=5", "no iteration 9"),
                        ("add F1 Atlas 3", "F1@Atlas is on the board already")]:  # fmt: skip
        with pytest.raises(ValueError, match=said):
            suppose(plan, [parse(wrong)])


def test_a_repair_may_clear_the_errors_moves_clear_but_not_history() -> None:
    plan = train()
    findings = analyze(plan)
    kinds = {f.kind for f in fixable(findings, plan)}
    assert {"over-capacity", "dependency-broken", "milestone-miss"} <= kinds
    # Once I1 and I2 are over, Atlas's load in I1 and the provider due by I2 are history: left to people.
    late = fixable(findings, plan, first=3)
    assert not {f.kind for f in late} & {"over-capacity", "dependency-broken", "milestone-miss"}  # M1 was I2
    assert set(uncleared(findings, plan, first=3)) >= set(findings) - set(late) - {
        f for f in findings if f.severity != "error"}  # fmt: skip


def test_the_first_iteration_to_come_follows_the_calendar() -> None:
    plan = train()
    assert first_to_come(plan, PI_START - timedelta(days=1)) == 1
    assert first_to_come(plan, PI_START + timedelta(days=15)) == 2  # two-week iterations
    assert first_to_come(plan, PI_START + timedelta(days=400)) == len(plan.pi.iterations) + 1


def test_a_gap_reads_as_a_person_says_it() -> None:
    assert [gap_words(g) for g in (None, 0.0, 0.0004, 0.0153)] == ["—", "proven optimal", "under 0.1%", "1.5%"]
    assert [gap_words(g, short=True) for g in (0.0, 0.0004)] == ["optimal", "<0.1%"]


def test_an_outcome_reads_as_what_it_means_for_the_plan() -> None:
    assert outcome_words("infeasible") == "the best plan, though some due features cannot be met"
    assert outcome_words("optimal") == "the best plan possible" and outcome_words(None) == ""
