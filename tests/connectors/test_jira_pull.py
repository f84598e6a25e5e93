"""Pulling a train's plan from Jira: a fake Jira on loopback, held to Atlassian's own API documents, and a real
database (SQLite and PostgreSQL). Every request the connector sends and every answer the fake gives must match
the contracts in ../shared/contracts."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from artsync.connectors.sync import pull, push, pusher
from artsync.domain.cadence import PI
from artsync.domain.plan import Plan, Team, Train
from artsync.errors import TrackerError
from artsync.formats.connection import parse_connection
from artsync.services.cards import move_card
from artsync.services.connections import (
    conflicts_of,
    connect,
    deliver_pushes,
    get_connection,
    last_push_at,
    pending_pushes,
)
from artsync.services.dependencies import add_dependency
from artsync.services.events import list_events
from artsync.services.plans import import_plan
from artsync.services.trains import get_plan
from tests.fakes.contracts import Fault, running
from tests.fakes.jira import FakeJira, Issue
from tests.personas import ADMIN

TEAMS = ["Atlas", "Aurora", "Comet", "Falcon", "Kestrel", "Lynx", "Nova", "Orion", "Phoenix", "Zephyr"]
SPRINTS = [("2026-11-02", "2026-11-13"), ("2026-11-16", "2026-11-27"), ("2026-11-30", "2026-12-11"),
           ("2026-12-14", "2026-12-25")]  # fmt: skip
TOKEN = {"JIRA_TOKEN": "secret-token-1234"}


def connection_file(base: str) -> str:
    teams = "\n".join(f'[[team]]\nname = "{t}"\nboard = {n + 1}\n' for n, t in enumerate(TEAMS))
    return f"""
[tracker]
kind = "jira"
url = "{base}"
user = "rte@example.com"
token_env = "JIRA_TOKEN"
project = "PAY"
feature_type = "Feature"
[train]
key = "PAY"
{teams}"""


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    """A Jira project of ten teams: 30 features, each with a story on two teams' boards, some linked."""
    fake = FakeJira()
    with running(fake):
        for n, _ in enumerate(TEAMS):
            for s, (start, end) in enumerate(SPRINTS):
                fake.sprint(n + 1, 100 * (n + 1) + s + 1, f"{TEAMS[n]} Sprint {s + 1}", start, end)
        for f in range(1, 31):
            fake.add(Issue(f"PAY-{f}", f"Feature {f}", "Feature"))
        number = 100
        for f in range(1, 31):
            for team in ((f % 10), ((f + 3) % 10)):
                sprint = 100 * (team + 1) + (f % 4) + 1
                fake.add(Issue(f"PAY-{number}", f"Story {number}", "Story", parent=f"PAY-{f}", board=team + 1,
                               sprint=sprint, points=float(1 + f % 5)))  # fmt: skip
                number += 1
        fake.link("PAY-101", "PAY-102")  # a story of one team waits for another team's
        yield fake
    assert not fake.violations, "\n".join(fake.violations[:5])


@pytest.fixture
def train(db, jira) -> str:
    plan = Plan(Train("PAY", "Payments ART"), PI("PI-2026.4", date(2026, 11, 2), 2, 5, True),
                tuple(Team(t, t, 40) for t in TEAMS), (), (), (), (), (), ())  # fmt: skip
    import_plan(db, actor=ADMIN, plan=plan)
    connect(db, actor=ADMIN, settings=parse_connection(connection_file(jira.base)))
    return "PAY"


def quick(**options):
    return {"environ": TOKEN, "sleep": options.get("sleep", lambda seconds: None)}


def test_the_first_pull_brings_a_ten_team_project_to_the_board_as_the_connection_user(db, train, jira) -> None:
    dry = pull(db, actor=ADMIN, train_key=train, dry_run=True, **quick())
    assert len(dry.changes.features_added) == 30 and len(dry.changes.cards_added) == 60
    assert get_plan(db, actor=ADMIN, train_key=train).cards == ()  # a dry run changes nothing
    pulled = pull(db, actor=ADMIN, train_key=train, **quick())
    plan = get_plan(db, actor=ADMIN, train_key=train)
    assert len(plan.features) == 30 and len(plan.cards) == 60
    story = jira.issues["PAY-100"]  # feature 1's story on Comet's board (team index 1 → Aurora)
    card = plan.cards_by_ref[f"PAY-1@{TEAMS[story.board - 1]}"]
    assert card.iteration == (story.sprint % 100) and card.points == story.points
    waits, needed = jira.issues["PAY-101"], jira.issues["PAY-102"]  # PAY-101 is blocked by PAY-102
    assert [(d.consumer, d.provider) for d in plan.dependencies] == [
        (f"{waits.parent}@{TEAMS[waits.board - 1]}", f"{needed.parent}@{TEAMS[needed.board - 1]}")
    ]
    pulled_by = {e.actor for e in list_events(db, actor=ADMIN, train_key=train) if e.entity in ("feature", "card")}
    assert pulled_by == {"jira:rte@example.com"}  # every change is the connection's, in the log
    assert pulled.changes.problems == ()
    basic = "Basic " + base64.b64encode(b"rte@example.com:secret-token-1234").decode()
    assert set(jira.auth) == {basic}


