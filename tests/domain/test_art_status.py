"""The ART sync's one-screen status: red, amber or green per team, with the reasons a person can act on."""

from __future__ import annotations

from dataclasses import replace

from artsync.domain.art_status import Rag, art_status
from tests.builders import make_plan

PLAN = make_plan(
    teams={"Atlas": 20, "Orion": 20, "Lynx": 20},
    cards=[("F1", "Atlas", 1, 5), ("F2", "Orion", 2, 5), ("F3", "Orion", 2, 5), ("F4", "Lynx", 1, 5)],
    deps=[("F3@Orion", "F2@Orion")],
)


def marked(plan, **statuses):
    return replace(plan, cards=tuple(replace(c, status=statuses.get(c.feature, "done")) for c in plan.cards))


def test_a_train_on_plan_is_green_and_folds_into_one_line() -> None:
    status = art_status(marked(PLAN, F2="in progress", F3="not started"), PLAN, now=2)
    assert [(t.team, t.rag) for t in status.teams] == [("Orion", Rag.AMBER), ("Atlas", Rag.GREEN), ("Lynx", Rag.GREEN)]
    assert status.quiet == ("Atlas", "Lynx")
    assert status.teams[0].reasons == ("1 dependency at risk",)  # F3 needs F2 of the same iteration


def test_blocked_and_broken_are_red_slips_and_late_work_amber() -> None:
    moved = replace(PLAN, cards=tuple(replace(c, iteration=3) if c.feature == "F2" else c for c in PLAN.cards))
    now = marked(moved, F1="blocked", F2="in progress", F3="in progress", F4="in progress")
    by_team = {t.team: t for t in art_status(now, PLAN, now=2).teams}
    assert by_team["Atlas"].rag is Rag.RED and by_team["Atlas"].reasons[0] == "blocked: F1@Atlas"
    orion = by_team["Orion"]
    assert orion.rag is Rag.RED and orion.reasons == ("1 dependency broken", "slipped against the baseline: F2@Orion")
    assert by_team["Lynx"] == replace(by_team["Lynx"], rag=Rag.AMBER, reasons=("1 card of past iterations not done",))


def test_a_dependency_its_provider_declared_broken_is_broken_wherever_the_cards_sit() -> None:
    declared = replace(PLAN, dependencies=tuple(replace(d, state="broken") for d in PLAN.dependencies))
    status = art_status(marked(declared, F2="in progress", F3="in progress"), None, now=2)
    assert [(t.consumer, t.provider, t.status, t.teams) for t in status.dependencies] == [
        ("F3@Orion", "F2@Orion", "broken", ("Orion", "Orion"))
    ]


def test_over_capacity_ahead_is_amber_and_behind_is_history() -> None:
    heavy = replace(PLAN, cards=(*PLAN.cards, replace(PLAN.cards[0], feature="F9", points=30, iteration=3)))
    by_team = {t.team: t for t in art_status(marked(heavy, F9="not started"), None, now=2).teams}
    assert by_team["Atlas"].reasons == ("over capacity in I3",)
