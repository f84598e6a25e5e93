"""A PI played from set-up to commit through the services: WSJF, objectives, ROAM, the vote, the baseline."""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import date

import pytest
from sqlalchemy import event

from artsync.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from artsync.formats.plan_format import parse_plan
from artsync.services import baselines
from artsync.services.baselines import commit_pi, get_baseline, get_committed
from artsync.services.capacity import add_holiday
from artsync.services.cards import add_card, move_card
from artsync.services.dependencies import add_dependency
from artsync.services.events import list_events
from artsync.services.objectives import add_objective, edit_objective, set_business_value
from artsync.services.pis import advance_pi, create_pi
from artsync.services.plans import import_plan
from artsync.services.risks import raise_risk, roam_risk
from artsync.services.trains import get_plan
from artsync.services.votes import cast_vote, close_vote, get_vote, open_vote
from artsync.services.wsjf import finish_wsjf_session, get_wsjf_session, score_wsjf_column, start_wsjf_session
from tests.personas import ADMIN, personas

P = personas("ART", "Atlas", "Orion")


def closed_pi_plan() -> dict:
    """Train ART after its first PI: two teams, three features; the next PI gets planned from here."""
    return {
        "train": {"key": "ART", "name": "Test ART"},
        "pi": {"key": "PI-1", "start": "2026-10-05", "iterations": 5, "state": "closed"},
        "teams": [{"key": "Atlas", "name": "Atlas", "velocity": 20}, {"key": "Orion", "name": "Orion", "velocity": 20}],
        "features": [
            {"key": "F1", "title": "Checkout", "kind": "business", "ubv": 3, "tc": 3, "rroe": 3, "size": 3},
            {"key": "F2", "title": "Refunds", "kind": "business", "ubv": 3, "tc": 3, "rroe": 3, "size": 3},
            {"key": "F3", "title": "Payouts API", "kind": "enabler", "ubv": 3, "tc": 3, "rroe": 3, "size": 3},
        ],
    }


@pytest.fixture
def train(db) -> str:
    import_plan(db, actor=ADMIN, plan=parse_plan(closed_pi_plan()))
    return "ART"


def plan_pi_2(db) -> None:
    """Set up PI-2 and open its planning; put cards on the board the way teams do in breakouts."""
    create_pi(db, actor=P["rte"], train_key="ART", key="PI-2", start=date(2026, 12, 14))
    add_holiday(db, actor=P["rte"], train_key="ART", day=date(2026, 12, 25), name="Christmas Day")
    advance_pi(db, actor=P["rte"], train_key="ART", pi_key="PI-2")


def score_all(db, who) -> None:
    start_wsjf_session(db, actor=who, train_key="ART")
    score_wsjf_column(db, actor=who, train_key="ART", column="ubv", scores={"F1": 8, "F2": 1, "F3": 3})
    score_wsjf_column(db, actor=who, train_key="ART", column="tc", scores={"F1": 5, "F2": 1, "F3": 1})
    score_wsjf_column(db, actor=who, train_key="ART", column="rroe", scores={"F1": 1, "F2": 2, "F3": 13})
    score_wsjf_column(db, actor=who, train_key="ART", column="size", scores={"F1": 2, "F2": 1, "F3": 8})