def test_an_incremental_pull_reads_only_what_changed_and_moves_that_card(db, train, jira) -> None:
    pull(db, actor=ADMIN, train_key=train, **quick())
    story = jira.issues["PAY-100"]
    ref = f"PAY-1@{TEAMS[story.board - 1]}"
    was = story.sprint % 100  # a team's sprint n is iteration n
    jira.change("PAY-100", sprint=100 * story.board + 4)  # to the team's fourth sprint
    jira.queries.clear()
    since = get_connection(db, actor=ADMIN, train_key=train).cursor  # the newest change the first pull saw
    pulled = pull(db, actor=ADMIN, train_key=train, **quick())
    assert pulled.changes.cards_moved == ((ref, was, 4),) and pulled.changes.cards_added == ()
    assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref[ref].iteration == 4
    assert since == "2026-11-01 09:00" and all(f'updated >= "{since}"' in q for q in jira.queries)
    assert get_connection(db, actor=ADMIN, train_key=train).cursor == "2026-11-01 09:05"  # the change's minute


def test_both_sides_moving_a_card_during_planning_keeps_the_boards_move_and_logs_the_conflict(db, train, jira) -> None:
    pull(db, actor=ADMIN, train_key=train, **quick())
    story = jira.issues["PAY-100"]
    ref = f"PAY-1@{TEAMS[story.board - 1]}"
    move_card(db, actor=ADMIN, train_key=train, ref=ref, to_iteration=1)
    jira.change("PAY-100", sprint=100 * story.board + 3)
    pulled = pull(db, actor=ADMIN, train_key=train, **quick())
    assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref[ref].iteration == 1  # artsync wins in planning
    [(_, conflict)] = conflicts_of(db, actor=ADMIN, train_key=train)
    assert (conflict.item, conflict.field, conflict.artsync, conflict.tracker) == (ref, "iteration", "1", "3")
    assert pulled.changes.conflicts == (conflict,)


def test_rate_limits_and_an_outage_are_waited_out(db, train, jira) -> None:
    waits: list[float] = []
    jira.faults += [Fault(429, 1, {"Retry-After": "7"}), Fault(503, 2, after=3)]
    pull(db, actor=ADMIN, train_key=train, environ=TOKEN, sleep=waits.append)
    assert waits[0] == 7.0 and len(waits) == 3  # Retry-After honoured, then backing off through the outage
    assert len(get_plan(db, actor=ADMIN, train_key=train).cards) == 60


def test_a_token_refused_mid_pull_changes_nothing_and_says_so_without_the_secret(db, train, jira) -> None:
    jira.faults.append(Fault(401, 99, after=5))
    with pytest.raises(TrackerError) as refused:
        pull(db, actor=ADMIN, train_key=train, **quick())
    assert "JIRA_TOKEN" in refused.value.message and "secret-token" not in refused.value.message
    assert get_plan(db, actor=ADMIN, train_key=train).features == ()
    assert "refused the token" in (get_connection(db, actor=ADMIN, train_key=train).last_error or "")


