"""Moving cards on the board: one event per move, stale versions refused."""

from __future__ import annotations

import pytest

from artsync.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError, StaleVersionError
from artsync.formats.plan_format import parse_plan
from artsync.services.cards import move_card, remove_card, set_card_status
from artsync.services.dependencies import remove_dependency, set_dependency_state
from artsync.services.events import list_events
from artsync.services.findings import list_findings
from artsync.services.plans import import_plan
from artsync.services.trains import get_plan
from tests.formats.test_plan_format import minimal
from tests.personas import ADMIN, local, personas


@pytest.fixture
def train(db) -> str:
    import_plan(db, actor=local("alice"), plan=parse_plan(minimal()))
    return "ART"


def test_moving_a_card_changes_the_board_and_logs_before_and_after(db, train) -> None:
    moved = move_card(db, actor=local("bob"), train_key=train, ref="F1@Atlas", to_iteration=3)
    assert moved.value.iteration == 3 and moved.version == 2
    assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref["F1@Atlas"].iteration == 3
    event = list_events(db, actor=ADMIN, train_key=train)[-1]
    assert (event.seq, event.actor, event.entity_id, event.action) == (2, "bob", "F1@Atlas", "moved")
    assert (event.before["iteration"], event.after["iteration"]) == (2, 3)


def test_unplanning_a_card_moves_it_out_of_every_iteration(db, train) -> None:
    move_card(db, actor=local("bob"), train_key=train, ref="F1@Atlas", to_iteration=None)
    assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref["F1@Atlas"].iteration is None


def test_a_move_based_on_a_stale_version_is_refused_with_the_current_state(db, train) -> None:
    move_card(db, actor=local("bob"), train_key=train, ref="F1@Atlas", to_iteration=3, version=1)
    with pytest.raises(StaleVersionError) as caught:
        move_card(db, actor=local("carol"), train_key=train, ref="F1@Atlas", to_iteration=1, version=1)
    assert caught.value.current == {
        "ref": "F1@Atlas",
        "iteration": 3,
        "points": 8,
        "status": "not started",
        "version": 2,
    }
    assert "iteration 3" in caught.value.message
    assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref["F1@Atlas"].iteration == 3
    assert len(list_events(db, actor=ADMIN, train_key=train)) == 2


def test_moving_a_card_where_it_already_is_logs_nothing(db, train) -> None:
    moved = move_card(db, actor=local("bob"), train_key=train, ref="F1@Atlas", to_iteration=2)
    assert moved.event is None and moved.version == 1
    assert len(list_events(db, actor=ADMIN, train_key=train)) == 1


@pytest.mark.parametrize(
    ("ref", "iteration", "error", "message"),
    [
        ("F1@Nobody", 2, NotFoundError, "no card F1@Nobody in ART PI-1"),
        ("F1", 2, InvalidInputError, "write it FEATURE@TEAM"),
        ("F1@Atlas", 9, InvalidInputError, "iteration 9 is out of range: PI-1 has iterations 1 to 5"),
        ("F1@Atlas", 0, InvalidInputError, "iteration 0 is out of range"),
    ],
    ids=["unknown-card", "malformed-ref", "iteration-after-the-pi", "iteration-zero"],
)
def test_bad_moves_are_refused_and_change_nothing(db, train, ref, iteration, error, message) -> None:
    with pytest.raises(error, match=message):
        move_card(db, actor=local("bob"), train_key=train, ref=ref, to_iteration=iteration)
    assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref["F1@Atlas"].iteration == 2
    assert len(list_events(db, actor=ADMIN, train_key=train)) == 1


def test_moving_the_provider_after_its_consumer_breaks_the_dependency(db, train) -> None:
    move_card(db, actor=local("bob"), train_key=train, ref="F2@Atlas", to_iteration=3)  # consumer
    assert list_findings(db, actor=ADMIN, train_key=train, severity="error") == []
    move_card(db, actor=local("bob"), train_key=train, ref="F1@Atlas", to_iteration=4)  # provider, now later
    errors = {(f.kind, f.items) for f in list_findings(db, actor=ADMIN, train_key=train, severity="error")}
    assert errors == {
        ("dependency-broken", ("F2@Atlas", "F1@Atlas")),
        ("milestone-miss", ("M1", "F1", "F1@Atlas")),  # M1 (10 Feb) is in iteration 3
    }


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("rte", True), ("product_owner", True), ("member", True), ("other_member", False), ("viewer", False)],
)
def test_who_may_move_a_team_card(db, train, persona, allowed) -> None:
    actor = personas("ART", "Atlas", "Orion")[persona]
    if allowed:
        assert move_card(db, actor=actor, train_key=train, ref="F1@Atlas", to_iteration=1).event.actor == actor.name
    else:
        with pytest.raises(ForbiddenError, match=f"{actor.name} .* may not move card on items of Atlas"):
            move_card(db, actor=actor, train_key=train, ref="F1@Atlas", to_iteration=1)
        assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref["F1@Atlas"].iteration == 2