def test_the_wsjf_session_scores_one_column_at_a_time_and_records_the_order(db, train) -> None:
    pam = P["product_manager"]
    start_wsjf_session(db, actor=pam, train_key=train)
    with pytest.raises(InvalidInputError, match="the smallest item in a column is 1"):
        score_wsjf_column(db, actor=pam, train_key=train, column="ubv", scores={"F1": 8, "F2": 2, "F3": 3})
    with pytest.raises(InvalidInputError, match="F3 missing"):
        score_wsjf_column(db, actor=pam, train_key=train, column="ubv", scores={"F1": 8, "F2": 1})
    with pytest.raises(InvalidInputError, match="4 is not on the scale"):
        score_wsjf_column(db, actor=pam, train_key=train, column="ubv", scores={"F1": 4, "F2": 1, "F3": 1})
    with pytest.raises(ForbiddenError):
        score_wsjf_column(
            db, actor=P["product_owner"], train_key=train, column="ubv", scores={"F1": 1, "F2": 1, "F3": 1}
        )
    score_wsjf_column(db, actor=pam, train_key=train, column="ubv", scores={"F1": 8, "F2": 1, "F3": 3})
    with pytest.raises(InvalidInputError, match="time criticality"):
        finish_wsjf_session(db, actor=pam, train_key=train)
    session = get_wsjf_session(db, actor=P["viewer"], train_key=train)
    assert session.remaining == ("tc", "rroe", "size")
    for column, scores in (
        ("tc", {"F1": 5, "F2": 1, "F3": 1}),
        ("rroe", {"F1": 1, "F2": 2, "F3": 13}),
        ("size", {"F1": 2, "F2": 1, "F3": 8}),
    ):
        score_wsjf_column(db, actor=pam, train_key=train, column=column, scores=scores)
    done = finish_wsjf_session(db, actor=pam, train_key=train)
    # F1: (8+5+1)/2 = 7; F2: (1+1+2)/1 = 4; F3: (3+1+13)/8 = 2.125
    assert [(r["key"], r["wsjf"]) for r in done.ranking] == [("F1", 7.0), ("F2", 4.0), ("F3", 2.12)]
    assert done.scorers["size"]["by"] == "pam" and done.finished_by == "pam"
    features = get_plan(db, actor=ADMIN, train_key=train).features_by_key
    assert (features["F3"].wsjf.rroe, features["F3"].wsjf.size) == (13, 8)
    scored = [
        e for e in list_events(db, actor=ADMIN, train_key=train) if e.action == "scored" and e.entity == "feature"
    ]
    assert {e.entity_id for e in scored} == {"F1", "F2", "F3"}


def test_objectives_are_written_by_teams_and_valued_by_business_owners_only(db, train) -> None:
    plan_pi_2(db)
    written = add_objective(
        db,
        actor=P["product_owner"],
        train_key=train,
        team="Atlas",
        text="Customers check out in one step",
        features=["F1"],
    )
    assert (written.value.key, written.value.committed, written.value.planned_bv) == ("O1", True, None)
    with pytest.raises(ForbiddenError):
        add_objective(db, actor=P["product_owner"], train_key=train, team="Orion", text="Not my team's")
    with pytest.raises(ForbiddenError):
        set_business_value(db, actor=P["rte"], train_key=train, key="O1", planned=8)
    with pytest.raises(ForbiddenError):
        set_business_value(db, actor=P["product_owner"], train_key=train, key="O1", planned=8)
    valued = set_business_value(db, actor=P["business_owner"], train_key=train, key="O1", planned=8)
    assert valued.value.planned_bv == 8 and valued.version == 2
    with pytest.raises(InvalidInputError, match="1 to 10"):
        set_business_value(db, actor=P["business_owner"], train_key=train, key="O1", planned=11)
    uncommitted = edit_objective(db, actor=P["scrum_master"], train_key=train, key="O1", committed=False, version=2)
    assert uncommitted.value.committed is False
    assert [o.key for o in get_plan(db, actor=ADMIN, train_key=train).objectives] == ["O1"]


def test_a_vote_is_secret_until_closed_and_each_person_counts_once(db, train) -> None:
    plan_pi_2(db)
    with pytest.raises(ForbiddenError):
        open_vote(db, actor=P["product_owner"], train_key=train)
    open_vote(db, actor=P["rte"], train_key=train)
    cast_vote(db, actor=P["member"], train_key=train, fingers=1)
    changed = cast_vote(db, actor=P["member"], train_key=train, fingers=4)  # changed her mind
    assert changed.tally is None and changed.mine == 4 and changed.voters == ("mia",)
    with pytest.raises(ForbiddenError):
        cast_vote(db, actor=P["viewer"], train_key=train, fingers=5)
    with pytest.raises(InvalidInputError, match="1 to 5 fingers"):
        cast_vote(db, actor=P["product_owner"], train_key=train, fingers=6)
    closed = close_vote(db, actor=P["rte"], train_key=train)
    assert closed.tally is not None and closed.tally.histogram == {1: 0, 2: 0, 3: 0, 4: 1, 5: 0}
    with pytest.raises(ConflictError, match="no open confidence vote"):
        cast_vote(db, actor=P["product_owner"], train_key=train, fingers=3)
    cast_events = [e for e in list_events(db, actor=ADMIN, train_key=train) if e.entity == "vote"]
    assert all("fingers" not in str(e.after) and "value" not in (e.after or {}) for e in cast_events[:-1])