def test_the_terminal_connects_a_train_and_pulls_with_a_dry_run_first(jira, tmp_path) -> None:
    from typer.testing import CliRunner

    from artsync.cli.app import app

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    plan_file = tmp_path / "pay.json"
    plan_file.write_text(
        '{"format": "artsync-plan/1", "train": {"key": "PAY", "name": "Payments ART"}, "pi": {"key": "PI-2026.4", '
        '"start": "2026-11-02", "iteration_weeks": 2, "iterations": 5, "ip_last": true}, "teams": ['
        + ", ".join(f'{{"key": "{t}", "name": "{t}", "velocity": 40}}' for t in TEAMS)
        + '], "features": [], "cards": []}'
    )
    toml = tmp_path / "pay.toml"
    toml.write_text(connection_file(jira.base))
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(plan_file), "--db", url]).exit_code == 0
    connected = runner.invoke(app, ["connect", str(toml), "--db", url])
    assert connected.exit_code == 0 and "$JIRA_TOKEN" in connected.stdout, connected.stderr
    missing = runner.invoke(app, ["sync", "pull", "--db", url], env={"JIRA_TOKEN": ""})
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1 and "JIRA_TOKEN" in missing.stderr
    dry = runner.invoke(app, ["sync", "pull", "--dry-run", "--db", url], env=TOKEN)
    assert dry.exit_code == 0, dry.stderr
    assert "+ feature PAY-1 Feature 1" in dry.stdout and "nothing was written (dry run)" in dry.stdout
    done = runner.invoke(app, ["sync", "pull", "--db", url], env=TOKEN)
    assert done.exit_code == 0 and "91 changes made, each in the train's log." in done.stdout
    again = runner.invoke(app, ["sync", "pull", "--db", url], env=TOKEN)
    assert "Nothing changed: the board has what the tracker says." in again.stdout
    status = runner.invoke(app, ["sync", "tracker", "--db", url])
    assert "last pull: 20" in status.stdout and "jira project PAY" in status.stdout


def test_moves_and_dependencies_made_on_the_board_land_in_jira_and_do_not_come_back_as_changes(db, train, jira) -> None:
    pull(db, actor=ADMIN, train_key=train, **quick())
    story, other = jira.issues["PAY-100"], jira.issues["PAY-103"]
    ref = f"PAY-1@{TEAMS[story.board - 1]}"
    provider = f"{other.parent}@{TEAMS[other.board - 1]}"
    move_card(db, actor=ADMIN, train_key=train, ref=ref, to_iteration=4)
    move_card(db, actor=ADMIN, train_key=train, ref=ref, to_iteration=None)
    add_dependency(db, actor=ADMIN, train_key=train, consumer=ref, provider=provider)
    delivered = push(db, **quick())
    assert (delivered.sent, delivered.retrying, delivered.failed) == (3, 0, 0)
    assert jira.writes == [  # in the order they were made on the board
        f"move PAY-100 to {100 * story.board + 4}",
        "move PAY-100 to the backlog",
        "link PAY-100 is blocked by PAY-103",
    ]
    assert story.sprint is None
    assert push(db, **quick()).sent == 0  # each once
    assert last_push_at(db, actor=ADMIN, train_key=train) is not None
    again = pull(db, actor=ADMIN, train_key=train, **quick())
    assert again.changes.empty and again.changes.conflicts == ()  # Jira now says what the board says


def test_the_tracker_down_while_moves_are_made_gets_them_later_in_order_once(db, train, jira) -> None:
    pull(db, actor=ADMIN, train_key=train, **quick())
    story = jira.issues["PAY-100"]
    ref = f"PAY-1@{TEAMS[story.board - 1]}"
    assert story.sprint % 100 == 2  # the card is in I2
    for iteration in (3, 4, 1):
        move_card(db, actor=ADMIN, train_key=train, ref=ref, to_iteration=iteration)
    jira.faults.append(Fault(503, 99))
    down = push(db, environ=TOKEN, sleep=lambda seconds: None, retries=1)
    assert (down.sent, down.retrying) == (0, 1) and jira.writes == []
    assert [m.state for m in pending_pushes(db, actor=ADMIN, train_key=train)] == ["pending"] * 3
    jira.faults.clear()
    later = datetime.now(UTC) + timedelta(hours=2)  # past the first retry's wait
    up = deliver_pushes(db, push=pusher(TOKEN, sleep=lambda seconds: None), now=later)
    assert up.sent == 3 and jira.writes == [f"move PAY-100 to {100 * story.board + n}" for n in (3, 4, 1)]
    assert pending_pushes(db, actor=ADMIN, train_key=train) == []


