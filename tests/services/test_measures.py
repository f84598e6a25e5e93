"""Measures of a scripted PI: drift with known slips, progress, and predictability with its trend."""

from __future__ import annotations

from artsync.formats.plan_format import parse_plan
from artsync.services.baselines import commit_pi
from artsync.services.cards import add_card, move_card, remove_card, set_card_status
from artsync.services.dependencies import set_dependency_state
from artsync.services.measures import get_measures
from artsync.services.objectives import add_objective, set_business_value
from artsync.services.plans import import_plan
from artsync.services.votes import cast_vote, close_vote, open_vote
from tests.personas import ADMIN, personas
from tests.services.test_art_sync import planned_pi

P = personas("ART", "Atlas", "Orion")


def committed(db) -> None:
    import_plan(db, actor=ADMIN, plan=parse_plan(planned_pi()))
    for team, planned, committed_ in (("Atlas", 8, True), ("Atlas", 4, False), ("Orion", 10, True)):
        key = add_objective(db, actor=ADMIN, train_key="ART", team=team, text=f"{team} {planned}",
                            committed=committed_).value.key  # fmt: skip
        set_business_value(db, actor=P["business_owner"], train_key="ART", key=key, planned=planned)
    open_vote(db, actor=P["rte"], train_key="ART")
    cast_vote(db, actor=P["member"], train_key="ART", fingers=4)
    close_vote(db, actor=P["rte"], train_key="ART")
    commit_pi(db, actor=P["rte"], train_key="ART")


def test_drift_names_each_change_against_the_baseline_and_who_made_it(db) -> None:
    committed(db)
    move_card(db, actor=P["product_owner"], train_key="ART", ref="F2@Atlas", to_iteration=4)
    move_card(db, actor=P["other_member"], train_key="ART", ref="F4@Orion", to_iteration=None)
    move_card(db, actor=P["product_owner"], train_key="ART", ref="F5@Atlas", to_iteration=2)  # earlier: not drift
    add_card(db, actor=ADMIN, train_key="ART", feature="F5", team="Orion", points=8, iteration=3)
    remove_card(db, actor=P["product_owner"], train_key="ART", ref="F1@Atlas")
    set_dependency_state(db, actor=P["scrum_master"], train_key="ART", consumer="F2@Atlas", provider="F3@Orion",
                         state="broken")  # fmt: skip
    measures = get_measures(db, actor=P["viewer"], train_key="ART")
    shown = [(d.kind, d.item, d.detail, d.iterations, d.actor) for d in measures.drift]
    assert shown == [
        ("slipped", "F2@Atlas", "I2 → I4 (2 iterations)", 2, "olga"),
        ("slipped", "F4@Orion", "I2 → unplanned", None, "otto"),
        ("added", "F5@Orion", "8 points, I3", None, "operator"),
        ("removed", "F1@Atlas", "5 points", None, "olga"),
        ("broken", "F2@Atlas->F3@Orion", "declared broken", None, "sam"),
    ]
    assert all(d.seq is not None and d.seq > (measures.committed_seq or 0) for d in measures.drift)
    totals = {t.scope: t for t in measures.drift_totals}
    assert (totals["Atlas"].slipped, totals["Atlas"].iterations_slipped, totals["Atlas"].removed_points) == (1, 2, 5)
    assert (totals["Orion"].slipped, totals["Orion"].added_points) == (1, 8)
    assert (totals["train"].slipped, totals["train"].broken) == (2, 1)


def test_progress_and_predictability_of_the_pi(db) -> None:
    committed(db)
    set_card_status(db, actor=P["scrum_master"], train_key="ART", ref="F1@Atlas", status="done")
    set_card_status(db, actor=P["rte"], train_key="ART", ref="F3@Orion", status="done")
    measures = get_measures(db, actor=P["viewer"], train_key="ART")
    train = next(p for p in measures.progress if p.scope == "train")
    assert [(i.planned, i.done) for i in train.iterations] == [(10, 10), (10, 0), (5, 0), (0, 0), (0, 0)]
    assert train.burn_up == ([10, 20, 25, 25, 25], [10, 10, 10, 10, 10])
    assert measures.features[-1].percent == 100.0 and measures.features[0].percent == 0.0
    f1 = next(f for f in measures.features if f.key == "F1")
    assert [(i.planned, i.done) for i in f1.iterations] == [(5, 5), (0, 0), (0, 0), (0, 0), (0, 0)]

    before = measures.predictability.train
    assert before.percent is None and before.unvalued == 3  # nothing valued before I&A
    assert "business owners enter it at Inspect & Adapt" in (before.reason or "")
    for key, actual in zip([o.key for o in measures.plan.objectives], (6, 4, 9), strict=True):
        set_business_value(db, actor=P["business_owner"], train_key="ART", key=key, actual=actual)
    after = get_measures(db, actor=P["viewer"], train_key="ART")
    by_scope = {m.scope: m for m in after.predictability.measures}
    assert (by_scope["Atlas"].percent, by_scope["Orion"].percent, by_scope["train"].percent) == (125.0, 90.0, 105.6)
    assert by_scope["Atlas"].band == "above" and by_scope["Orion"].band == "within"
    assert [t.pi for t in after.trend] == ["PI-1"] and after.trend[0].train.percent == 105.6
