"""The hub: every subscriber gets every event once and in order; one that stops reading is dropped."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from sqlalchemy.orm import Session

from artsync.formats.demo import demo_plan
from artsync.realtime import hub as hub_module
from artsync.realtime.hub import Hub
from artsync.services.cards import move_card
from artsync.services.plans import import_plan
from artsync.store.db import make_engine, session_factory
from tests.personas import ADMIN

PLAN = demo_plan("small")
PLANNED = [c.ref for c in PLAN.cards if c.iteration is not None]


def make_moves(engine, refs: list[str]) -> None:
    with Session(engine, expire_on_commit=False) as db:
        for ref in refs:
            move_card(db, actor=ADMIN, train_key="SHOP", ref=ref, to_iteration=None)


def test_a_subscriber_that_stops_reading_is_dropped_and_the_others_get_everything(engine, monkeypatch) -> None:
    monkeypatch.setattr(hub_module, "QUEUE_SIZE", 5)
    with Session(engine) as db:
        import_plan(db, actor=ADMIN, plan=PLAN)

    async def scenario() -> tuple[list[int], bool, bool]:
        hub = Hub(session_factory(engine), poll_seconds=3600, heartbeat_seconds=3600)
        await hub.start()
        dropped = asyncio.Event()
        stuck = await hub.subscribe("SHOP", dropped.set)  # never reads
        reader = await hub.subscribe("SHOP", lambda: None)
        received: list[int] = []

        async def read() -> None:
            while len(received) < 12:
                received.append((await reader.queue.get()).seq)

        reading = asyncio.create_task(read())
        for ref in PLANNED[:12]:  # one change at a time, each announced, as edits arrive in practice
            await asyncio.to_thread(make_moves, engine, [ref])
            await hub.deliver("SHOP")
            await asyncio.sleep(0)  # let the reading client take its message
        await asyncio.wait_for(reading, timeout=10)
        await hub.stop()
        return received, dropped.is_set(), stuck.dropped

    received, called, stuck_dropped = asyncio.run(scenario())
    assert received == list(range(2, 14))  # import was seq 1
    assert called and stuck_dropped


def test_a_new_subscriber_starts_after_what_the_hub_has_delivered(engine) -> None:
    with Session(engine) as db:
        import_plan(db, actor=ADMIN, plan=PLAN)

    async def scenario() -> tuple[int, list[int]]:
        hub = Hub(session_factory(engine), poll_seconds=3600, heartbeat_seconds=3600)
        await hub.start()
        first = await hub.subscribe("SHOP", lambda: None)
        await asyncio.to_thread(make_moves, engine, PLANNED[:2])
        await hub.deliver("SHOP")
        late = await hub.subscribe("SHOP", lambda: None)
        seqs = [first.queue.get_nowait().seq for _ in range(2)]
        await hub.stop()
        return late.start_seq, seqs

    start, seqs = asyncio.run(scenario())
    assert seqs == [2, 3] and start == 3


def test_events_heard_with_their_notification_keep_the_order_and_fill_gaps_from_the_log(engine) -> None:
    import json

    from artsync.services.events import list_events

    with Session(engine) as db:
        import_plan(db, actor=ADMIN, plan=PLAN)

    def payload(seq: int) -> str:
        with Session(engine) as db:
            [event] = [e for e in list_events(db, actor=ADMIN, train_key="SHOP") if e.seq == seq]
        return json.dumps({"train": "SHOP", "message": event.as_dict()})

    async def scenario() -> list[int]:
        hub = Hub(session_factory(engine), poll_seconds=3600, heartbeat_seconds=3600)
        await hub.start()
        sub = await hub.subscribe("SHOP", lambda: None)
        await asyncio.to_thread(make_moves, engine, PLANNED[:2])  # seq 2 and 3
        hub.hear(await asyncio.to_thread(payload, 3))  # 3 before 2: a gap, so the hub reads the log
        for _ in range(100):
            if sub.queue.qsize() == 2:
                break
            await asyncio.sleep(0.01)  # waiting for the log read, not timing it
        hub.hear(await asyncio.to_thread(payload, 3))  # heard again: already delivered
        await asyncio.to_thread(make_moves, engine, PLANNED[2:3])  # seq 4
        hub.hear(await asyncio.to_thread(payload, 4))  # exactly the next: no read of the log, and
        assert sub.queue.qsize() == 2  # 2 and 3, not yet 4 ...
        await asyncio.sleep(0)  # ... handed out as the loop turns, with whatever was heard alongside it
        seqs = []
        while not sub.queue.empty():
            seqs.append(sub.queue.get_nowait().seq)
        await hub.stop()
        return seqs

    assert asyncio.run(scenario()) == [2, 3, 4]


def test_a_quiet_train_gets_heartbeats_with_its_latest_seq(engine) -> None:
    """A client can tell a quiet train from a lost connection: the hub says where the log stands."""
    import json

    with Session(engine) as db:
        import_plan(db, actor=ADMIN, plan=PLAN)

    async def scenario() -> list[hub_module.Outgoing]:
        hub = Hub(session_factory(engine), poll_seconds=3600, heartbeat_seconds=0.05)
        await hub.start()
        sub = await hub.subscribe("SHOP", lambda: None)
        beats = [await asyncio.wait_for(sub.queue.get(), timeout=10) for _ in range(2)]
        await hub.stop()
        return beats

    beats = asyncio.run(scenario())
    assert all(b.heartbeat and json.loads(b.text) == {"type": "heartbeat", "seq": 1} for b in beats)


@pytest.fixture
def sqlite_engine(migrated_sqlite, tmp_path):
    """An SQLite database at the newest migration: where no NOTIFY brings a change back to the process."""
    shutil.copyfile(migrated_sqlite, tmp_path / "artsync.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'artsync.db'}")
    yield engine
    engine.dispose()


def test_a_change_this_process_commits_reaches_its_clients_without_a_read_of_the_log(sqlite_engine) -> None:
    """With no NOTIFY to bring an edit back (SQLite: one process), the committing thread hands the hub the events
    it appended: they arrive in order with nothing read from the log, and a gap is still filled from the log."""
    from artsync.services.transaction import WAKE

    with Session(sqlite_engine) as db:
        import_plan(db, actor=ADMIN, plan=PLAN)

    async def scenario() -> tuple[list[int], int]:
        hub = Hub(session_factory(sqlite_engine), poll_seconds=3600, heartbeat_seconds=3600)
        await hub.start()
        reads = 0
        read_events = hub.read_events

        def counted(*args: object) -> list:
            nonlocal reads
            reads += 1
            return read_events(*args)  # type: ignore[arg-type]

        hub.read_events = counted  # type: ignore[method-assign]
        sub = await hub.subscribe("SHOP", lambda: None)
        held: list[tuple[str, list]] = []

        def edit(refs: list[str], hand_out: bool = True) -> None:
            with Session(sqlite_engine, expire_on_commit=False) as db:
                db.info[WAKE] = lambda trains, appended: held.extend(appended.items())
                for ref in refs:
                    move_card(db, actor=ADMIN, train_key="SHOP", ref=ref, to_iteration=None)
            if hand_out:
                for train, events in held:
                    hub.hand_out(train, events)  # from the committing thread, as the server does
            held.clear()

        await asyncio.to_thread(edit, PLANNED[:3])  # seqs 2, 3, 4
        seqs = [(await asyncio.wait_for(sub.queue.get(), timeout=10)).seq for _ in range(3)]
        before_gap = reads
        await asyncio.to_thread(edit, PLANNED[3:4], False)  # seq 5, never handed out
        await asyncio.to_thread(edit, PLANNED[4:5])  # seq 6: a gap, filled from the log
        seqs += [(await asyncio.wait_for(sub.queue.get(), timeout=10)).seq for _ in range(2)]
        await hub.stop()
        return seqs, before_gap

    seqs, reads_before_gap = asyncio.run(scenario())
    assert seqs == [2, 3, 4, 5, 6]
    assert reads_before_gap == 0
