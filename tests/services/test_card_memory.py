"""A card's edit from what the server process remembers of it: one statement instead of a read and a write, and
the same outcome, event and refusal as the edit that reads — whatever changed in between, on PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from artsync.errors import ConflictError, InvalidInputError, StaleVersionError
from artsync.formats.plan_format import parse_plan
from artsync.services.card_memory import CardMemory
from artsync.services.cards import edit_card, find_card, remember_current_cards
from artsync.services.events import list_events
from artsync.services.pis import advance_pi
from artsync.services.plans import import_plan
from artsync.services.trains import find_current_pi, find_train, get_plan
from artsync.store.db import make_engine, migrate
from tests.formats.test_plan_format import minimal
from tests.personas import ADMIN, local

BOB = local("bob")


@pytest.fixture
def engine(postgres_url) -> Iterator[Engine]:
    made = make_engine(postgres_url)
    migrate(made)
    with Session(made) as db:
        import_plan(db, actor=local("alice"), plan=parse_plan(minimal()))
    yield made
    made.dispose()


def card_id(engine: Engine, ref: str = "F1@Atlas") -> int:
    with Session(engine) as db:
        train = find_train(db, "ART")
        return find_card(db, train, find_current_pi(db, train), ref).id


class Statements:
    """Counts the statements sent to the database."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.engine = engine

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self.seen)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self.seen)

    def seen(self, *_: object) -> None:
        self.count += 1


def move(engine: Engine, memory: CardMemory | None, card: int, version: int | None, iteration: int | None) -> Any:
    with Session(engine) as db:
        return edit_card(db, actor=BOB, card_id=card, version=version, move=True, iteration=iteration, memory=memory)


def card_events(engine: Engine) -> list[Any]:
    with Session(engine) as db:
        return [e for e in list_events(db, actor=ADMIN, train_key="ART") if e.entity == "card"]


def test_a_card_moved_before_is_moved_again_in_one_statement_and_logged_as_a_read_would_log_it(engine) -> None:
    memory, card = CardMemory(), card_id(engine)
    with Statements(engine) as first:
        move(engine, memory, card, 1, 3)  # not remembered yet: read, then written
    with Statements(engine) as second:
        train, moved = move(engine, memory, card, 2, 4)
    assert first.count >= 2 and second.count == 1
    assert (train, moved.value.iteration, moved.version) == ("ART", 4, 3)
    logged = card_events(engine)[-1]
    assert (logged.seq, logged.action, logged.actor) == (moved.event.seq, "moved", "bob")
    assert logged.before == {"ref": "F1@Atlas", "iteration": 3, "points": 8, "status": "not started", "version": 2}
    assert logged.after == {"ref": "F1@Atlas", "iteration": 4, "points": 8, "status": "not started", "version": 3}
    with Session(engine) as db:
        assert get_plan(db, actor=ADMIN, train_key="ART").cards_by_ref["F1@Atlas"].iteration == 4


def test_a_card_changed_by_another_process_is_read_again_and_a_stale_edit_refused_with_the_card_as_it_is(
    engine,
) -> None:
    mine, theirs, card = CardMemory(), CardMemory(), card_id(engine)
    move(engine, mine, card, 1, 3)  # remembered here at version 2
    move(engine, theirs, card, 2, 5)  # moved through another process: version 3, iteration 5
    with Statements(engine) as tried, pytest.raises(StaleVersionError) as refused:
        move(engine, mine, card, 2, 1)  # the person had version 2 too
    assert tried.count == 2  # the remembered write, which did not hold; then the read, which shows it stale
    assert (refused.value.current["iteration"], refused.value.current["version"]) == (5, 3)
    _, moved = move(engine, mine, card, 3, 1)  # with the version now shown, the edit is made
    assert (moved.value.iteration, moved.version) == (1, 4)
    assert [(e.before["version"], e.after["version"]) for e in card_events(engine)] == [(1, 2), (2, 3), (3, 4)]


def test_a_card_edited_while_its_pi_was_closed_elsewhere_is_refused_as_closed(engine) -> None:
    memory, card = CardMemory(), card_id(engine)
    move(engine, memory, card, 1, 3)
    with Session(engine) as db:
        advance_pi(db, actor=ADMIN, train_key="ART")  # planning → executing
        advance_pi(db, actor=ADMIN, train_key="ART")  # → closed
    with pytest.raises(ConflictError, match="PI-1 is closed"):
        move(engine, memory, card, 2, 4)
    assert [e.after["iteration"] for e in card_events(engine)] == [3]


