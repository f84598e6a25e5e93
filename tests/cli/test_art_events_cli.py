"""The ART events from the terminal: the agenda, a meeting with its minutes, actions, impediments, conflicts."""

from __future__ import annotations

import json

from tests.cli.conftest import run


def ok(db: str, *args: str) -> str:
    code, out, err = run(db, *args)
    assert code == 0, err
    return out


def test_an_art_sync_is_held_from_the_terminal(demo_db) -> None:
    ok(demo_db, "sync", "agenda")  # nothing held yet: every finding is new
    assert "Meeting 1: ART sync" in ok(demo_db, "meeting", "schedule", "art_sync", "2026-11-25")
    ok(demo_db, "meeting", "start", "1")
    ok(demo_db, "meeting", "status", "1", "Atlas", "at risk", "--note", "Waiting on Orion")
    assert "Action item A1" in ok(
        demo_db, "action", "add", "Pair with Orion", "--owner", "olga", "--due", "2026-11-20", "--meeting", "1"
    )
    assert "Decision D1 is pending" in ok(demo_db, "decision", "add", "Drop SHOP-150?", "--meeting", "1")
    ok(demo_db, "meeting", "end", "1")
    minutes = ok(demo_db, "meeting", "show", "1", "--minutes")
    assert "- **Atlas**: at risk — Waiting on Orion" in minutes
    assert "A1 Pair with Orion — olga, due 2026-11-20" in minutes
    agenda = json.loads(ok(demo_db, "sync", "agenda", "--json", "--today", "2026-11-27"))
    assert agenda["findings"] == []  # they were all on the last agenda
    assert [a["key"] for a in agenda["actions_overdue"]] == ["A1"]
    assert [d["key"] for d in agenda["decisions_pending"]] == ["D1"]
    assert "**overdue** A1 Pair with Orion" in ok(demo_db, "sync", "agenda", "--markdown", "--today", "2026-11-27")
    ok(demo_db, "decision", "take", "D1", "Yes, next PI", "--rationale", "No capacity", "--link", "SHOP-150@Phoenix")
    assert json.loads(ok(demo_db, "decision", "list", "--json"))["decisions"][0]["links"] == ["SHOP-150@Phoenix"]
    ok(demo_db, "action", "done", "A1")
    assert json.loads(ok(demo_db, "action", "list", "--json"))["actions"] == []


def test_impediments_and_conflicts_from_the_terminal(demo_db) -> None:
    assert "Impediment I1 raised at team level" in ok(demo_db, "impediment", "raise", "No test data", "--team", "Nova")
    assert "train level, owner rita" in ok(demo_db, "impediment", "update", "I1", "--level", "train", "--owner", "rita")
    listed = json.loads(ok(demo_db, "impediment", "list", "--json", "--today", "2026-12-31"))["impediments"]
    assert listed[0]["aging"] is True
    code, _, err = run(demo_db, "impediment", "update", "I1", "--level", "team")
    assert code == 2 and "escalated, not sent down" in err
    findings = json.loads(ok(demo_db, "findings", "--json"))["findings"]
    overload = next(f for f in findings if f["kind"] == "over-capacity")
    assert "Conflict C1 (capacity) between Atlas" in ok(demo_db, "conflict", "from-finding", overload["id"])
    ok(demo_db, "conflict", "report", "Who builds the ledger", "--kind", "scope", "--party", "Nova", "--party", "Orion")
    ok(demo_db, "conflict", "decide", "C2", "Nova builds it", "--rationale", "Nova owns payments")
    found = json.loads(ok(demo_db, "conflict", "list", "ledger", "--json"))["conflicts"]
    assert [(c["key"], c["status"]) for c in found] == [("C2", "decided")]
    code, _, err = run(demo_db, "conflict", "report", "Alone", "--kind", "scope", "--party", "Nova")
    assert code == 2 and "two parties or more" in err and "Traceback" not in err
