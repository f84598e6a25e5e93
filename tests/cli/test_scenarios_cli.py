"""Plan it for me from the terminal: a repair, a what-if compared beside the board and accepted, and bad input."""

from __future__ import annotations

import json

from tests.builders import without_ortools
from tests.cli.conftest import run


def ok(db: str, *args: str) -> str:
    code, out, err = run(db, *args)
    assert code == 0, err
    return out


def test_a_repair_and_a_what_if_are_compared_and_one_is_accepted(demo_db) -> None:
    repair = ok(demo_db, "plan", "repair", "--time", "5")
    assert "Scenario S1" in repair and "nothing has changed on the board" in repair
    made = ok(demo_db, "scenario", "new", "Phoenix loses two", "--suppose", "capacity Phoenix I2=10", "--time", "5")
    assert "Scenario S2" in made and "capacity Phoenix I2=10" in made
    ok(demo_db, "scenario", "solve", "S2")
    table = ok(demo_db, "scenario", "compare")
    assert "The board" in table and "S1 Repair" in table and "S2 Phoenix" in table and "Gap" in table
    compared = json.loads(ok(demo_db, "scenario", "compare", "--json"))
    assert [s["key"] for s in compared["scenarios"]] == ["S1", "S2"]
    assert all(s["state"] == "solved" and s["measures"] is not None for s in compared["scenarios"])
    moves = compared["scenarios"][0]["moves"]
    accepted = ok(demo_db, "scenario", "accept", "S1", "--rationale", "agreed at the ART sync")
    assert f"{len(moves)} cards moved" in accepted
    decisions = json.loads(ok(demo_db, "decision", "list", "--json"))["decisions"]
    assert any("S1" in d["decision"] and d["rationale"] == "agreed at the ART sync" for d in decisions)


def test_a_change_that_cannot_be_read_is_one_line_that_says_what_to_write(demo_db) -> None:
    code, out, err = run(demo_db, "scenario", "new", "Nonsense", "--suppose", "more people please")
    assert code != 0 and "Traceback" not in out + err
    assert "capacity Phoenix I2=24" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(demo_db, "scenario", "accept", "S9")
    assert code != 0 and "S9" in err and "Traceback" not in err


def test_a_draft_by_cp_sat_and_a_solver_that_is_not_installed(demo_db, monkeypatch) -> None:
    drafted = ok(demo_db, "plan", "draft", "--time", "5", "--solver", "cp-sat", "--json")
    assert json.loads(drafted)["solver"] == "cp-sat" and json.loads(drafted)["state"] == "solved"
    assert "(what-if, by cp-sat): new" in ok(demo_db, "scenario", "new", "By CP-SAT", "--solver", "cp-sat")
    without_ortools(monkeypatch)
    code, out, err = run(demo_db, "plan", "repair", "--solver", "cp-sat")
    assert code != 0 and "Traceback" not in out + err and len(err.strip().splitlines()) == 1
    assert "cp-sat needs OR-Tools" in err
