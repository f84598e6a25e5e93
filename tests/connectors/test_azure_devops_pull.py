"""Pulling a train's plan from Azure DevOps: a fake project on loopback, held to Microsoft's own API documents
(Swagger 2.0, converted for openapi-core), and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date

import pytest

from artsync.connectors.sync import pull
from artsync.domain.cadence import PI
from artsync.domain.plan import Plan, Team, Train
from artsync.errors import TrackerError
from artsync.formats.connection import parse_connection
from artsync.services.connections import connect, get_connection
from artsync.services.events import list_events
from artsync.services.plans import import_plan
from artsync.services.trains import get_plan
from tests.fakes.azure_devops import FakeAzureDevOps, WorkItem
from tests.fakes.contracts import running
from tests.personas import ADMIN

TEAMS = ["Atlas", "Aurora", "Comet", "Falcon", "Kestrel", "Lynx", "Nova", "Orion", "Phoenix", "Zephyr"]
SPRINTS = [("Sprint 1", "2026-11-02", "2026-11-13"), ("Sprint 2", "2026-11-16", "2026-11-27"),
           ("Sprint 3", "2026-11-30", "2026-12-11"), ("Sprint 4", "2026-12-14", "2026-12-25")]  # fmt: skip
TOKEN = {"ADO_TOKEN": "pat-secret-9876"}


def connection_file(base: str) -> str:
    teams = "\n".join(f'[[team]]\nname = "{t}"\narea_path = "PAY\\\\{t}"\n' for t in TEAMS)
    return (f'[tracker]\nkind = "azure-devops"\nurl = "{base}/acme"\ntoken_env = "ADO_TOKEN"\nproject = "PAY"\n'
            f'feature_type = "Feature"\n[train]\nkey = "PAY"\n{teams}')  # fmt: skip


@pytest.fixture
def ado() -> Iterator[FakeAzureDevOps]:
    """Ten teams' area paths: 20 features, each with a user story on two teams' areas; one predecessor link."""
    fake = FakeAzureDevOps()
    with running(fake):
        fake.sprints = list(SPRINTS)
        for f in range(1, 21):
            fake.add(WorkItem(f, "Feature", f"Feature {f}", "PAY", "PAY"))
        number = 100
        for f in range(1, 21):
            for team in (f % 10, (f + 3) % 10):
                sprint = f"PAY\\Sprint {f % 4 + 1}" if f % 5 else "PAY"  # every fifth feature waits in the backlog
                state = "Active" if f % 3 == 0 else "New"
                fake.add(WorkItem(number, "User Story", f"Story {number}", f"PAY\\{TEAMS[team]}", sprint,
                                  state=state, points=float(1 + f % 5), parent=f))  # fmt: skip
                number += 1
        fake.items[101].predecessors = [102]  # a story waits for another team's
        yield fake
    assert not fake.violations, "\n".join(fake.violations[:5])


@pytest.fixture
def train(db, ado) -> str:
    plan = Plan(Train("PAY", "Payments ART"), PI("PI-2026.4", date(2026, 11, 2), 2, 5, True),
                tuple(Team(t, t, 40) for t in TEAMS), (), (), (), (), (), ())  # fmt: skip
    import_plan(db, actor=ADMIN, plan=plan)
    connect(db, actor=ADMIN, settings=parse_connection(connection_file(ado.base)))
    return "PAY"


def test_the_first_pull_brings_a_ten_team_project_to_the_board(db, train, ado) -> None:
    pulled = pull(db, actor=ADMIN, train_key=train, environ=TOKEN)
    plan = get_plan(db, actor=ADMIN, train_key=train)
    assert len(plan.features) == 20 and len(plan.cards) == 40 and pulled.changes.problems == ()
    story = ado.items[100]  # feature 1's story on Aurora's area, in Sprint 2
    card = plan.cards_by_ref["PAY-1@Aurora"]
    assert (card.iteration, card.points, card.status) == (2, 2, "not started")
    assert plan.cards_by_ref["PAY-5@Phoenix"].iteration is None  # at the project's root: the backlog
    assert plan.cards_by_ref["PAY-3@Falcon"].status == "in progress"  # Active is In Progress
    waiting, needed = ado.items[101], ado.items[102]
    assert [(d.consumer, d.provider) for d in plan.dependencies] == [
        (
            f"PAY-{waiting.parent}@{waiting.area.split(chr(92))[1]}",
            f"PAY-{needed.parent}@{needed.area.split(chr(92))[1]}",
        )
    ]
    assert story.parent == 1
    by = {e.actor for e in list_events(db, actor=ADMIN, train_key=train) if e.entity in ("feature", "card")}
    assert by == {"ado:PAY"}
    assert set(ado.auth) == {"Basic " + base64.b64encode(b":pat-secret-9876").decode()}  # the PAT as the password


def test_an_incremental_pull_asks_for_what_changed_since_and_moves_that_card(db, train, ado) -> None:
    pull(db, actor=ADMIN, train_key=train, environ=TOKEN)
    since = get_connection(db, actor=ADMIN, train_key=train).cursor
    ado.change(100, iteration="PAY\\Sprint 4", state="Closed")
    ado.queries.clear()
    pulled = pull(db, actor=ADMIN, train_key=train, environ=TOKEN)
    assert ado.queries and all(f"[System.ChangedDate] >= '{since}'" in q for q in ado.queries)
    assert pulled.changes.cards_moved == (("PAY-1@Aurora", 2, 4),)
    assert pulled.changes.cards_marked == (("PAY-1@Aurora", "not started", "done"),)
    assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref["PAY-1@Aurora"].status == "done"


def test_a_refused_token_changes_nothing_and_says_so_without_the_secret(db, train, ado) -> None:
    from artsync.errors import TrackerError
    from tests.fakes.contracts import Fault

    ado.faults.append(Fault(401, 1))
    with pytest.raises(TrackerError) as refused:
        pull(db, actor=ADMIN, train_key=train, environ=TOKEN)
    assert "ADO_TOKEN" in refused.value.message and "pat-secret" not in refused.value.message
    assert get_plan(db, actor=ADMIN, train_key=train).features == ()


def test_a_service_hook_with_the_secret_as_its_password_pulls_and_one_without_is_refused(
    engine, database_url, train, ado, monkeypatch
) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from artsync.settings import Settings
    from artsync.web.app import create_app

    toml = connection_file(ado.base).replace('project = "PAY"\n', 'project = "PAY"\nwebhook_secret_env = "HOOK"\n')
    with Session(engine) as db:
        connect(db, actor=ADMIN, settings=parse_connection(toml))
        pull(db, actor=ADMIN, train_key=train, environ=TOKEN)
    monkeypatch.setenv("ADO_TOKEN", TOKEN["ADO_TOKEN"])
    monkeypatch.setenv("HOOK", "service-hook-secret")
    ado.change(100, iteration="PAY\\Sprint 3")
    app = create_app(Settings(database_url=database_url))
    event = {"eventType": "workitem.updated", "resource": {"workItemId": 100}}
    with TestClient(app) as client:
        url = f"/api/v1/trains/{train}/tracker/webhook"
        wrong = client.post(url, json=event, auth=("azure", "not-the-secret"))
        assert wrong.status_code == 401 and "password" in wrong.json()["detail"]
        assert client.post(url, json=event, auth=("azure", "service-hook-secret")).status_code == 202
        app.state.tracker_pulls[-1].result(timeout=60)
        with app.state.sessions() as db:
            assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref["PAY-1@Aurora"].iteration == 3


def test_moves_statuses_and_dependencies_made_on_the_board_land_in_azure_devops_in_order(db, train, ado) -> None:
    from artsync.connectors.sync import push
    from artsync.services.cards import move_card, set_card_status
    from artsync.services.dependencies import add_dependency

    pull(db, actor=ADMIN, train_key=train, environ=TOKEN)
    move_card(db, actor=ADMIN, train_key=train, ref="PAY-1@Aurora", to_iteration=4)
    set_card_status(db, actor=ADMIN, train_key=train, ref="PAY-1@Aurora", status="done")
    move_card(db, actor=ADMIN, train_key=train, ref="PAY-1@Aurora", to_iteration=None)
    add_dependency(db, actor=ADMIN, train_key=train, consumer="PAY-1@Aurora", provider="PAY-2@Comet")
    delivered = push(db, environ=TOKEN)
    assert (delivered.sent, delivered.failed) == (4, 0)
    assert ado.writes == ["move 100 to PAY\\Sprint 4", "state 100 Closed", "move 100 to PAY", "link 100 after 102"]
    assert push(db, environ=TOKEN).sent == 0  # each once
    again = pull(db, actor=ADMIN, train_key=train, environ=TOKEN)
    assert again.changes.empty  # Azure DevOps now says what the board says


def test_target_dates_within_the_pi_become_milestones_when_the_connection_asks(db, train, ado) -> None:
    ado.items[1].target = ado.items[2].target = "2026-12-04"
    ado.items[3].target = "2027-04-01"  # another PI's
    toml = connection_file(ado.base).replace('project = "PAY"\n', 'project = "PAY"\nmilestones = "target-dates"\n')
    connect(db, actor=ADMIN, settings=parse_connection(toml))
    pull(db, actor=ADMIN, train_key=train, environ=TOKEN)
    [due] = get_plan(db, actor=ADMIN, train_key=train).milestones
    assert (due.key, due.iteration, due.features) == ("Target-2026-12-04", 3, ("PAY-1", "PAY-2"))


def test_a_project_larger_than_one_query_answers_is_read_in_pages_of_ids(db, train, ado, monkeypatch) -> None:
    from artsync.connectors import azure_devops

    # Azure DevOps refuses a query whose answer would pass 20,000 items; here the limit is 25 and a page 10.
    ado.wiql_limit = 25
    monkeypatch.setattr(azure_devops, "WIQL_PAGE", 10)
    pulled = pull(db, actor=ADMIN, train_key=train, environ=TOKEN)
    plan = get_plan(db, actor=ADMIN, train_key=train)
    assert len(plan.features) == 20 and len(plan.cards) == 40 and pulled.changes.problems == ()
    assert len(ado.queries) == 7  # 60 items: six full pages and an empty one
    assert "[System.Id] > 1 " not in ado.queries[0] and "[System.Id] > 10 " in ado.queries[1]
    # A page larger than the server answers is refused with its reason, and nothing changes.
    monkeypatch.setattr(azure_devops, "WIQL_PAGE", 30)
    ado.change(100, iteration="PAY\\Sprint 4")
    with pytest.raises(TrackerError, match="VS402337"):
        pull(db, actor=ADMIN, train_key=train, environ=TOKEN)
    assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref["PAY-1@Aurora"].iteration == 2