def test_a_scripted_pi_from_set_up_to_commit_keeps_its_baseline(db, train) -> None:
    plan_pi_2(db)
    score_all(db, P["product_manager"])
    # Breakouts: the teams place their cards and write objectives.
    assert get_plan(db, actor=ADMIN, train_key=train).pi.key == "PI-2"
    place_cards(db)
    add_objective(
        db, actor=P["product_owner"], train_key=train, team="Atlas", text="One-step checkout", features=["F1"]
    )
    set_business_value(db, actor=P["business_owner"], train_key=train, key="O1", planned=9)
    risk = raise_risk(db, actor=P["member"], train_key=train, text="Card vendor may slip", team="Atlas")
    assert risk.value.roam == "unroamed"

    # First vote: too low. The train does not commit; a rework round follows.
    open_vote(db, actor=P["rte"], train_key=train)
    for who, fingers in (("member", 2), ("product_owner", 2), ("other_member", 3)):
        cast_vote(db, actor=P[who], train_key=train, fingers=fingers)
    first = close_vote(db, actor=P["rte"], train_key=train)
    assert (first.tally.average, first.tally.passes) == (2.33, False)
    with pytest.raises(InvalidInputError, match=r"averaged 2\.33"):
        commit_pi(db, actor=P["rte"], train_key=train)

    # Rework, second round: confident enough.
    second = open_vote(db, actor=P["rte"], train_key=train)
    assert second.round == 2
    for who, fingers in (("member", 4), ("product_owner", 3), ("other_member", 3), ("business_owner", 5)):
        cast_vote(db, actor=P[who], train_key=train, fingers=fingers)
    assert close_vote(db, actor=P["rte"], train_key=train).tally.average == 3.75

    # The unROAMed risk stops the commit until it is ROAMed.
    with pytest.raises(InvalidInputError, match=f"risk {risk.value.key} is not ROAMed"):
        commit_pi(db, actor=P["rte"], train_key=train)
    roam_risk(
        db,
        actor=P["product_owner"],
        train_key=train,
        key=risk.value.key,
        roam="owned",
        owner="olga",
        note="second vendor on standby",
    )
    baseline = commit_pi(db, actor=P["rte"], train_key=train)
    assert (baseline.committed_by, baseline.vote_round, baseline.vote_average, baseline.override_reason) == (
        "rita",
        2,
        3.75,
        None,
    )
    assert get_plan(db, actor=ADMIN, train_key=train).pi.state == "executing"
    with pytest.raises(ConflictError, match="already committed"):
        commit_pi(db, actor=P["rte"], train_key=train)

    # Later moves change the board, never the baseline.
    move_card(db, actor=P["member"], train_key=train, ref="F1@Atlas", to_iteration=3)
    kept = get_baseline(db, actor=P["viewer"], train_key=train)
    assert kept.plan.cards_by_ref["F1@Atlas"].iteration == 1
    assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref["F1@Atlas"].iteration == 3
    assert kept.plan.objectives[0].planned_bv == 9 and kept.plan.risks[0].roam == "owned"
    assert kept.plan.teams_by_key["Atlas"].capacity(1) == 18  # Christmas Day falls in iteration 1
    # Re-importing the train's plan keeps the baseline (it is history).
    assert get_baseline(db, actor=ADMIN, train_key=train, pi_key="PI-2").seq == baseline.seq


