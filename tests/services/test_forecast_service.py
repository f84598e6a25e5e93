"""The forecast from a train's real throughput: history from finished iterations, findings, the API and CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta

from artsync.formats.plan_format import parse_plan
from artsync.services.forecast import get_forecast, standing_findings
from artsync.services.plans import import_plan
from artsync.services.trains import find_current_pi, find_train
from artsync.store.mapping import load_plan
from tests.cli.conftest import run
from tests.personas import ADMIN, personas

P = personas("ART", "Atlas", "Orion")
TODAY = date(2026, 11, 25)
START = TODAY - timedelta(weeks=4, days=2)  # iterations 1 and 2 are over; 3 is in progress


def executing_pi() -> dict:
    """Atlas plans 20 points an iteration but finished only 5 in each of the first two."""
    card = lambda f, it, pts, status="not started": {  # noqa: E731
        "feature": f,
        "team": "Atlas",
        "iteration": it,
        "points": pts,
        "status": status,
    }
    return {
        "train": {"key": "ART", "name": "Test ART"},
        "pi": {"key": "PI-1", "start": START.isoformat(), "iterations": 5, "state": "executing"},
        "teams": [{"key": "Atlas", "name": "Atlas", "velocity": 20}, {"key": "Orion", "name": "Orion", "velocity": 20}],
        "features": [
            {"key": k, "title": k, "kind": "business", "ubv": 3, "tc": 3, "rroe": 3, "size": 3}
            for k in ("F1", "F2", "F3", "F4")
        ],
        "cards": [
            card("F1", 1, 5, "done"),
            card("F2", 2, 5, "done"),
            card("F3", 3, 20),
            card("F4", 3, 10),
            {"feature": "F4", "team": "Orion", "iteration": 3, "points": 5},
        ],
        "milestones": [{"key": "M1", "name": "Launch", "iteration": 3, "features": ["F3", "F4"]}],
    }


def test_the_forecast_uses_what_teams_really_finished(db) -> None:
    import_plan(db, actor=ADMIN, plan=parse_plan(executing_pi()))
    found = get_forecast(db, actor=P["viewer"], train_key="ART", today=TODAY)
    assert found.throughput["Atlas"].history == (5, 5) and found.throughput["Orion"].history == (0, 0)
    assert found.forecast.now == 3
    m1 = found.forecast.milestones["M1"]
    assert m1.probability == 0.0 and m1.p85 >= 8  # 30 points at 5 an iteration: six iterations from I3
    assert found.forecast.cards["F1@Atlas"].p85 == 0  # done
    assert found.forecast.cards["F4@Orion"].p50 == 3  # no history yet counts as none: velocity

    train = find_train(db, "ART")
    standing = standing_findings(db, train, load_plan(db, train, find_current_pi(db, train)), today=TODAY)
    at_risk = [f for f in standing if f.kind == "milestone-at-risk"]
    assert [f.items[0] for f in at_risk] == ["M1"]
    assert "Milestone M1 'Launch' (I3) is 0% likely to be met" in at_risk[0].message
    same_day = get_forecast(db, actor=P["viewer"], train_key="ART", today=TODAY)
    assert same_day.forecast is found.forecast  # read again for free until something changes


def test_forecast_from_the_terminal_and_over_http(database_url, engine) -> None:
    from sqlalchemy.orm import Session

    with Session(engine) as db:
        import_plan(db, actor=ADMIN, plan=parse_plan(executing_pi()))
    code, out, err = run(database_url, "forecast", "--json", "--today", TODAY.isoformat(), "--trials", "2000")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["milestones"][0]["key"] == "M1" and shown["milestones"][0]["probability"] == 0.0
    assert shown["milestones"][0]["p85_label"].endswith("after the PI") or shown["milestones"][0]["p85_label"] == (
        "not within the forecast"
    )
    code, out, _ = run(database_url, "forecast", "--today", TODAY.isoformat())
    assert "M1" in out and "0%" in out
    code, _, err = run(database_url, "forecast", "--trials", "5")
    assert code == 2 and "100 to 1,000,000 trials" in err


def test_a_forecast_of_a_plan_read_before_a_change_is_not_kept_for_the_plan_after_it(db) -> None:
    # The forecast is kept per seq; a caller may hand it a plan read just before a change landed (the worker's board,
    # a page): kept under the newer seq, it must not answer for the plan as of that seq.
    from artsync.services.cards import move_card
    from artsync.services.forecast import _cache, train_forecast

    import_plan(db, actor=ADMIN, plan=parse_plan(executing_pi()))
    train = find_train(db, "ART")
    before = load_plan(db, train, find_current_pi(db, train))
    move_card(db, actor=ADMIN, train_key="ART", ref="F3@Atlas", to_iteration=5)
    after = load_plan(db, train, find_current_pi(db, train))
    _cache.clear()
    made_fresh = train_forecast(db, train, today=TODAY, plan=after).forecast
    _cache.clear()
    train_forecast(db, train, today=TODAY, plan=before)  # kept under the seq after the move
    again = train_forecast(db, train, today=TODAY, plan=after).forecast
    assert again.cards["F3@Atlas"] == made_fresh.cards["F3@Atlas"]
    assert again.milestones == made_fresh.milestones


def test_the_forecasts_kept_are_only_those_of_the_trains_latest_seq(db) -> None:
    # A room changes the plan many times a minute; a forecast of 40 teams holds ~7 MiB: each change's would add up.
    from artsync.services.cards import move_card
    from artsync.services.forecast import _cache, train_forecast

    import_plan(db, actor=ADMIN, plan=parse_plan(executing_pi()))
    _cache.clear()
    for target in (4, 5, 4):
        move_card(db, actor=ADMIN, train_key="ART", ref="F3@Atlas", to_iteration=target)
        train = find_train(db, "ART")
        train_forecast(db, train, today=TODAY)
        train_forecast(db, train, today=TODAY, milestones_only=True)
    assert {key[2] for key in _cache} == {find_train(db, "ART").last_seq}
