"""The demo train tells a PI's story: a closed PI before, today inside the current one, dates that fit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from artsync.errors import NotFoundError
from artsync.services.baselines import get_baseline
from artsync.services.demo_story import add_demo_people, play_demo
from artsync.services.events import list_events
from artsync.services.forecast import get_forecast
from artsync.services.impediments import list_impediments
from artsync.services.measures import get_measures
from artsync.services.meetings import list_meetings
from artsync.services.pis import list_pis
from artsync.services.report import pi_report
from artsync.services.trains import get_plan
from artsync.services.votes import get_vote
from artsync.store.db import make_engine, migrate
from artsync.store.models import MeetingRow
from tests.conftest import postgres_schema
from tests.personas import ADMIN

TODAY = date(2026, 11, 25)  # a Wednesday
TRAIN = "SHOP"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def executing(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """One story per backend for the module's readers: playing it takes seconds."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('story') / 'artsync.db'}"
        else:
            url = stack.enter_context(postgres_schema(request.getfixturevalue("postgres_admin")))
        engine = make_engine(url)
        stack.callback(engine.dispose)
        migrate(engine)
        db = stack.enter_context(Session(engine, expire_on_commit=False))
        story = play_demo(db, actor=ADMIN, size="small", today=TODAY)
        add_demo_people(db, actor=ADMIN, plan=story.plan)
        yield db


def test_the_previous_pi_is_closed_with_its_business_value_and_predictability(executing: Session) -> None:
    pis = list_pis(executing, actor=ADMIN, train_key=TRAIN)
    assert [(p.pi.state, p.current) for p in pis] == [("closed", False), ("executing", True)]
    before, now = (p.pi for p in pis)
    assert before.end < now.start, "PIs follow each other"
    measures = get_measures(executing, actor=ADMIN, train_key=TRAIN, pi_key=before.key)
    assert measures.baseline is not None, "the previous PI was committed at its PI planning"
    train = measures.predictability.train
    assert train.percent is not None and 60 <= train.percent <= 100
    assert measures.progress[-1].done > 0.8 * measures.progress[-1].planned


def test_today_is_inside_the_third_iteration_of_the_executing_pi(executing: Session) -> None:
    plan = get_plan(executing, actor=ADMIN, train_key=TRAIN)
    assert plan.pi.state == "executing"
    assert plan.pi.iterations[2].contains(TODAY)
    baseline = get_baseline(executing, actor=ADMIN, train_key=TRAIN)
    committed = baseline.committed_at.date()
    assert committed < plan.pi.start, "the plan was committed at PI planning, before the PI began"
    statuses = {
        status: sum(1 for c in plan.cards if c.status == status) for status in ("done", "in progress", "blocked")
    }
    assert all(statuses.values()), statuses
    first = [c for c in plan.cards if c.iteration == 1]
    assert sum(c.status == "done" for c in first) > 0.7 * len(first)
    assert not any(c.status == "done" for c in plan.cards if c.iteration and c.iteration > 3)
    states = {d.state for d in plan.dependencies}
    assert {"committed", "delivered", "broken"} <= states


def test_every_date_fits_the_pi_and_today(executing: Session) -> None:
    plan = get_plan(executing, actor=ADMIN, train_key=TRAIN)
    meetings = list_meetings(executing, actor=ADMIN, train_key=TRAIN, pi_key=plan.pi.key)
    planning = [m for m in meetings if m.kind == "pi_planning" and m.day < plan.pi.start]
    assert len(planning) == 2 and all(m.state == "ended" for m in planning)
    for meeting in meetings:
        if meeting.day < TODAY:
            assert meeting.state == "ended", meeting
        if meeting.day > TODAY:
            assert meeting.state == "planned", meeting
    kinds = {m.kind for m in meetings if m.state == "ended"}
    assert {"pi_planning", "art_sync", "system_demo"} <= kinds
    assert {m.kind for m in meetings if m.state == "planned"} >= {"art_sync", "system_demo", "inspect_adapt"}
    ip = plan.pi.iterations[-1]
    [closing] = [m.day for m in meetings if m.kind == "inspect_adapt"]
    after = [m.day for m in meetings if m.kind == "pi_planning" and m.day > plan.pi.start]
    assert ip.start <= closing < min(after) and max(after) <= ip.end, "I&A, then the next PI planning, in the IP"
    minutes = executing.scalars(select(MeetingRow.minutes).where(MeetingRow.state == "ended")).all()
    assert all(m and m.strip() for m in minutes), "every meeting held has its minutes"
    events = list_events(executing, actor=ADMIN, train_key=TRAIN)
    end_of_today = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    story = [e for e in events if e.actor != ADMIN.name]  # the people to sign in as are added now
    assert all(e.at < end_of_today for e in story), "the story happened before today"
    assert [e.at for e in story] == sorted(e.at for e in story), "seqs and times rise together"
    assert events[0].at.date() < plan.pi.start - timedelta(weeks=10), "it began with the PI before"


def test_the_train_drifted_and_the_forecast_has_history(executing: Session) -> None:
    measures = get_measures(executing, actor=ADMIN, train_key=TRAIN)
    slips = [d for d in measures.drift if d.kind == "slipped"]
    assert slips and all(d.actor and d.actor != ADMIN.name for d in slips), "slips made by named people"
    forecast = get_forecast(executing, actor=ADMIN, train_key=TRAIN, trials=200, today=TODAY)
    assert forecast.forecast.now == 3
    assert all(len(t.history) >= 4 for t in forecast.throughput.values()), "past iterations give throughput"
    ages = [i for i in list_impediments(executing, actor=ADMIN, train_key=TRAIN) if i.state == "open"]
    assert max((TODAY - i.raised_at.date()).days for i in ages) >= 14, "an impediment has aged"
    report = pi_report(executing, actor=ADMIN, train_key=TRAIN, today=TODAY)
    assert report.forecast is not None and report.measures.progress[-1].done > 0
    assert len(report.measures.trend) == 2 and report.measures.trend[0].train.percent is not None


def test_the_eve_of_pi_planning_has_a_draft_and_no_vote(db: Session) -> None:
    story = play_demo(db, actor=ADMIN, size="small", today=TODAY, stage="planning")
    pis = list_pis(db, actor=ADMIN, train_key=TRAIN)
    assert [(p.pi.state, p.current) for p in pis] == [("closed", False), ("planning", True)]
    assert story.plan.pi.start > TODAY
    days = sorted(
        m.day for m in list_meetings(db, actor=ADMIN, train_key=TRAIN, kind="pi_planning", pi_key=story.current)
    )
    assert days == [TODAY + timedelta(days=1), TODAY + timedelta(days=2)]
    with pytest.raises(NotFoundError):
        get_vote(db, actor=ADMIN, train_key=TRAIN)
    plan = get_plan(db, actor=ADMIN, train_key=TRAIN)
    assert any(c.iteration for c in plan.cards), "the draft plan is on the board"

    meetings = db.scalar(select(func.count()).select_from(MeetingRow))
    play_demo(db, actor=ADMIN, size="small", today=TODAY, stage="planning")
    assert db.scalar(select(func.count()).select_from(MeetingRow)) == meetings, "loaded again, told once"
    assert len(list_pis(db, actor=ADMIN, train_key=TRAIN)) == 2
