"""PI planning from the terminal: cards and risks in breakouts, objectives, WSJF, the vote, commit."""

from __future__ import annotations

import json

from tests.cli.conftest import run


def ok(db: str, *args: str, actor: str = "rte-alice") -> str:
    code, out, err = run(db, *args, actor=actor)
    assert code == 0, err
    return " ".join(out.split())


def test_a_wsjf_session_orders_the_features_it_scored(demo_db) -> None:
    assert "open over 2 features" in ok(demo_db, "wsjf", "start", "--feature", "SHOP-140", "--feature", "SHOP-141")
    code, _, err = run(demo_db, "wsjf", "score", "ubv", "SHOP-140=2", "SHOP-141=3")
    assert code == 2 and "the smallest item in a column is 1" in err
    code, _, err = run(demo_db, "wsjf", "score", "ubv", "SHOP-140:2")
    assert code == 2 and "write each score KEY=N" in err
    for column, low, high in (("ubv", 1, 8), ("tc", 1, 5), ("rroe", 1, 1), ("size", 1, 5)):
        ok(demo_db, "wsjf", "score", column, f"SHOP-140={low}", f"SHOP-141={high}")
    out = ok(demo_db, "wsjf", "finish")
    assert "the order it produced" in out and out.index("SHOP-140") < out.index("SHOP-141")  # 3/1 beats 14/5
    session = json.loads(ok(demo_db, "wsjf", "show", "--json"))
    assert [r["key"] for r in session["ranking"]] == ["SHOP-140", "SHOP-141"]
    assert session["scorers"]["size"]["by"] == "rte-alice"


def test_breakout_items_are_added_from_the_terminal(demo_db) -> None:
    assert "Raised risk R" in ok(demo_db, "risk", "raise", "Payment vendor may slip", "--team", "Atlas")
    out = ok(demo_db, "objective", "add", "Customers pay by instalment", "--team", "Atlas", "--feature", "SHOP-140")
    key = out.split()[1]
    assert "planned BV 8" in ok(demo_db, "objective", "value", key, "--planned", "8")
    code, _, err = run(demo_db, "objective", "value", key, "--planned", "11")
    assert code == 2 and "1 to 10" in err
    objectives = json.loads(ok(demo_db, "objective", "list", "--json"))["objectives"]
    assert {"key": key, "team": "Atlas", "planned_bv": 8, "committed": True}.items() <= next(
        o for o in objectives if o["key"] == key
    ).items()
    assert "Added SHOP-150@Atlas (5 points) iteration 2" in ok(
        demo_db, "card", "add", "SHOP-150@Atlas", "--points", "5", "--to", "2"
    )
    assert "Removed SHOP-150@Atlas" in ok(demo_db, "card", "remove", "SHOP-150@Atlas")


def test_the_vote_must_pass_before_the_plan_is_committed(demo_db) -> None:
    ok(demo_db, "vote", "open")
    for name, fingers in (("rte-alice", "2"), ("bob", "3"), ("cara", "2")):
        ok(demo_db, "vote", "cast", fingers, actor=name)
    assert "3 voted so far" in ok(demo_db, "vote", "show")
    out = ok(demo_db, "vote", "close")
    assert "Average 2.33 from 3 votes" in out and "rework the plan" in out
    code, _, err = run(demo_db, "pi", "commit")
    assert code == 2 and "averaged 2.33" in err
    ok(demo_db, "vote", "open")
    for name in ("rte-alice", "bob", "cara"):
        ok(demo_db, "vote", "cast", "4", actor=name)
    assert "the train may commit" in ok(demo_db, "vote", "close")
    code, _, err = run(demo_db, "pi", "commit")
    if code != 0:  # the demo plan carries blockers: the RTE commits over them with a reason
        assert "is not ROAMed" in err
        out = ok(demo_db, "pi", "commit", "--override", "Accepted at the management review")
        assert "overridden:" in out
    baseline = json.loads(ok(demo_db, "pi", "baseline", "--json"))
    assert baseline["vote_round"] == 2 and baseline["vote_average"] == 4.0
    assert baseline["plan"]["pi"]["key"] == json.loads(ok(demo_db, "pi", "list", "--json"))["pis"][0]["key"]
    assert "Committed by rte-alice" in ok(demo_db, "pi", "baseline")