def test_the_rte_overrides_error_findings_with_a_written_reason_that_is_kept(db, train) -> None:
    plan_pi_2(db)
    place_cards(db, provider_late=True)
    open_vote(db, actor=P["rte"], train_key=train)
    cast_vote(db, actor=P["member"], train_key=train, fingers=3)
    close_vote(db, actor=P["rte"], train_key=train)
    with pytest.raises(InvalidInputError, match="cannot be committed yet: dependency"):
        commit_pi(db, actor=P["rte"], train_key=train)
    baseline = commit_pi(db, actor=P["rte"], train_key=train, override_reason="Orion pulls F3 forward on day 1")
    assert baseline.override_reason == "Orion pulls F3 forward on day 1"
    assert any("dependency" in line for line in baseline.overridden)
    event = list_events(db, actor=ADMIN, train_key=train)[-1]
    assert (event.action, event.after["override_reason"]) == ("committed", "Orion pulls F3 forward on day 1")


def test_without_a_commit_there_is_no_baseline(db, train) -> None:
    plan_pi_2(db)
    with pytest.raises(NotFoundError, match="no baseline yet"):
        get_baseline(db, actor=ADMIN, train_key=train)
    with pytest.raises(NotFoundError, match="no confidence vote yet"):
        get_vote(db, actor=ADMIN, train_key=train)


def place_cards(db, provider_late: bool = False) -> None:
    """PI-2's cards as the teams plan them; with ``provider_late``, F1@Atlas needs F3@Orion, planned after it."""
    add_card(
        db,
        actor=P["product_owner"],
        train_key="ART",
        feature="F1",
        team="Atlas",
        points=8,
        iteration=2 if provider_late else 1,
    )
    add_card(
        db, actor=ADMIN, train_key="ART", feature="F3", team="Orion", points=5, iteration=3 if provider_late else None
    )
    if provider_late:
        add_dependency(db, actor=ADMIN, train_key="ART", consumer="F1@Atlas", provider="F3@Orion")


def statements_reading_the_baseline_plan(db, read) -> int:
    """How many statements ``read()`` sends that fetch a baseline's plan document."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_: object) -> None:
        seen.append(statement)

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return sum(bool(re.search(r'baselines\."?plan"?', s)) for s in seen)


def test_a_baseline_plan_is_read_once_and_the_facts_of_a_commit_never_read_it(db, train, monkeypatch) -> None:
    plan_pi_2(db)
    place_cards(db, provider_late=True)
    open_vote(db, actor=P["rte"], train_key=train)
    cast_vote(db, actor=P["member"], train_key=train, fingers=4)
    close_vote(db, actor=P["rte"], train_key=train)
    committed = commit_pi(db, actor=P["rte"], train_key=train, override_reason="Orion pulls F3 forward")
    db.expire_all()  # as another request would: nothing of the commit at hand
    facts = []
    assert statements_reading_the_baseline_plan(
        db, lambda: facts.append(get_committed(db, actor=P["viewer"], train_key=train))
    ) == 0  # fmt: skip
    assert (facts[0].committed_by, facts[0].seq, facts[0].override_reason) == ("rita", committed.seq,
                                                                              "Orion pulls F3 forward")  # fmt: skip
    kept = []
    assert not statements_reading_the_baseline_plan(  # the process that committed it has its plan at hand
        db, lambda: kept.append(get_baseline(db, actor=ADMIN, train_key=train))
    )
    monkeypatch.setattr(baselines, "_parsed", OrderedDict())  # another process: it reads the plan once
    db.expire_all()
    assert statements_reading_the_baseline_plan(db, lambda: kept.append(get_baseline(db, actor=ADMIN, train_key=train)))
    db.expire_all()
    assert not statements_reading_the_baseline_plan(
        db, lambda: kept.append(get_baseline(db, actor=ADMIN, train_key=train))
    )  # parsed once, kept by the process: a baseline never changes
    assert kept[0].plan == kept[1].plan == kept[2].plan == committed.plan
    planned = committed.plan.cards_by_ref["F1@Atlas"].iteration
    move_card(db, actor=P["member"], train_key=train, ref="F1@Atlas", to_iteration=4)
    assert get_baseline(db, actor=ADMIN, train_key=train).plan.cards_by_ref["F1@Atlas"].iteration == planned != 4
