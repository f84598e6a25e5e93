"""Setting up a PI from the terminal: pi create/list, calendars, team size, capacity."""

from __future__ import annotations

import json
from datetime import date, timedelta

from tests.cli.conftest import run


def pi_of(db: str) -> dict:
    code, out, err = run(db, "pi", "list", "--json")
    assert code == 0, err
    return next(p for p in json.loads(out)["pis"] if p["current"])


def test_a_new_pi_is_created_listed_and_advanced(demo_db) -> None:
    end = pi_of(demo_db)["end"]
    start = (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    code, out, err = run(demo_db, "pi", "create", "NEXT", "--start", start, "--iterations", "6")
    assert code == 0, err
    out = " ".join(out.split())
    assert "is set up in draft" in out and "6 iterations of 2 weeks (the last is IP)" in out
    code, out, _ = run(demo_db, "pi", "list")
    assert "NEXT" in out and "draft" in out and "current" in out
    code, out, err = run(demo_db, "pi", "advance", "--pi", "NEXT")
    assert code == 0, err
    assert pi_of(demo_db)["key"] == "NEXT"


def test_a_bad_date_is_one_red_line(demo_db) -> None:
    code, _, err = run(demo_db, "pi", "create", "NEXT", "--start", "next monday")
    assert code == 2
    assert "error: --start 'next monday' is not a date; write it YYYY-MM-DD" in err
    assert "Traceback" not in err


def test_holidays_and_leave_change_the_capacity_shown(demo_db) -> None:
    pi = pi_of(demo_db)
    second = pi["iterations"][1]["start"]
    code, out, err = run(demo_db, "calendar", "holiday", "add", second, "Spring Day")
    assert code == 0, err
    assert "capacities recalculated" in out
    code, out, err = run(demo_db, "capacity", "show", "--json")
    capacity = json.loads(out)
    assert all(t["iterations"][1]["holidays"] == 1 for t in capacity["teams"])
    team = capacity["teams"][0]["key"]
    code, _, err = run(demo_db, "calendar", "leave", "add", team, "ana", second, second)
    assert code == 2 and "give the team its size first" in err
    assert run(demo_db, "team", "set", team, "--size", "6")[0] == 0
    tuesday = (date.fromisoformat(second) + timedelta(days=1)).isoformat()
    assert run(demo_db, "calendar", "leave", "add", team, "ana", tuesday, tuesday)[0] == 0
    code, out, _ = run(demo_db, "calendar", "show")
    assert "Spring Day" in out and "ana" in out
    code, out, _ = run(demo_db, "capacity", "show")
    assert "90% 1h" in out  # every team lost a tenth of the second iteration to the holiday
    cells = json.loads(run(demo_db, "capacity", "show", "--json")[1])["teams"][0]["iterations"]
    assert (cells[1]["holidays"], cells[1]["leave_days"]) == (1, 1)
    assert run(demo_db, "capacity", "set", team, "2", "3")[0] == 0
    assert json.loads(run(demo_db, "capacity", "show", "--json")[1])["teams"][0]["iterations"][1]["capacity"] == 3
    code, _, err = run(demo_db, "capacity", "set", team, "2")
    assert code == 2 and "--clear" in err
