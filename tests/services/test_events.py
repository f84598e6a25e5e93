"""The event log stays gap-free and in order whatever happens: refused changes, no-ops, concurrent writers."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from artsync.errors import ArtsyncError
from artsync.formats.demo import demo_plan
from artsync.services.cards import move_card
from artsync.services.dependencies import add_dependency, remove_dependency
from artsync.services.events import list_events
from artsync.services.plans import import_plan
from artsync.services.risks import roam_risk
from artsync.services.trains import find_train
from tests.personas import ADMIN, local

PLAN = demo_plan("small", 1)
REFS = [c.ref for c in PLAN.cards[:12]]
RISKS = [r.key for r in PLAN.risks]

operations = st.one_of(
    st.tuples(st.just("move"), st.sampled_from(REFS), st.none() | st.integers(0, 7), st.none() | st.integers(1, 3)),
    st.tuples(st.just("add"), st.sampled_from(REFS), st.sampled_from(REFS)),
    st.tuples(st.just("remove"), st.sampled_from(REFS), st.sampled_from(REFS)),
    st.tuples(
        st.just("roam"),
        st.sampled_from(RISKS),
        st.sampled_from(("owned", "accepted", "mitigated", "resolved", "bogus")),
        st.none() | st.just("Dana"),
    ),
)


def apply(db: Session, op: tuple) -> None:
    kind, *args = op
    try:
        if kind == "move":
            move_card(db, actor=local("t"), train_key="SHOP", ref=args[0], to_iteration=args[1], version=args[2])
        elif kind == "add":
            add_dependency(db, actor=local("t"), train_key="SHOP", consumer=args[0], provider=args[1])
        elif kind == "remove":
            remove_dependency(db, actor=local("t"), train_key="SHOP", consumer=args[0], provider=args[1])
        else:
            roam_risk(db, actor=local("t"), train_key="SHOP", key=args[0], roam=args[1], owner=args[2])
    except ArtsyncError:
        pass  # refused changes must leave no trace in the log


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operations, min_size=1, max_size=25))
def test_log_is_gap_free_under_any_sequence_of_changes(db, ops) -> None:
    if not db.get_bind().dialect.has_table(db.connection(), "trains") or not list_train_keys(db):
        import_plan(db, actor=local("setup"), plan=PLAN)
    db.commit()
    for op in ops:
        apply(db, op)
    seqs = [e.seq for e in list_events(db, actor=ADMIN, train_key="SHOP")]
    assert seqs == list(range(1, len(seqs) + 1))
    assert find_train(db, "SHOP").last_seq == len(seqs)


def list_train_keys(db: Session) -> list[str]:
    from sqlalchemy import select

    from artsync.store.models import TrainRow

    return list(db.scalars(select(TrainRow.key)))


def test_concurrent_writers_get_distinct_consecutive_seqs(engine) -> None:
    with Session(engine) as db:
        import_plan(db, actor=local("setup"), plan=PLAN)
    errors: list[BaseException] = []

    def writer(ref: str) -> None:
        try:
            with Session(engine, expire_on_commit=False) as db:
                for i in range(10):
                    move_card(db, actor=local(ref), train_key="SHOP", ref=ref, to_iteration=1 + i % 4)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(ref,)) for ref in REFS[:4]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Session(engine) as db:
        events = list_events(db, actor=ADMIN, train_key="SHOP")
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    moved_per_card = {ref: sum(1 for e in events if e.entity_id == ref) for ref in REFS[:4]}
    assert all(n >= 7 for n in moved_per_card.values()), moved_per_card  # ≥7 of 10 moves change the iteration


@pytest.mark.parametrize("after", [0, 3])
def test_events_after_a_seq_are_the_ones_missed(db, after) -> None:
    import_plan(db, actor=local("setup"), plan=PLAN)
    planned = [c.ref for c in PLAN.cards if c.iteration is not None][:5]
    for ref in planned:
        move_card(db, actor=local("t"), train_key="SHOP", ref=ref, to_iteration=None)
    events = list_events(db, actor=ADMIN, train_key="SHOP", after=after)
    assert [e.seq for e in events] == list(range(after + 1, 7))


def test_on_postgresql_a_change_and_its_event_are_one_statement_that_appends_nothing_if_the_row_moved_on(db) -> None:
    from sqlalchemy import event as sql_event
    from sqlalchemy.orm.exc import StaleDataError

    from artsync.services.cards import find_card
    from artsync.services.events import append_event
    from artsync.services.trains import find_current_pi
    from artsync.services.writes import save_statement

    import_plan(db, actor=local("setup"), plan=PLAN)
    db.commit()
    train = find_train(db, "SHOP")
    card = find_card(db, train, find_current_pi(db, train), REFS[0])
    together = save_statement(db, card, {"iteration": 3})
    if db.get_bind().dialect.name == "sqlite":
        assert together is None  # SQLite writes the row, then appends: two statements
        return
    assert together is not None
    statement, values = together
    seq, version, logged = train.last_seq, card.version, len(list_events(db, actor=ADMIN, train_key="SHOP"))
    was = card.iteration

    def append(changed: tuple) -> None:
        append_event(db, train=train, actor=local("t"), entity="card", entity_id=REFS[0], action="moved",
                     before={"iteration": was}, after={"iteration": 3}, changed=changed)  # fmt: skip

    with pytest.raises(StaleDataError):  # the row is no longer at the version read: nothing changes, no seq is drawn
        append((statement, {**values, "_version": version + 1}))
    db.rollback()
    assert find_train(db, "SHOP").last_seq == seq and len(list_events(db, actor=ADMIN, train_key="SHOP")) == logged
    train = find_train(db, "SHOP")
    sent: list[str] = []
    sql_event.listen(db.get_bind(), "before_cursor_execute", lambda *a: sent.append(a[2]))
    append((statement, values))
    db.commit()
    assert len(sent) == 1  # the UPDATE, the seq, the log entry and the NOTIFY: one round trip
    db.expire_all()
    moved = find_card(db, train, find_current_pi(db, train), REFS[0])
    assert moved.iteration == 3 and moved.version == version + 1 and find_train(db, "SHOP").last_seq == seq + 1