def test_a_signed_webhook_brings_a_sprint_change_to_the_board_and_an_unsigned_one_is_refused(
    engine, database_url, train, jira, monkeypatch
) -> None:
    import hashlib
    import hmac

    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from artsync.services.auth import create_token
    from artsync.services.people import add_user
    from artsync.settings import Settings
    from artsync.web.app import create_app

    toml = connection_file(jira.base).replace('project = "PAY"\n', 'project = "PAY"\nwebhook_secret_env = "HOOK"\n')
    with Session(engine) as db:
        connect(db, actor=ADMIN, settings=parse_connection(toml))
        pull(db, actor=ADMIN, train_key=train, **quick())
    monkeypatch.setenv("JIRA_TOKEN", TOKEN["JIRA_TOKEN"])
    monkeypatch.setenv("HOOK", "webhook-secret-5678")
    story = jira.issues["PAY-100"]
    ref = f"PAY-1@{TEAMS[story.board - 1]}"
    jira.change("PAY-100", sprint=100 * story.board + 4)
    body = b'{"webhookEvent": "jira:issue_updated", "issue": {"key": "PAY-100"}}'
    signature = "sha256=" + hmac.new(b"webhook-secret-5678", body, hashlib.sha256).hexdigest()
    app = create_app(Settings(database_url=database_url))
    with TestClient(app) as client:
        url = f"/api/v1/trains/{train}/tracker/webhook"
        refused = client.post(url, content=body, headers={"X-Hub-Signature": "sha256=" + "0" * 64})
        assert refused.status_code == 401 and "signature" in refused.json()["detail"]
        accepted = client.post(url, content=body, headers={"X-Hub-Signature": signature})
        assert accepted.status_code == 202
        app.state.tracker_pulls[-1].result(timeout=60)  # the pull runs after the answer: wait for it to end
        with app.state.sessions() as db:
            assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref[ref].iteration == 4
            add_user(db, actor=ADMIN, name="rita", train_key=train, role="rte")
            token = create_token(db, actor=ADMIN, user_name="rita").token
        shown = client.get(f"/api/v1/trains/{train}/tracker", headers={"Authorization": f"Bearer {token}"})
        assert shown.status_code == 200 and shown.json()["webhook"] is True and shown.json()["last_error"] is None
        page = client.get(f"/trains/{train}/tracker", headers={"Authorization": f"Bearer {token}"})
        assert page.status_code == 200 and "jira</b> project <b>PAY</b>" in page.text and "webhooks on" in page.text
        assert "Nothing waiting: the tracker has every change made on the board." in page.text


def test_an_issue_changed_between_two_pages_of_a_pull_is_neither_lost_nor_read_twice(db, train, jira) -> None:
    for n in range(120):  # Atlas's board holds more than a page
        jira.add(Issue(f"PAY-{500 + n}", f"Story {500 + n}", "Story", parent="PAY-5", board=1, sprint=101, points=1.0))
    first_on_board = min((i for i in jira.issues.values() if i.board == 1 and i.type == "Story"),
                         key=lambda i: int(i.key.split("-")[1]))  # fmt: skip
    target = 102 if first_on_board.sprint != 102 else 103  # the card's only story on Atlas's board moves
    jira.during_pages = lambda: jira.change(first_on_board.key, sprint=target)  # read already, then changed
    pulled = pull(db, actor=ADMIN, train_key=train, **quick())
    assert get_connection(db, actor=ADMIN, train_key=train).items == len(jira.issues)  # each issue once
    ref = f"{first_on_board.parent}@Atlas"
    before = get_plan(db, actor=ADMIN, train_key=train).cards_by_ref[ref].iteration
    assert pulled.changes.problems == () and before != target % 100
    again = pull(db, actor=ADMIN, train_key=train, **quick())  # the change is newer than anything read
    assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref[ref].iteration == target % 100
    assert again.changes.cards_moved == ((ref, before, target % 100),)


