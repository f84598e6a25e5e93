"""Backup and restore lose nothing: every table comes back row for row, on SQLite, on PostgreSQL, and across."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from artsync.domain.tracker import Item, Progress
from artsync.errors import ConflictError, ForbiddenError, InvalidInputError
from artsync.formats.backup import read_backup, write_backup
from artsync.formats.connection import parse_connection
from artsync.formats.demo import DEMO_PASSWORD, demo_plan
from artsync.services.auth import create_token, login
from artsync.services.backup import backup, restore
from artsync.services.baselines import commit_pi
from artsync.services.calendar_feed import create_feed_token
from artsync.services.capacity import add_holiday, add_leave, set_team
from artsync.services.cards import set_card_status
from artsync.services.connections import Fetched, apply_pull, connect
from artsync.services.notifications import add_webhook, route, subscribe
from artsync.services.people import add_user
from artsync.services.plans import import_plan
from artsync.services.scenarios import new_scenario
from artsync.services.trains import get_plan
from artsync.services.votes import cast_vote, close_vote, open_vote
from artsync.services.workshop import add_problem
from artsync.services.wsjf import start_wsjf_session
from artsync.store.db import make_engine, migrate
from tests.activity import seed_activity
from tests.conftest import postgres_schema
from tests.personas import ADMIN

TRAIN = "SHOP"


def a_lived_in_train(db: Session) -> None:
    """A train with something in every table: plan, log, people, sessions, votes, meetings, calendars, outbox."""
    import_plan(db, actor=ADMIN, plan=demo_plan("small"))
    add_user(db, actor=ADMIN, name="rita", train_key=TRAIN, role="rte", password=DEMO_PASSWORD)
    add_user(db, actor=ADMIN, name="mia", train_key=TRAIN, role="member", team_key="Atlas")
    seed_activity(db, actor=ADMIN, train_key=TRAIN)
    login(db, name="rita", password=DEMO_PASSWORD)
    create_token(db, actor=ADMIN, user_name="mia", label="laptop")
    create_feed_token(db, actor=ADMIN, train_key=TRAIN, user_name="mia")
    add_holiday(db, actor=ADMIN, train_key=TRAIN, day=date(2026, 12, 25), name="Christmas")
    set_team(db, actor=ADMIN, train_key=TRAIN, team="Atlas", size=6)
    add_leave(
        db, actor=ADMIN, train_key=TRAIN, team="Atlas", person="Ann", first=date(2026, 12, 1), last=date(2026, 12, 4)
    )
    subscribe(db, actor=ADMIN, train_key=TRAIN, person="mia", email="mia@example.org", teams=["Atlas"])
    add_webhook(db, actor=ADMIN, train_key=TRAIN, kind="slack", url="https://hooks.example.org/a")
    add_problem(db, actor=ADMIN, train_key=TRAIN, text="Integration environment is flaky")
    start_wsjf_session(db, actor=ADMIN, train_key=TRAIN)
    open_vote(db, actor=ADMIN, train_key=TRAIN)
    cast_vote(db, actor=ADMIN, train_key=TRAIN, fingers=4)
    close_vote(db, actor=ADMIN, train_key=TRAIN)
    commit_pi(db, actor=ADMIN, train_key=TRAIN, override_reason="the demo commits with its findings")
    route(db, now=datetime(2026, 11, 25, 9, tzinfo=UTC))
    a_tracker_connection(db)
    new_scenario(db, actor=ADMIN, train_key=TRAIN, name="Atlas loses a third", changes=["capacity Atlas I2=10"])


def a_tracker_connection(db: Session) -> None:
    """The train connected to Jira: a mirror of two items, a pull, and a status changed on both sides."""
    settings = parse_connection(
        '[tracker]\nkind = "jira"\nurl = "https://example.atlassian.net"\nuser = "rte@example.com"\n'
        'token_env = "JIRA_TOKEN"\nproject = "SHOP"\n[train]\nkey = "SHOP"\n[[team]]\nname = "Atlas"\nboard = 1\n'
    )
    connect(db, actor=ADMIN, settings=settings)
    card = next(c for c in get_plan(db, actor=ADMIN, train_key=TRAIN).cards if c.team == "Atlas")

    def fetched(progress: Progress) -> Fetched:
        feature = Item(card.feature, "From Jira", is_feature=True)
        story = Item("SHOP-9001", "A story", is_feature=False, parent=card.feature, team="Atlas", points=card.points,
                     progress=progress)  # fmt: skip
        return Fetched((feature, story), (), complete=False, cursor="2026-11-25 09:00")

    apply_pull(db, actor=ADMIN, train_key=TRAIN, fetched=fetched(Progress.TO_DO))
    set_card_status(db, actor=ADMIN, train_key=TRAIN, ref=card.ref, status="in progress")
    pulled = apply_pull(db, actor=ADMIN, train_key=TRAIN, fetched=fetched(Progress.DONE))
    assert pulled.changes.conflicts, "both sides changed the status: a conflict in the log"


@pytest.fixture
def source(engine):
    with Session(engine, expire_on_commit=False) as db:
        a_lived_in_train(db)
    return engine


@pytest.mark.parametrize("target_kind", ["sqlite", "postgresql"])
def test_a_backup_restored_into_an_empty_database_gives_back_every_table(
    source, target_kind, tmp_path, postgres_admin
) -> None:
    taken = backup(source, actor=ADMIN)
    empty = [name for name, table in taken["tables"].items() if not table["rows"]]
    assert empty == [], f"the source train should fill every table, these are empty: {empty}"
    file = tmp_path / "artsync-backup.json.gz"
    write_backup(file, taken)

    def restore_into(url: str) -> dict:
        target = make_engine(url)
        try:
            migrate(target)
            with Session(target) as db:
                restored = restore(db, actor=ADMIN, document=read_backup(file))
            assert sum(restored.rows.values()) == sum(len(t["rows"]) for t in taken["tables"].values())
            again = backup(target, actor=ADMIN)
            with Session(target) as db:  # the restored database takes new work after the restored ids
                add_problem(db, actor=ADMIN, train_key=TRAIN, text="One more after the restore")
            return again
        finally:
            target.dispose()

    if target_kind == "sqlite":
        again = restore_into(f"sqlite:///{tmp_path / 'restored.db'}")
    else:
        with postgres_schema(postgres_admin) as url:
            again = restore_into(url)
    assert again["schema"] == taken["schema"]
    for name, table in taken["tables"].items():
        assert again["tables"][name] == table, f"table {name} differs after the restore"


def test_a_restore_into_a_database_with_data_is_refused_and_changes_nothing(source, tmp_path) -> None:
    taken = backup(source, actor=ADMIN)
    with Session(source) as db, pytest.raises(ConflictError, match="already holds data"):
        restore(db, actor=ADMIN, document=taken)
    assert backup(source, actor=ADMIN)["tables"] == taken["tables"]


def test_only_the_operator_backs_up_or_restores(source) -> None:
    from tests.personas import personas

    rte = personas(TRAIN, "Atlas", "Orion")["rte"]
    with pytest.raises(ForbiddenError):
        backup(source, actor=rte)


def test_a_file_that_is_not_a_backup_is_refused_with_a_reason(tmp_path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text('{"format": "artsync-plan/1"}')
    with pytest.raises(InvalidInputError, match="is not an artsync backup"):
        read_backup(bad)
