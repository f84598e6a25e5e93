"""Fan-out of committed events to connected clients.

The event log is the single source: a notification (from this process after
a commit, from PostgreSQL LISTEN/NOTIFY, from Redis pub/sub, or from a slow
poll that also catches command-line changes) only wakes the hub, which then
reads every event after the last one it delivered for that train and hands
them, in seq order, to each subscriber's bounded queue. So a client sees each
event once, in order, with no gaps, whichever process made the change.

A subscriber whose queue is full — a client that stopped reading — is dropped
rather than allowed to slow the others; it reconnects with its last seq and
catches up from the log. A train quiet for ``heartbeat_seconds`` gets a heartbeat
with its latest seq through the same queues, so a client can tell a quiet train
from a lost connection without a timer per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from websockets.frames import Frame, Opcode

from artsync.domain.events import Event
from artsync.services.events import last_seqs, log_slice

log = logging.getLogger("artsync.realtime")

QUEUE_SIZE = 2000
POLL_SECONDS = 2.0
HEARTBEAT_SECONDS = 10.0


def on_loop(loop: asyncio.AbstractEventLoop | None, call: Callable[..., None], *arguments: Any) -> None:
    """Run ``call`` on ``loop``: now when called there, else as soon as the loop gets to it (from any thread);
    nothing once the loop is gone."""
    if loop is None or loop.is_closed():
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        call(*arguments)
    else:
        loop.call_soon_threadsafe(call, *arguments)


def event_message(event: Event) -> dict[str, Any]:
    """The live-channel message for one event."""
    return {"type": "event", **event.as_dict()}


@dataclass(frozen=True)
class Outgoing:
    """A message ready to send: its seq and its JSON text (a heartbeat carries the latest seq)."""

    seq: int
    text: str
    heartbeat: bool = False

    @cached_property
    def frame(self) -> bytes:
        """The WebSocket text frame that carries it, as a server sends it: built once, written to every client."""
        return Frame(Opcode.TEXT, self.text.encode()).serialize(mask=False)


class Sent:
    """What one client has been sent: up to the event with seq ``last``. Each event goes to it once, in seq order,
    though it may be offered twice — read from the log when it joined, then handed out live."""

    __slots__ = ("last",)

    def __init__(self, last: int) -> None:
        self.last = last

    def wanted(self, message: Outgoing) -> bool:
        """Whether ``message`` is still to be sent (counted as sent from here)."""
        if message.heartbeat:
            return True
        if message.seq <= self.last:
            return False
        self.last = message.seq
        return True


class Run:
    """Messages of one train handed out together, in order: a client that keeps up gets their frames in one write.

    Events come in runs when they come faster than the hub hands them out — a burst, read from the log or heard
    while the loop was busy — so a busier hub makes fewer writes per event instead of falling further behind.
    """

    __slots__ = ("first", "joined", "last", "messages")

    def __init__(self, messages: tuple[Outgoing, ...]) -> None:
        self.messages = messages
        self.joined: bytes | None = None
        seqs = [m.seq for m in messages if not m.heartbeat]  # a run's events follow each other
        self.first = seqs[0] if seqs else None  # its first event's seq and its last; None: heartbeats only
        self.last = seqs[-1] if seqs else None

    @property
    def frames(self) -> bytes:
        """Every message's frame, one after another: built once per run, written to every client."""
        if self.joined is None:
            self.joined = b"".join(m.frame for m in self.messages)
        return self.joined


class Mailbox:
    """A subscriber's bounded queue, read by one task: a deque once something waits in it, and a future only while
    that task waits.

    An ``asyncio.Queue`` holds four deques and an event (about 2.5 KiB); a room keeps a thousand of these, and under
    `serve` most never queue anything (the hub writes to their connections directly): an empty deque is 0.7 KiB.
    """

    __slots__ = ("items", "limit", "waiter")

    def __init__(self, limit: int) -> None:
        self.items: deque[Outgoing] | None = None
        self.limit = limit
        self.waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Outgoing) -> None:
        if self.items is None:
            self.items = deque()
        if len(self.items) >= self.limit:
            raise asyncio.QueueFull
        self.items.append(item)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def get_nowait(self) -> Outgoing:
        if not self.items:
            raise asyncio.QueueEmpty
        return self.items.popleft()

    async def get(self) -> Outgoing:
        while not self.items:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.items.popleft()

    def take_all(self) -> list[Outgoing]:
        """Everything waiting, in order; the mailbox is empty after."""
        items, self.items = self.items, None
        return list(items or ())

    def empty(self) -> bool:
        return not self.items

    def qsize(self) -> int:
        return len(self.items or ())