def test_two_pulls_at_the_same_instant_bring_each_change_once(engine, train, jira) -> None:
    import threading

    from sqlalchemy.orm import Session

    start = threading.Barrier(2)
    outcome: list[object] = []

    def pull_now() -> None:
        with Session(engine) as db:
            start.wait()
            try:
                outcome.append(pull(db, actor=ADMIN, train_key=train, **quick()).changes)
            except Exception as exc:
                outcome.append(exc)

    threads = [threading.Thread(target=pull_now) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not [o for o in outcome if isinstance(o, Exception)], outcome
    assert sorted(len(o.cards_added) for o in outcome) == [0, 60]  # the second saw what the first brought
    with Session(engine) as db:
        added = [e for e in list_events(db, actor=ADMIN, train_key=train) if (e.entity, e.action) == ("card", "added")]
        assert len(added) == 60 and len(get_plan(db, actor=ADMIN, train_key=train).cards) == 60


def test_jiras_csv_export_comes_to_the_board_as_a_pull_would_bring_it(tmp_path) -> None:
    from typer.testing import CliRunner

    from artsync.cli.app import app
    from tests.formats.test_tracker_csv import JIRA_CSV

    url = f"sqlite:///{tmp_path / 'csv.db'}"
    plan_file = tmp_path / "pay.json"
    plan_file.write_text(
        '{"format": "artsync-plan/1", "train": {"key": "PAY", "name": "Payments ART"}, "pi": {"key": "PI-2026.4", '
        '"start": "2026-11-02", "iteration_weeks": 2, "iterations": 5, "ip_last": true}, "teams": ['
        '{"key": "Atlas", "name": "Atlas", "velocity": 40}, {"key": "Orion", "name": "Orion", "velocity": 40}], '
        '"features": [], "cards": []}'
    )
    toml = tmp_path / "pay.toml"
    toml.write_text('[tracker]\nkind = "jira"\nurl = "https://example.atlassian.net"\nuser = "rte@example.com"\n'
                    'token_env = "JIRA_TOKEN"\nproject = "PAY"\n[train]\nkey = "PAY"\n'
                    '[[team]]\nname = "Atlas"\nboard = 1\n[[team]]\nname = "Orion"\nboard = 2\n')  # fmt: skip
    export = tmp_path / "jira.csv"
    export.write_text(JIRA_CSV)
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(plan_file), "--db", url]).exit_code == 0
    assert runner.invoke(app, ["connect", str(toml), "--db", url]).exit_code == 0
    sprint = ["--iteration", "Atlas Sprint 2=2"]
    dry = runner.invoke(app, ["sync", "import", str(export), *sprint, "--dry-run", "--db", url])
    assert dry.exit_code == 0, dry.stderr
    assert "+ card PAY-1@Atlas (5 points, I2, done)" in dry.stdout and "nothing was written (dry run)" in dry.stdout
    assert "sprint 'Orion Sprint 1' has no iteration: give --iteration 'Orion Sprint 1=N'" in dry.stdout
    done = runner.invoke(app, ["sync", "import", str(export), *sprint, "--iteration", "Orion Sprint 1=1", "--db", url])
    assert done.exit_code == 0 and "+ dependency PAY-1@Atlas needs PAY-1@Orion" in done.stdout  # PAY-11 waits on 12
    shown = runner.invoke(app, ["board", "--json", "--db", url])
    cards = {c["ref"]: c for c in json.loads(shown.stdout)["cards"]}
    assert (cards["PAY-1@Atlas"]["iteration"], cards["PAY-1@Orion"]["iteration"]) == (2, 1)
    wrong = runner.invoke(app, ["sync", "import", str(export), "--iteration", "Atlas Sprint 2=9", "--db", url])
    assert wrong.exit_code == 2 and "has iterations 1 to 5" in wrong.stderr and wrong.stderr.count("\n") == 1


def test_fix_versions_due_within_the_pi_become_milestones_when_the_connection_asks(db, train, jira) -> None:
    jira.versions = [("Beta 1.0", "2026-11-20"), ("GA", "2027-03-01")]
    jira.issues["PAY-1"].fix_versions = ["Beta 1.0"]
    jira.issues["PAY-2"].fix_versions = ["Beta 1.0", "GA"]
    toml = connection_file(jira.base).replace('project = "PAY"\n', 'project = "PAY"\nmilestones = "fix-versions"\n')
    connect(db, actor=ADMIN, settings=parse_connection(toml))
    pull(db, actor=ADMIN, train_key=train, **quick())
    [beta] = get_plan(db, actor=ADMIN, train_key=train).milestones  # GA is another PI's
    assert (beta.key, beta.name, beta.iteration, str(beta.date), beta.features) == (
        "Beta-1.0",
        "Beta 1.0",
        2,
        "2026-11-20",
        ("PAY-1", "PAY-2"),
    )
    jira.versions = [("Beta 1.0", "2026-12-04")]  # the release slips a fortnight
    again = pull(db, actor=ADMIN, train_key=train, **quick())
    assert [m.iteration for m in again.changes.milestones] == [3]
    assert get_plan(db, actor=ADMIN, train_key=train).milestones[0].iteration == 3
    said = [e for e in list_events(db, actor=ADMIN, train_key=train) if e.entity == "milestone"]
    assert [e.action for e in said] == ["added", "edited"]
