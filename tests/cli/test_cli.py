"""The command line as an RTE uses it, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from artsync.formats.demo import demo_plan
from artsync.formats.plan_format import dumps_plan
from tests.cli.conftest import run
from tests.formats.test_plan_format import minimal


def test_board_shows_teams_iterations_and_load(demo_db) -> None:
    code, out, _ = run(demo_db, "board")
    assert code == 0
    assert "ART Planning Board (Program Board)" in out
    for label in ("I1", "I2", "I3", "I4", "IP", "Milestones"):
        assert label in out
    assert "Findings: " in out


def test_board_json_follows_the_board_contract(demo_db) -> None:
    code, out, _ = run(demo_db, "board", "--json")
    board = json.loads(out)
    assert code == 0
    assert [it["label"] for it in board["iterations"]] == ["I1", "I2", "I3", "I4", "IP"]
    assert {"ref", "feature", "team", "iteration", "points"} <= set(board["cards"][0])
    assert {d["status"] for d in board["dependencies"]} >= {"ok", "at-risk", "broken"}


def test_backlog_lists_features_by_wsjf(demo_db) -> None:
    code, out, _ = run(demo_db, "backlog", "--json")
    features = json.loads(out)["features"]
    assert code == 0 and len(features) == 60
    scores = [f["wsjf"] for f in features]
    assert scores == sorted(scores, reverse=True)
    first = features[0]
    assert first["cost_of_delay"] == first["ubv"] + first["tc"] + first["rroe"]


def test_findings_fail_on_error_exits_1_for_scripts(demo_db) -> None:
    code, out, _ = run(demo_db, "findings", "--severity", "error", "--json", "--fail-on", "error")
    findings = json.loads(out)["findings"]
    assert code == 1
    assert findings and {f["severity"] for f in findings} == {"error"}
    assert {"id", "kind", "severity", "items", "message", "fix"} == set(findings[0])


def test_findings_table_is_readable(demo_db) -> None:
    code, out, _ = run(demo_db, "findings")
    assert code == 0
    assert "dependency-broken" in out and "→" in out
    assert "errors" in out and "warnings" in out


def test_card_move_then_log_shows_who_moved_what(demo_db) -> None:
    plan = demo_plan("small")
    card = next(c for c in plan.cards if c.iteration == 1)
    code, out, err = run(demo_db, "card", "move", card.ref, "--to", "unplanned")
    assert code == 0, err
    assert f"Moved {card.ref} to unplanned" in out
    code, out, _ = run(demo_db, "log", "--after", "1", "--json")
    [event] = json.loads(out)["events"]
    assert (event["seq"], event["actor"], event["entity_id"], event["after"]["iteration"]) == (
        2,
        "rte-alice",
        card.ref,
        None,
    )


def test_card_move_with_stale_version_is_one_red_line(demo_db) -> None:
    card = next(c for c in demo_plan("small").cards if c.iteration == 1)
    run(demo_db, "card", "move", card.ref, "--to", "2")
    code, _, err = run(demo_db, "card", "move", card.ref, "--to", "3", "--if-version", "1")
    assert code == 2
    assert err.startswith("error: card ") and "changed since you read it" in err
    assert "Traceback" not in err


def test_dep_add_and_remove(demo_db) -> None:
    plan = demo_plan("small")
    early = next(c for c in plan.cards if c.iteration == 1)
    late = next(c for c in plan.cards if c.iteration == 3 and c.team != early.team)
    code, out, _ = run(demo_db, "dep", "add", late.ref, early.ref)
    assert code == 0 and "the provider is planned earlier: fine" in out
    code, out, _ = run(demo_db, "dep", "remove", late.ref, early.ref)
    assert code == 0 and "no longer needs" in out


def test_risk_roam(demo_db) -> None:
    risk = next(r for r in demo_plan("small").risks if r.roam == "unroamed")
    code, out, _ = run(demo_db, "risk", "roam", risk.key, "--as", "owned", "--owner", "Dana Silva")
    assert code == 0 and f"Risk {risk.key} is now owned by Dana Silva" in out
    code, _, err = run(demo_db, "risk", "roam", "R1", "--as", "owned", "--owner", "")
    assert code == 2 and "an owned risk needs an owner" in err


def test_export_import_export_is_identical(demo_db, tmp_path) -> None:
    first = tmp_path / "first.json"
    code, _, _ = run(demo_db, "export", "--train", "SHOP", "--output", str(first))
    assert code == 0
    code, _, err = run(demo_db, "import", str(first))
    assert code == 2 and "exists already; import with --replace" in err
    code, out, _ = run(demo_db, "import", str(first), "--replace")
    assert code == 0 and "Replaced train SHOP" in out
    code, second, _ = run(demo_db, "export")
    assert second == first.read_text()


def break_size(doc):
    doc["features"][1]["size"] = 4


def break_team(doc):
    doc["cards"][0]["team"] = "Nobody"


def break_iteration(doc):
    doc["cards"][0]["iteration"] = 9


def break_dependency(doc):
    doc["dependencies"][0]["provider"] = {"feature": "F1", "team": "Orion"}


def break_key(doc):
    doc["features"][1]["key"] = "F1"


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (break_size, "features[1].size: 4 is not on the scale 1,2,3,5,8,13,20"),
        (break_team, 'cards[0].team: unknown team "Nobody"'),
        (break_iteration, "cards[0].iteration: iteration 9 is out of range: PI-1 has iterations 1 to 5"),
        (break_dependency, "dependencies[0].provider: dangling dependency: there is no card F1@Orion"),
        (break_key, "features[1].key: duplicate key 'F1'"),
    ],
    ids=["size-off-scale", "unknown-team", "iteration-out-of-range", "dangling-dependency", "duplicate-key"],
)
def test_import_errors_name_the_line_and_field_and_change_nothing(database_url, tmp_path, spoil, message) -> None:
    good = tmp_path / "good.json"
    good.write_text(dumps_plan(demo_plan("small")))
    assert run(database_url, "import", str(good))[0] == 0
    before = run(database_url, "export")[1]
    log_before = run(database_url, "log", "--json")[1]
    doc = minimal()
    doc["train"]["key"] = "SHOP"
    spoil(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc, indent=2))
    code, _, err = run(database_url, "import", str(bad), "--replace")
    assert code == 2
    assert f"{bad} line " in err and message in err
    assert run(database_url, "export")[1] == before
    assert run(database_url, "log", "--json")[1] == log_before


def test_commands_before_any_data_say_what_to_run(database_url, tmp_path) -> None:
    code, _, err = run(database_url, "board")
    assert code == 2
    assert "run `artsync init` (or `artsync demo`) first" in err
    assert not (tmp_path / "artsync.db").exists()  # a read leaves no empty database file behind
    assert run(database_url, "init")[0] == 0
    code, _, err = run(database_url, "board")
    assert code == 2 and "there is no train yet" in err


def test_demo_creates_people_who_can_sign_in(tmp_path) -> None:
    database_url = f"sqlite:///{tmp_path / 'demo.db'}"  # the story on PostgreSQL: tests/services/test_demo_story.py
    code, out, _ = run(database_url, "demo", "--size", "small")
    assert code == 0 and "Demo logins for Online Shop ART (password: artsync-demo)" in out
    code, out, _ = run(database_url, "user", "list", "--json")
    users = {u["name"]: u for u in json.loads(out)["users"]}
    assert set(users) == {"rita", "pam", "bob", "olga", "sam", "mia", "otto", "vic"}
    assert users["mia"]["roles"] == [{"train": "SHOP", "role": "member", "team": "Phoenix"}]
    assert all(u["has_password"] for u in users.values())


def test_trains_lists_each_train(demo_db) -> None:
    code, out, _ = run(demo_db, "trains", "--json")
    assert code == 0
    [train] = json.loads(out)["trains"]
    assert (train["key"], train["teams"], train["features"], train["pi"]) == ("SHOP", 6, 60, "PI-2026.4")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["board", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none"], "cannot reach the database"),
        (["board", "--db", "not a url"], "is not a database URL"),
        (["import", "/no/such/file.json", "--db", "sqlite:///{tmp}/x.db"], "cannot read /no/such/file.json"),
        (["card", "move", "X@Y", "--to", "soon", "--db", "sqlite:///{tmp}/x.db"], "--to 'soon'"),
    ],
    ids=["unreachable-database", "bad-url", "missing-file", "bad-iteration"],
)
def test_the_installed_command_reports_errors_as_one_red_line(tmp_path, args, message) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "card" in args:  # a train to move a card on
        plan = tmp_path / "shop.json"
        plan.write_text(dumps_plan(demo_plan("small")))
        assert run(args[-1], "import", str(plan))[0] == 0
    result = subprocess.run(
        [sys.executable, "-m", "artsync", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=Path(__file__).parent,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def hostile_files(tmp_path) -> dict[str, tuple[str, str]]:
    """Files built to hurt an importer, with what the refusal must say."""
    good = minimal()
    huge_title = json.loads(json.dumps(good))
    huge_title["features"][0]["title"] = "x" * 600
    head = '{"format": "artsync-plan/1",\n"train": {"key": "X", '
    return {
        "deep": ('{"a":' * 100_000 + "1" + "}" * 100_000, "nested deeper than 32 levels"),
        "long-number": (head + '"name": ' + "9" * 5000 + "}}", "a number of 5,000 characters"),
        "lone-surrogate": (head + '"name": "a\\ud800b"}}', "line 2: train.name: contains a lone surrogate"),
        "nul": (head + '"name": "a\\u0000b"}}', "line 2: train.name: contains a NUL character"),
        "duplicate-key": (head + '\n"key": "Y"}}', 'line 3: the key "key" appears twice in one object'),
        "huge-title": (json.dumps(huge_title, indent=2), "features[0].title: is 600 characters long; at most 500"),
    }


@pytest.mark.parametrize("case", ["deep", "long-number", "lone-surrogate", "nul", "duplicate-key", "huge-title"])
def test_a_hostile_import_is_one_red_line_and_changes_nothing(database_url, tmp_path, case: str) -> None:
    assert run(database_url, "init")[0] == 0
    text, message = hostile_files(tmp_path)[case]
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    code, out, err = run(database_url, "import", str(bad))
    assert code == 2
    assert message in err and "Traceback" not in err + out
    assert err.startswith("error: nothing was imported")
    assert "there is no train yet" in run(database_url, "board")[2]


def test_a_plan_file_over_the_size_limit_is_refused_before_it_is_read(database_url, tmp_path, monkeypatch) -> None:
    from artsync.domain import limits

    monkeypatch.setattr(limits, "PLAN_BYTES", 1000)
    big = tmp_path / "big.json"
    big.write_text(json.dumps(minimal()) + " " * 2000)
    code, _, err = run(database_url, "import", str(big))
    assert code == 2 and "a plan file is at most 1,000" in err
