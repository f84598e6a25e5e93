"""The ART sync: an agenda generated from a scripted week of changes, the meeting, its minutes; conflicts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from artsync.errors import ConflictError, ForbiddenError, InvalidInputError
from artsync.formats.plan_format import parse_plan
from artsync.services.baselines import commit_pi
from artsync.services.cards import add_card, move_card, set_card_status
from artsync.services.conflicts import (
    conflict_from_finding,
    decide_conflict,
    mediate_conflict,
    report_conflict,
    search_conflicts,
)
from artsync.services.dependencies import set_dependency_state
from artsync.services.findings import list_findings
from artsync.services.impediments import list_impediments, raise_impediment, update_impediment
from artsync.services.meetings import (
    add_action,
    add_decision,
    art_sync_agenda,
    complete_action,
    end_meeting,
    list_decisions,
    record_outcome,
    record_team_status,
    schedule_meeting,
    start_meeting,
)
from artsync.services.plans import import_plan
from artsync.services.votes import cast_vote, close_vote, open_vote
from tests.personas import ADMIN, personas

P = personas("ART", "Atlas", "Orion")
TODAY = date.today()
NEXT_WEEK = TODAY + timedelta(days=7)


def planned_pi() -> dict:
    """Two teams in PI planning with five cards and two dependencies, ready to commit."""
    card = lambda f, t, it: {"feature": f, "team": t, "iteration": it, "points": 5}  # noqa: E731
    return {
        "train": {"key": "ART", "name": "Test ART"},
        "pi": {"key": "PI-1", "start": "2026-11-02", "iterations": 5, "state": "planning"},
        "teams": [{"key": "Atlas", "name": "Atlas", "velocity": 20}, {"key": "Orion", "name": "Orion", "velocity": 20}],
        "features": [
            {"key": f"F{n}", "title": f"Feature {n}", "kind": "business", "ubv": 3, "tc": 3, "rroe": 3, "size": 3}
            for n in range(1, 6)
        ],
        "cards": [
            card("F1", "Atlas", 1),
            card("F2", "Atlas", 2),
            card("F3", "Orion", 1),
            card("F4", "Orion", 2),
            card("F5", "Atlas", 3),
        ],
        "dependencies": [
            {"consumer": {"feature": "F2", "team": "Atlas"}, "provider": {"feature": "F3", "team": "Orion"}},
            {"consumer": {"feature": "F5", "team": "Atlas"}, "provider": {"feature": "F4", "team": "Orion"}},
        ],
    }


@pytest.fixture
def train(db) -> str:
    import_plan(db, actor=ADMIN, plan=parse_plan(planned_pi()))
    open_vote(db, actor=P["rte"], train_key="ART")
    cast_vote(db, actor=P["member"], train_key="ART", fingers=4)
    close_vote(db, actor=P["rte"], train_key="ART")
    commit_pi(db, actor=P["rte"], train_key="ART")
    return "ART"


def previous_sync(db) -> None:
    """Week 1: a slip, an impediment raised and removed, an action done; then the ART sync is held."""
    move_card(db, actor=P["product_owner"], train_key="ART", ref="F1@Atlas", to_iteration=2)
    raise_impediment(db, actor=P["member"], train_key="ART", text="Test lab down", team="Atlas")
    update_impediment(db, actor=P["product_owner"], train_key="ART", key="I1", state="resolved")
    add_action(db, actor=P["rte"], train_key="ART", text="Book the lab", owner="sam", due=TODAY)
    complete_action(db, actor=P["scrum_master"], train_key="ART", key="A1")
    sync = schedule_meeting(db, actor=P["rte"], train_key="ART", kind="art_sync", day=TODAY)
    started = start_meeting(db, actor=P["rte"], train_key="ART", meeting_id=sync.value.meeting.id)
    assert started.value.meeting.agenda["teams"][0]["slipped"][0]["ref"] == "F1@Atlas"
    end_meeting(db, actor=P["rte"], train_key="ART", meeting_id=sync.value.meeting.id)


def scripted_week(db) -> None:
    """Week 2: done, slipped, blocked, a dependency broken, an overload, an impediment, actions, a decision."""
    set_card_status(db, actor=P["rte"], train_key="ART", ref="F3@Orion", status="done")
    move_card(db, actor=P["other_member"], train_key="ART", ref="F4@Orion", to_iteration=3)
    set_card_status(db, actor=P["scrum_master"], train_key="ART", ref="F2@Atlas", status="blocked")
    set_dependency_state(
        db, actor=P["product_owner"], train_key="ART", consumer="F2@Atlas", provider="F3@Orion", state="broken"
    )
    add_card(db, actor=ADMIN, train_key="ART", feature="F1", team="Orion", points=30, iteration=1)
    raise_impediment(db, actor=P["other_member"], train_key="ART", text="No staging database", team="Orion")
    add_action(db, actor=P["rte"], train_key="ART", text="Ask ops for staging", owner="otto", due=TODAY + timedelta(3))
    add_action(db, actor=P["rte"], train_key="ART", text="Review the API", owner="mia", due=TODAY + timedelta(10))
    add_decision(db, actor=P["rte"], train_key="ART", question="Ship F5 without F4's caching?")


def test_the_agenda_holds_exactly_the_weeks_changes(db, train) -> None:
    previous_sync(db)
    standing = {f.id for f in list_findings(db, actor=P["viewer"], train_key=train)}
    scripted_week(db)
    agenda = art_sync_agenda(db, actor=P["viewer"], train_key=train, today=NEXT_WEEK)

    teams = {t.team: t for t in agenda.teams}
    assert (teams["Atlas"].finished, teams["Atlas"].slipped, teams["Atlas"].blocked) == ((), (), ("F2@Atlas",))
    assert teams["Orion"].finished == ("F3@Orion",)
    assert [(s.ref, s.planned, s.now) for s in teams["Orion"].slipped] == [("F4@Orion", 2, 3)]
    assert [(d.consumer, d.provider, d.status, d.teams) for d in agenda.dependencies] == [
        ("F2@Atlas", "F3@Orion", "declared broken", ("Atlas", "Orion")),
        ("F5@Atlas", "F4@Orion", "at-risk", ("Atlas", "Orion")),
    ]
    new = [f for f in list_findings(db, actor=P["viewer"], train_key=train) if f.id not in standing]
    assert [f.id for f in agenda.findings] == [f.id for f in new]
    assert {(f.kind, f.items[0]) for f in agenda.findings} >= {
        ("over-capacity", "Orion"),
        ("dependency-at-risk", "F5@Atlas"),
    }
    assert [i.key for i in agenda.impediments_aging] == ["I2"]  # I1 was raised and removed before the last sync
    assert [a.key for a in agenda.actions_overdue] == ["A2"]
    assert [a.key for a in agenda.actions_due] == ["A3"]
    assert [d.key for d in agenda.decisions_pending] == ["D1"]
    assert [c.key for c in agenda.impediments_changed] == ["I2"]


def test_nothing_before_the_previous_sync_is_repeated(db, train) -> None:
    previous_sync(db)
    agenda = art_sync_agenda(db, actor=P["viewer"], train_key=train, today=NEXT_WEEK)
    assert agenda.empty, agenda


def test_the_rte_runs_the_sync_and_the_minutes_are_kept(db, train) -> None:
    scripted_week(db)
    sync = schedule_meeting(db, actor=P["rte"], train_key=train, kind="art_sync", day=NEXT_WEEK)
    with pytest.raises(ForbiddenError):
        start_meeting(db, actor=P["product_owner"], train_key=train, meeting_id=sync.value.meeting.id)
    with pytest.raises(InvalidInputError, match="start it first"):
        record_team_status(
            db, actor=P["rte"], train_key=train, meeting_id=sync.value.meeting.id, team="Atlas", status="at risk"
        )
    start_meeting(db, actor=P["rte"], train_key=train, meeting_id=sync.value.meeting.id)
    record_team_status(
        db, actor=P["rte"], train_key=train, meeting_id=sync.value.meeting.id, team="Atlas", status="at risk",
        note="F2 blocked on Orion",
    )  # fmt: skip
    with pytest.raises(InvalidInputError, match="on track, at risk, off track"):
        record_team_status(
            db, actor=P["rte"], train_key=train, meeting_id=sync.value.meeting.id, team="Orion", status="meh"
        )
    add_action(
        db, actor=P["rte"], train_key=train, text="Pair Atlas and Orion on F3", owner="olga", due=NEXT_WEEK,
        meeting_id=sync.value.meeting.id,
    )  # fmt: skip
    ended = end_meeting(db, actor=P["rte"], train_key=train, meeting_id=sync.value.meeting.id)
    minutes = ended.value.meeting.minutes or ""
    assert "- **Atlas**: at risk — F2 blocked on Orion" in minutes
    assert "F4@Orion: planned in iteration 2, now iteration 3" in minutes
    assert "Pair Atlas and Orion on F3 — olga" in minutes
    assert "Ship F5 without F4's caching?" in minutes
    after = art_sync_agenda(db, actor=P["viewer"], train_key=train, today=NEXT_WEEK)
    assert not after.dependencies and all(t.quiet for t in after.teams)  # the week was covered


def test_a_system_demo_records_what_was_shown_and_the_feedback(db, train) -> None:
    set_card_status(db, actor=P["rte"], train_key=train, ref="F3@Orion", status="done")
    demo = schedule_meeting(db, actor=P["rte"], train_key=train, kind="system_demo", day=date(2026, 11, 13))
    assert demo.value.meeting.iteration == 1 and demo.value.meeting.title == "System demo — iteration 1 13 Nov 2026"
    started = start_meeting(db, actor=P["rte"], train_key=train, meeting_id=demo.value.meeting.id)
    assert started.value.meeting.agenda["items"] == ["Demo F3@Orion: Feature 3"]
    record_outcome(
        db, actor=P["rte"], train_key=train, meeting_id=demo.value.meeting.id, text="Refund flow end to end",
        item="F3", team="Orion", feedback="Business owners want partial refunds",
    )  # fmt: skip
    minutes = (
        end_meeting(db, actor=P["rte"], train_key=train, meeting_id=demo.value.meeting.id).value.meeting.minutes or ""
    )
    assert "- F3 · Orion: Refund flow end to end\n  - feedback: Business owners want partial refunds" in minutes


def test_impediments_escalate_and_only_upwards(db, train) -> None:
    raised = raise_impediment(db, actor=P["member"], train_key=train, text="Vendor licence expired", team="Atlas")
    assert (raised.value.key, raised.value.level) == ("I1", "team")
    with pytest.raises(ForbiddenError):
        update_impediment(db, actor=P["other_member"], train_key=train, key="I1", owner="otto")
    up = update_impediment(db, actor=P["product_owner"], train_key=train, key="I1", level="train", owner="rita")
    assert (up.value.level, up.value.owner, up.event.action) == ("train", "rita", "escalated")
    with pytest.raises(ForbiddenError):  # above team level it is the RTE's
        update_impediment(db, actor=P["product_owner"], train_key=train, key="I1", level="portfolio")
    with pytest.raises(InvalidInputError, match="escalated, not sent down"):
        update_impediment(db, actor=P["rte"], train_key=train, key="I1", level="team")
    update_impediment(db, actor=P["rte"], train_key=train, key="I1", level="portfolio")
    assert [i.level for i in list_impediments(db, actor=P["viewer"], train_key=train)] == ["portfolio"]
    assert raised.value.age(TODAY + timedelta(days=6)) == 6 and raised.value.aging(TODAY + timedelta(6))


def test_a_conflict_from_a_finding_is_mediated_to_a_logged_decision(db, train) -> None:
    add_card(db, actor=ADMIN, train_key=train, feature="F1", team="Orion", points=30, iteration=1)
    overload = next(f for f in list_findings(db, actor=P["viewer"], train_key=train) if f.kind == "over-capacity")
    conflict = conflict_from_finding(db, actor=P["member"], train_key=train, finding_id=overload.id).value
    assert (conflict.kind, conflict.parties, conflict.finding) == ("capacity", ("Orion",), overload.id)
    assert conflict.options == (overload.fix,)
    with pytest.raises(ConflictError, match="already open"):
        conflict_from_finding(db, actor=P["member"], train_key=train, finding_id=overload.id)
    reported = report_conflict(
        db, actor=P["member"], train_key=train, kind="dependency", summary="Orion won't commit to the payouts API",
        parties=["Atlas", "Orion"], options=["Orion builds it in I3", "Atlas stubs it"],
    ).value  # fmt: skip
    mediated = mediate_conflict(db, actor=P["rte"], train_key=train, key=reported.key, mediator="rita")
    assert mediated.value.status == "mediating"
    decided = decide_conflict(
        db, actor=P["rte"], train_key=train, key=reported.key, decision="Atlas stubs it",
        rationale="Orion is over capacity in I3", links=["F5@Atlas", "F4@Orion"],
    ).value  # fmt: skip
    assert decided.status == "decided" and decided.links == ("F5@Atlas", "F4@Orion")
    logged = list_decisions(db, actor=P["viewer"], train_key=train, state="decided")
    assert [(d.conflict, d.decision, d.links) for d in logged] == [("C2", "Atlas stubs it", ("F5@Atlas", "F4@Orion"))]
    assert [c.key for c in search_conflicts(db, actor=P["viewer"], train_key=train, query="payouts stubs")] == ["C2"]
    assert [c.key for c in search_conflicts(db, actor=P["viewer"], train_key=train, status="open")] == ["C1"]
    assert [c.key for c in search_conflicts(db, actor=P["viewer"], train_key=train, party="orion")] == ["C2", "C1"]


def test_minutes_in_markdown_carry_no_html_people_typed(db, train) -> None:
    from artsync.formats.agenda import minutes_markdown
    from artsync.services.meetings import add_action

    sync = schedule_meeting(db, actor=P["rte"], train_key="ART", kind="art_sync", day=TODAY)
    add_action(
        db, actor=P["rte"], train_key="ART", text="<script>alert(1)</script>\n# Fake heading", owner="sam", due=TODAY
    )
    started = start_meeting(db, actor=P["rte"], train_key="ART", meeting_id=sync.value.meeting.id)
    ended = end_meeting(db, actor=P["rte"], train_key="ART", meeting_id=started.value.meeting.id)
    text = ended.value.meeting.minutes or minutes_markdown(
        ended.value.meeting, list(ended.value.actions), list(ended.value.decisions)
    )
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\n# Fake heading" not in text