def test_a_card_status_change_is_logged_and_kept(db, train) -> None:
    changed = set_card_status(db, actor=local("mia"), train_key=train, ref="F1@Atlas", status="in progress")
    assert (changed.value.status, changed.version) == ("in progress", 2)
    assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref["F1@Atlas"].status == "in progress"
    event = list_events(db, actor=ADMIN, train_key=train)[-1]
    assert (event.action, event.before["status"], event.after["status"]) == ("status", "not started", "in progress")


def test_an_unknown_card_status_is_refused(db, train) -> None:
    with pytest.raises(InvalidInputError, match="'finished' is not a card status"):
        set_card_status(db, actor=ADMIN, train_key=train, ref="F1@Atlas", status="finished")
    assert get_plan(db, actor=ADMIN, train_key=train).cards_by_ref["F1@Atlas"].status == "not started"


def test_a_closed_pi_is_history_its_cards_and_dependencies_stay_as_they_were(db) -> None:
    plan = minimal()
    plan["pi"]["state"] = "closed"
    import_plan(db, actor=local("alice"), plan=parse_plan(plan))
    attempts = (
        lambda: move_card(db, actor=ADMIN, train_key="ART", ref="F1@Atlas", to_iteration=3),
        lambda: set_card_status(db, actor=ADMIN, train_key="ART", ref="F1@Atlas", status="done"),
        lambda: remove_card(db, actor=ADMIN, train_key="ART", ref="F1@Atlas"),
        lambda: set_dependency_state(
            db, actor=ADMIN, train_key="ART", consumer="F2@Atlas", provider="F1@Atlas", state="committed"
        ),
        lambda: remove_dependency(db, actor=ADMIN, train_key="ART", consumer="F2@Atlas", provider="F1@Atlas"),
    )
    for attempt in attempts:
        with pytest.raises(ConflictError, match="PI-1 is closed: its board is history"):
            attempt()
    card = get_plan(db, actor=ADMIN, train_key="ART").cards_by_ref["F1@Atlas"]
    assert (card.iteration, card.status) == (2, "not started")
    assert [e.action for e in list_events(db, actor=ADMIN, train_key="ART")] == ["imported"]


def test_a_move_overtaken_between_its_read_and_its_write_is_refused_with_the_card_as_it_is_now(postgres_url) -> None:
    # PostgreSQL only: there a card's edit takes no lock (its UPDATE checks the version); on SQLite the edit's write
    # transaction holds every other writer off, so nothing can overtake it.
    from sqlalchemy import event, text
    from sqlalchemy.orm import Session

    from artsync.services.cards import edit_card, find_card
    from artsync.services.trains import find_current_pi, find_train
    from artsync.store.db import make_engine, migrate

    engine = make_engine(postgres_url)
    migrate(engine)
    db = Session(engine, expire_on_commit=False)
    import_plan(db, actor=local("alice"), plan=parse_plan(minimal()))
    train = find_train(db, "ART")
    card_id = find_card(db, train, find_current_pi(db, train), "F1@Atlas").id
    db.commit()

    def overtake(conn, cursor, statement, *_: object) -> None:  # someone else's move lands just before ours
        if statement.startswith("WITH changed AS") and not overtaken:
            overtaken.append(True)
            with Session(engine) as other:
                other.execute(text("UPDATE cards SET iteration = 4, version = version + 1 WHERE id = :id"),
                              {"id": card_id})  # fmt: skip
                other.commit()

    overtaken: list[bool] = []
    event.listen(engine, "before_cursor_execute", overtake)
    try:
        with pytest.raises(StaleVersionError) as caught:
            edit_card(db, actor=local("bob"), card_id=card_id, version=1, move=True, iteration=3)
    finally:
        event.remove(engine, "before_cursor_execute", overtake)
    assert overtaken and caught.value.current["iteration"] == 4 and caught.value.current["version"] == 2
    assert "it is now 2" in caught.value.message
    assert get_plan(db, actor=ADMIN, train_key="ART").cards_by_ref["F1@Atlas"].iteration == 4
    assert len(list_events(db, actor=ADMIN, train_key="ART")) == 1  # the import's; ours appended nothing
    db.close()
    engine.dispose()