@dataclass(eq=False, slots=True)
class Subscription:
    """One live client of one train."""

    train: str
    start_seq: int  # the hub had delivered up to here when this client joined
    on_overflow: Callable[[], None]
    queue: Mailbox = field(default_factory=lambda: Mailbox(QUEUE_SIZE))
    dropped: bool = False
    # Set while the client keeps up: the hub hands each run of messages straight to it instead of queueing them for
    # the client's own task to wake up and send. It answers how many of them it took; the rest are queued.
    direct: Callable[[Run], int] | None = None


class Hub:
    """Per-process fan-out of each train's event log to its live subscribers."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        poll_seconds: float = POLL_SECONDS,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.sessions = sessions
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.sent: dict[str, float] = {}  # when each train's clients were last sent something (monotonic)
        self.subscribers: dict[str, set[Subscription]] = {}
        self.delivered: dict[str, int] = {}  # last seq handed out, per train
        self.locks: dict[str, asyncio.Lock] = {}
        self.pending: set[str] = set()
        self.held: dict[str, list[Outgoing]] = {}  # events heard and not yet handed out, until the loop is free
        self.tasks: set[asyncio.Future[None]] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.poller: asyncio.Task[None] | None = None
        self.beater: asyncio.Task[None] | None = None
        # Told each event the hub hands out, once, in seq order, with its train (``services/card_memory``)
        self.observers: list[Callable[[str, dict[str, Any]], None]] = []

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.poller = asyncio.create_task(self.poll())
        self.beater = asyncio.create_task(self.beat())

    async def stop(self) -> None:
        for task in (self.poller, self.beater):
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def latest(self, train: str) -> int:
        return self.delivered.get(train, 0)

    async def subscribe(self, train: str, on_overflow: Callable[[], None]) -> Subscription:
        """Join a train's stream; events after ``start_seq`` will arrive on the queue."""
        async with self.lock(train):
            if train not in self.delivered:
                self.delivered[train] = await asyncio.to_thread(self.read_last_seq, train)
            sub = Subscription(train, self.delivered[train], on_overflow)
            self.subscribers.setdefault(train, set()).add(sub)
        return sub

    async def join(self, train: str, after: int, on_overflow: Callable[[], None]) -> tuple[Subscription, list[Event]]:
        """Subscribe, and read from the log what a client at ``after`` missed up to where its stream starts.

        Only a client that is behind reads the log: a room connecting at once must not fill the threads that the
        edits need. A read that fails leaves no subscription behind.
        """
        sub = await self.subscribe(train, on_overflow)
        if after >= sub.start_seq:
            return sub, []
        try:
            return sub, await asyncio.to_thread(self.read_events, train, after, sub.start_seq)
        except BaseException:
            self.unsubscribe(sub)
            raise

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscribers.get(sub.train, set()).discard(sub)

    def wake(self, train: str) -> None:
        """Say that ``train`` has new events; safe to call from any thread."""
        on_loop(self.loop, self.schedule, train)

    def hand_out(self, train: str, events: list[Event]) -> None:
        """Deliver events this process committed, which no notification brings back to it (SQLite), without
        reading the log — as ``offer`` does, and it reads the log on any gap; safe to call from any thread."""
        on_loop(self.loop, self.offer_events, train, events)

    def offer_events(self, train: str, events: list[Event]) -> None:
        for event in events:
            self.offer(train, event.as_dict())

    def schedule(self, train: str) -> None:
        if train in self.subscribers and train not in self.pending:
            self.pending.add(train)
            task = asyncio.ensure_future(self.deliver(train))
            self.tasks.add(task)  # keep a reference until it is done
            task.add_done_callback(self.tasks.discard)

    def hear(self, payload: str) -> None:
        """A notification from another process (or this one): an event to offer, or just a train to wake."""
        if not payload.startswith("{"):
            self.wake(payload)
            return
        data = json.loads(payload)
        if "tell" in data:
            self.tell(data["train"], data["tell"])
        elif "message" in data:
            self.offer(data["train"], data["message"])
        else:
            self.wake(data["train"])

    def tell(self, train: str, message: dict[str, Any]) -> None:
        """Send every client of ``train`` a message that is not in the log (a solve's progress): it carries no seq
        of its own, so it never moves what a client has seen."""
        if train in self.subscribers:
            self.fan_out(train, Outgoing(self.delivered.get(train, 0), json.dumps(message), heartbeat=True))

    def tell_threadsafe(self, train: str, message: dict[str, Any]) -> None:
        """``tell`` from another thread (a solve running on the server's solver thread)."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.tell, train, message)

    def offer(self, train: str, message: dict[str, Any]) -> None:
        """Deliver an event that came with its notification, saving a read of the log.

        Only when it is exactly the next one and no read is under way; otherwise the
        log is read, which keeps the order and fills any gap. Runs on the hub's loop.
        The event is held until the loop has heard everything that arrived with it, then handed out with those
        (``release``): in a burst, one write per client for several events.
        """
        if train not in self.subscribers:
            return
        seq = int(message["seq"])
        expected = self.delivered.get(train, 0) + 1
        if seq < expected:
            return  # already delivered from the log
        if seq > expected or self.lock(train).locked() or train in self.pending:
            self.schedule(train)
            return
        held = self.held.setdefault(train, [])
        held.append(Outgoing(seq, json.dumps({"type": "event", **message})))
        self.delivered[train] = seq
        self.observed(train, message)
        if len(held) == 1:  # the first held: handed out as the loop turns (at once by a hub not started)
            if self.loop is None:
                self.release(train)
            else:
                self.loop.call_soon(self.release, train)

    def release(self, train: str) -> None:
        """Hand out what ``offer`` held for ``train``."""
        if train in self.held:
            self.fan_out(train)

    def fan_out(self, train: str, *messages: Outgoing) -> None:
        """Queue messages, in order, for every subscriber of ``train`` — after any held for it; a client that keeps
        up is written to at once, a full queue drops its client."""
        held = self.held.pop(train, None)
        run = Run((*held, *messages) if held else messages)
        if not run.messages:
            return
        for sub in list(self.subscribers.get(train, ())):
            if sub.dropped:
                continue
            taken = sub.direct(run) if sub.direct is not None else 0
            for message in run.messages[taken:]:
                try:
                    sub.queue.put_nowait(message)
                except asyncio.QueueFull:
                    sub.dropped = True
                    self.unsubscribe(sub)
                    sub.on_overflow()
                    break
        self.sent[train] = time.monotonic()
        if run.last is not None:
            self.delivered[train] = run.last

    async def beat(self) -> None:
        """A heartbeat with the latest seq to every client of each train that has been quiet for a while."""
        while True:
            await asyncio.sleep(self.heartbeat_seconds / 2)
            quiet = time.monotonic() - self.heartbeat_seconds
            for train, subs in list(self.subscribers.items()):
                if subs and self.sent.get(train, 0.0) <= quiet:
                    seq = self.latest(train)
                    self.fan_out(train, Outgoing(seq, json.dumps({"type": "heartbeat", "seq": seq}), heartbeat=True))

    async def deliver(self, train: str) -> None:
        """Read what is new in the train's log and queue it for every subscriber, in order."""
        self.pending.discard(train)
        async with self.lock(train):
            after = self.delivered.get(train, 0)
            events = await asyncio.to_thread(self.read_events, train, after)
            run: list[Outgoing] = []
            for event in events:
                if event.seq != after + len(run) + 1:
                    # Commits follow seq order (the train row is locked from seq to commit), so a hole
                    # means a commit still landing: stop here, the next wake or poll fills it in order.
                    break
                # Encoded once here, not once per client: a burst reaches 150 clients many times a second.
                message = event_message(event)
                run.append(Outgoing(event.seq, json.dumps(message)))
                self.observed(train, message)
            self.fan_out(train, *run)

    def observed(self, train: str, message: dict[str, Any]) -> None:
        for observer in self.observers:
            try:
                observer(train, message)
            except Exception:  # an observer's trouble must not keep an event from the clients
                log.exception("an observer of %s's events failed", train)

    async def poll(self) -> None:
        """Catch changes no notification announced (the CLI on SQLite, say)."""
        while True:
            await asyncio.sleep(self.poll_seconds)
            trains = [t for t, subs in self.subscribers.items() if subs]
            if not trains:
                continue
            try:
                latest = await asyncio.to_thread(self.read_last_seqs, trains)
            except Exception:  # a database hiccup must not end the poller
                log.exception("polling the event log failed")
                continue
            for train, seq in latest.items():
                if seq > self.delivered.get(train, 0):
                    self.schedule(train)

    def lock(self, train: str) -> asyncio.Lock:
        return self.locks.setdefault(train, asyncio.Lock())

    def read_last_seq(self, train: str) -> int:
        return self.read_last_seqs([train]).get(train, 0)

    def read_last_seqs(self, trains: list[str]) -> dict[str, int]:
        with self.sessions() as db:
            return last_seqs(db, trains)

    def read_events(self, train: str, after: int, upto: int | None = None) -> list[Event]:
        with self.sessions() as db:
            return log_slice(db, train, after, upto)