@pytest.mark.parametrize(("column", "value"), [("iteration", 5), ("status", "done"), ("points", 13)])
def test_a_database_that_no_longer_has_the_remembered_card_is_believed_not_the_memory(engine, column, value) -> None:
    # The same id and version with another state: a database restored or replaced under a running server.
    memory, card = CardMemory(), card_id(engine)
    move(engine, memory, card, 1, 3)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE cards SET {column} = :value WHERE id = :id"), {"id": card, "value": value})
    move(engine, memory, card, 2, 4)
    assert card_events(engine)[-1].before[column] == value


def test_a_pi_changed_under_the_remembered_card_is_believed_not_the_memory(engine) -> None:
    memory, card = CardMemory(), card_id(engine)
    move(engine, memory, card, 1, 3)
    with engine.begin() as connection:  # the PI shortened to two iterations, its version kept
        connection.execute(text("UPDATE pis SET iterations = 2"))
    with pytest.raises(InvalidInputError, match="iteration"):
        move(engine, memory, card, 2, 4)


def test_moving_a_card_where_the_memory_says_it_is_asks_the_database(engine) -> None:
    memory, card = CardMemory(), card_id(engine)
    move(engine, memory, card, 1, 3)
    with engine.begin() as connection:  # moved to 4 by a change the memory did not hear of, its version kept
        connection.execute(text("UPDATE cards SET iteration = 4 WHERE id = :id"), {"id": card})
    _, moved = move(engine, memory, card, 2, 3)
    assert (moved.value.iteration, moved.version) == (3, 3) and moved.event is not None


def test_of_twenty_simultaneous_moves_from_a_remembered_card_exactly_one_is_made(engine) -> None:
    memory, card = CardMemory(), card_id(engine)
    move(engine, memory, card, 1, 3)
    barrier, outcomes = threading.Barrier(20), []

    def one(target: int | None) -> None:
        barrier.wait()
        try:
            outcomes.append(move(engine, memory, card, 2, target)[1].version)
        except StaleVersionError as exc:
            outcomes.append(exc.current["version"])

    threads = [threading.Thread(target=one, args=(t,)) for t in [1, 2, 4, 5, None] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [3] * 20  # one made version 3; the nineteen others were refused with it
    assert [e.after["version"] for e in card_events(engine)] == [2, 3]


def test_a_card_remembered_at_start_is_moved_in_one_statement_from_its_first_edit(engine) -> None:
    memory, card = CardMemory(), card_id(engine)
    with Session(engine) as db:
        remembered = remember_current_cards(db, memory)
        assert remembered == len(get_plan(db, actor=ADMIN, train_key="ART").cards) == len(memory)
    with Statements(engine) as first:
        _, moved = move(engine, memory, card, 1, 3)
    assert first.count == 1 and (moved.value.iteration, moved.version) == (3, 2)
    logged = card_events(engine)[-1]
    assert (logged.before["iteration"], logged.before["version"], logged.after["iteration"]) == (2, 1, 3)


def test_a_card_moved_elsewhere_since_the_start_is_read_and_moved_as_it_is_now(engine) -> None:
    mine, theirs, card = CardMemory(), CardMemory(), card_id(engine)
    with Session(engine) as db:
        remember_current_cards(db, mine)
    move(engine, theirs, card, 1, 5)  # another process: version 2, iteration 5
    with pytest.raises(StaleVersionError) as refused:
        move(engine, mine, card, 1, 3)  # the person's page still had version 1
    assert (refused.value.current["iteration"], refused.value.current["version"]) == (5, 2)
    _, moved = move(engine, mine, card, 2, 3)
    assert (moved.value.iteration, moved.version) == (3, 3)


def test_the_start_remembers_no_more_cards_than_the_memory_keeps(engine) -> None:
    memory = CardMemory(limit=2)
    with Session(engine) as db:
        assert remember_current_cards(db, memory) == 2
    assert len(memory) == 2


def test_a_server_process_on_postgresql_starts_remembering_its_trains_current_cards(postgres_url, engine) -> None:
    from fastapi.testclient import TestClient

    from artsync.settings import Settings
    from artsync.web.app import create_app

    with Session(engine) as db:
        cards = len(get_plan(db, actor=ADMIN, train_key="ART").cards)
    app = create_app(Settings(database_url=postgres_url))
    assert len(app.state.cards) == 0
    with TestClient(app):  # started
        assert len(app.state.cards) == cards > 0


def test_on_sqlite_nothing_is_remembered_where_the_memory_is_not_used(tmp_path) -> None:
    sqlite = make_engine(f"sqlite:///{tmp_path / 'artsync.db'}")
    migrate(sqlite)
    with Session(sqlite) as db:
        import_plan(db, actor=local("alice"), plan=parse_plan(minimal()))
        assert remember_current_cards(db, CardMemory()) == 0
    sqlite.dispose()


def test_the_memory_keeps_up_with_the_events_its_process_hears() -> None:
    from artsync.store.models import CardRow, PIRow, TrainRow

    memory = CardMemory()
    pi = PIRow(id=7, train_id=1, key="PI-1", start=None, iteration_weeks=2, iterations=5, ip_last=True, state="open")
    card = CardRow(id=3, pi_id=7, feature_id=1, team_id=1, iteration=2, points=8, status="not started", version=4)
    memory.remember(card, pi, TrainRow(id=1, key="ART"), "F1", "Atlas")
    after = {"ref": "F1@Atlas", "iteration": 3, "points": 8, "status": "done", "version": 5}
    memory.heard("ART", {"entity": "card", "entity_id": "F1@Atlas", "action": "moved", "after": after})
    assert memory.rows(3, 4) is None
    found = memory.rows(3, 5)
    assert found is not None and (found[0].iteration, found[0].status, found[0].version) == (3, "done", 5)
    memory.heard("ART", {"entity": "card", "entity_id": "F1@Atlas", "after": {**after, "version": 4}})  # older
    assert memory.rows(3, 5) is not None
    memory.heard("ART", {"entity": "pi", "entity_id": "PI-1", "action": "advanced", "after": {}})
    assert memory.rows(3, 5) is None  # its PI is read again at the next edit
    memory.remember(card, pi, TrainRow(id=1, key="ART"), "F1", "Atlas")
    memory.heard("ART", {"entity": "card", "entity_id": "F1@Atlas", "action": "removed", "after": None})
    assert memory.rows(3, 4) is None and len(memory) == 0


def test_the_memory_forgets_the_least_recently_seen_cards_past_its_limit() -> None:
    from artsync.store.models import CardRow, PIRow, TrainRow

    memory = CardMemory(limit=2)
    pi = PIRow(id=7, train_id=1, key="PI-1", start=None, iteration_weeks=2, iterations=5, ip_last=True, state="open")
    for n in (1, 2, 1, 3):
        card = CardRow(id=n, pi_id=7, feature_id=n, team_id=1, iteration=1, points=3, status="done", version=1)
        memory.remember(card, pi, TrainRow(id=1, key="ART"), f"F{n}", "Atlas")
    assert [n for n in (1, 2, 3) if memory.rows(n, 1) is not None] == [1, 3]


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["here", "there", "plain", "heard"]),  # through which process, or the other hearing it
        st.booleans(),  # the person's version is the current one
        st.sampled_from([None, 1, 2, 3, 4, 5]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=EDITS)
