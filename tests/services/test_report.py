"""The PI report and the problem-solving workshop: content, charts, CSV, and over HTTP and the terminal."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from artsync.errors import ForbiddenError, InvalidInputError
from artsync.services.cards import move_card
from artsync.services.report import pi_report
from artsync.services.trains import get_plan
from artsync.services.workshop import add_cause, add_improvement, add_problem, list_problems
from artsync.views.report import csv_text, report_html, report_markdown, tables
from tests.cli.conftest import run
from tests.personas import ADMIN, personas
from tests.services.test_measures import committed

P = personas("ART", "Atlas", "Orion")


def test_the_workshop_finds_root_causes_and_feeds_the_backlog(db) -> None:
    committed(db)
    problem = add_problem(db, actor=P["member"], train_key="ART", text="Integration env down 9 days", team="Atlas")
    add_cause(db, actor=P["member"], train_key="ART", key=problem.key, text="Shared env has no owner")
    add_cause(db, actor=P["member"], train_key="ART", key=problem.key, text="Ops is not on the train")
    add_cause(db, actor=P["scrum_master"], train_key="ART", key=problem.key, text="No budget", category="program")
    with pytest.raises(InvalidInputError, match="fishbone"):
        add_cause(db, actor=P["member"], train_key="ART", key=problem.key, text="x", category="luck")
    with pytest.raises(ForbiddenError):
        add_improvement(db, actor=P["member"], train_key="ART", key=problem.key, title="Own the env")
    improved = add_improvement(db, actor=P["product_manager"], train_key="ART", key=problem.key,
                               title="Self-service test environments")  # fmt: skip
    (found,) = list_problems(db, actor=P["viewer"], train_key="ART")
    assert found.whys == ("Shared env has no owner", "Ops is not on the train")
    assert found.fishbone == {"program": ("No budget",)} and improved.improvements == ("IMP-1",)
    backlog = {f.key: f for f in get_plan(db, actor=P["viewer"], train_key="ART").features}
    assert (backlog["IMP-1"].title, backlog["IMP-1"].kind) == ("Self-service test environments", "enabler")


def test_the_report_holds_every_part_with_charts_and_tables(db) -> None:
    committed(db)
    move_card(db, actor=P["product_owner"], train_key="ART", ref="F2@Atlas", to_iteration=4)
    add_problem(db, actor=P["member"], train_key="ART", text="Late <b>vendor</b> API")
    made = pi_report(db, actor=P["viewer"], train_key="ART")
    html = report_html(made)
    for part in ("Objectives and business value", "Predictability", "Progress", "Drift from the baseline",
                 "Forecast of the milestones", "Risks", "Conflicts and decisions", "improvement items"):  # fmt: skip
        assert part in html, part
    charts = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(charts) == 3
    burn_up = next(c for c in charts if "Burn-up" in c)
    assert ">iteration<" in burn_up and ">points<" in burn_up and "done (cumulative)" in burn_up
    assert "target 80–100%" in next(c for c in charts if "Predictability per PI" in c)
    assert "Late &lt;b&gt;vendor&lt;/b&gt; API" in html and "<b>vendor</b>" not in html
    assert "F2@Atlas" in html and "I2 → I4 (2 iterations)" in html
    markdown = report_markdown(made)
    assert "| slipped | F2@Atlas | Atlas | I2 → I4 (2 iterations) |" in markdown
    rows = list(csv.DictReader(io.StringIO(csv_text(tables(made)["drift"]))))
    assert rows[0]["item"] == "F2@Atlas" and rows[0]["iterations"] == "2" and rows[0]["actor"] == "olga"
    assert set(tables(made)) == {"objectives", "predictability", "progress", "drift", "forecast", "risks",
                                 "conflicts", "decisions", "improvements"}  # fmt: skip


def test_the_report_from_the_terminal_and_over_http(database_url, engine, tmp_path) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from artsync.services.auth import create_token
    from artsync.services.people import add_user
    from artsync.settings import Settings
    from artsync.web.app import create_app

    with Session(engine, expire_on_commit=False) as db:
        committed(db)
        add_user(db, actor=ADMIN, name="vic", train_key="ART", role="viewer")
        token = create_token(db, actor=ADMIN, user_name="vic").token
    code, out, err = run(database_url, "report", "pi", "--format", "csv", "-o", str(tmp_path / "csv"))
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "csv").iterdir())[:3] == ["conflicts.csv", "decisions.csv", "drift.csv"]
    code, out, err = run(database_url, "report", "pi", "--format", "md", "-o", "-")
    assert code == 0 and out.startswith("# PI report · Test ART · PI-1")
    code, _, err = run(database_url, "report", "pi", "--format", "pdf")
    assert code == 2 and "html, md or csv" in err
    code, out, _ = run(database_url, "predictability", "--json")
    assert json.loads(out)["predictability"][-1]["scope"] == "train"
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        page = client.get("/api/v1/trains/ART/report")
        assert page.status_code == 200 and page.text.startswith("<!doctype html>") and "<svg" in page.text
        objectives = client.get("/api/v1/trains/ART/report/objectives.csv")
        assert objectives.headers["content-type"].startswith("text/csv")
        assert objectives.text.splitlines()[0].startswith("key,team,text,committed,planned_bv,actual_bv")
        assert client.get("/api/v1/trains/ART/report/secrets.csv").status_code == 404
        measures = client.get("/api/v1/trains/ART/measures").json()
        assert measures["committed"] is True and measures["progress"][0]["iteration"] == "I1"
        refused = client.post("/api/v1/trains/ART/problems", json={"text": "Too many meetings"})
        assert refused.status_code == 403  # a viewer reads, and brings nothing