def test_any_run_of_edits_through_two_processes_ends_as_reads_would_have_it(engine, edits) -> None:
    """Each edit's answer, event and refusal is what the edit that reads gives; a remembered card at the person's
    version is written in one statement."""
    here, there, card = CardMemory(), CardMemory(), card_id(engine)
    memories = {"here": here, "there": there, "plain": None}
    for via, current, iteration in edits:
        with Session(engine) as db:
            now = get_plan(db, actor=ADMIN, train_key="ART").cards_by_ref["F1@Atlas"]
            version = int(db.execute(text("SELECT version FROM cards WHERE id = :id"), {"id": card}).scalar_one())
        if via == "heard":  # the other process's hub hears the last event
            last = card_events(engine)
            if last:
                there.heard("ART", {"entity": "card", "entity_id": "F1@Atlas", **last[-1].as_dict()})
            continue
        memory = memories[via]
        asked = version if current else version - 1
        remembered = memory is not None and memory.rows(card, asked) is not None
        with Statements(engine) as sent:
            try:
                _, moved = move(engine, memory, card, asked, iteration)
            except StaleVersionError as exc:
                assert not current and exc.current["version"] == version
                continue
        assert current
        if iteration == now.iteration:
            assert moved.event is None and moved.version == version
            continue
        assert (moved.value.iteration, moved.version) == (iteration, version + 1)
        assert moved.event.before["iteration"] == now.iteration and moved.event.after["iteration"] == iteration
        if remembered:
            assert sent.count == 1
    chain = card_events(engine)
    assert all(a.after == b.before for a, b in itertools.pairwise(chain))
