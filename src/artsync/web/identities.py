"""Who holds which credential, remembered by one server process for a moment.

Every API request names its caller by a token or a session cookie; looking the holder up
(the token or session row, the user, every role) is a read of the database on each request.
A process keeps what it found for ``seconds`` (``ARTSYNC_IDENTITY_CACHE_SECONDS``, 1 by
default; 0 turns it off) and forgets all of it the moment a credential ends or a role
changes anywhere: the service that makes such a change says so
(``services.transaction.credentials_changed``), and the word reaches this process after the
commit — by PostgreSQL's NOTIFY, by Redis, or directly when the change was made here.
A change nobody announces (the command line on SQLite without Redis) takes effect when the
remembered identity lapses, within ``seconds``.

A caller who keeps asking never waits for that lapse: past half its ``seconds`` a remembered identity
is still served and read again beside the request (``Lookups.refresh``), so a busy credential is read
twice a second in the background instead of once a second in front of a request — at 20 edits a
second, that wait was in one edit of every ten.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from artsync.domain.permissions import Actor
from artsync.errors import UnauthenticatedError
from artsync.services.auth import Credential, Identified, Presented

SIZE = 10_000  # credentials remembered at most; the oldest go first


@dataclass(frozen=True)
class Caller:
    """Who is asking, and how: ``csrf`` is set for browser sessions."""

    actor: Actor
    csrf: str | None = None
    credential: Credential | None = None  # what the caller signed in with, so the live channel can watch it


class Identities:
    """This process's short memory of who holds which credential."""

    def __init__(self, seconds: float, size: int = SIZE, on_forget: Callable[[], None] | None = None) -> None:
        self.seconds = seconds
        self.size = size
        self.on_forget = on_forget  # told after each forget(), from whichever thread forgot
        self.known: OrderedDict[Credential, tuple[float, Caller]] = OrderedDict()
        self.generation = 0  # bumped by forget(), so a lookup that began before it is not remembered
        self.lock = threading.Lock()  # forget() comes from the threads that commit, too

    def get(self, credential: Credential) -> Caller | None:
        """The caller holding ``credential``, if this process read them less than ``seconds`` ago."""
        return self.recall(credential)[0]

    def recall(self, credential: Credential) -> tuple[Caller | None, bool]:
        """The caller holding ``credential`` as read less than ``seconds`` ago (None when not), and whether that read
        is past half its ``seconds``: due to be made again before it lapses."""
        found = self.known.get(credential)
        if found is None:
            return None, False
        until, caller = found
        now = time.monotonic()
        if now >= until:
            self.known.pop(credential, None)
            return None, False
        return caller, now >= until - self.seconds / 2

    def remember(self, caller: Caller, generation: int, read_at: float | None = None) -> None:
        """Keep ``caller`` until ``seconds`` after it was read (``read_at``, on the monotonic clock; now by default),
        unless everything was forgotten since the read began."""
        if self.seconds <= 0 or caller.credential is None:
            return
        with self.lock:
            if generation != self.generation:
                return
            self.known[caller.credential] = ((time.monotonic() if read_at is None else read_at) + self.seconds, caller)
            self.known.move_to_end(caller.credential)
            while len(self.known) > self.size:
                self.known.popitem(last=False)

    def drop(self, credential: Credential) -> None:
        """Forget one credential: read again, it was refused."""
        with self.lock:
            self.known.pop(credential, None)

    def forget(self) -> None:
        """A credential ended or a role changed somewhere: trust nothing remembered."""
        with self.lock:
            self.generation += 1
            self.known.clear()
        if self.on_forget is not None:
            self.on_forget()


Read = Callable[[list[Presented]], Mapping[Presented, Identified | UnauthenticatedError]]


class Lookups:
    """The credentials this process is looking up, read together: whatever requests and live handshakes present
    while a read is under way waits for the next one, which reads all of them at once (``services.auth.identify_all``),
    and the same credential presented twice is read once.

    After a restart a room's pages reconnect within seconds of each other: looked up one by one on the thread pool,
    every handshake waited its turn at once, each holding the server's handshake state (about 30 KiB) meanwhile —
    memory the worker kept after they were answered. Read together, a burst waits for a read or two.
    """

    def __init__(self, identities: Identities, read: Read, *, most: int = 1000) -> None:
        self.identities = identities
        self.read = read  # runs in a thread: who holds each credential presented, or why it is refused
        self.most = most  # credentials in one read at most
        self.waiting: dict[Presented, asyncio.Future[Caller]] = {}  # to be read next, or being read
        self.queued: list[Presented] = []
        self.reader: asyncio.Task[None] | None = None

    async def caller(self, presented: Presented) -> Caller:
        """Who holds ``presented``, read with whatever else is presented meanwhile; raises what a single lookup
        would (``UnauthenticatedError``, or the database's trouble)."""
        return await asyncio.shield(self.asked(presented))  # one waiter gone (a client closed) must not end the rest

    def refresh(self, presented: Presented) -> None:
        """Read ``presented`` again with the next read, nobody waiting for it: what is found replaces what this process
        remembers, a refusal makes it forget, and the database's trouble leaves it to lapse."""
        self.asked(presented)

    def asked(self, presented: Presented) -> asyncio.Future[Caller]:
        """The answer for ``presented``: the read it is already waiting for, else the next one."""
        future = self.waiting.get(presented)
        if future is None:
            future = self.waiting[presented] = asyncio.get_running_loop().create_future()
            self.queued.append(presented)
            if self.reader is None:
                self.reader = asyncio.create_task(self.read_while_asked())
        return future

    async def read_while_asked(self) -> None:
        try:
            while self.queued:
                batch, self.queued = self.queued[: self.most], self.queued[self.most :]
                generation, read_at = self.identities.generation, time.monotonic()
                try:
                    found = await run_in_threadpool(self.read, batch)
                except Exception as trouble:  # the database away: every one waiting is told, as one lookup was
                    for presented in batch:
                        self.settle(presented, trouble, generation, read_at)
                    continue
                for presented in batch:
                    self.settle(presented, found[presented], generation, read_at)
        finally:
            self.reader = None

    def settle(self, presented: Presented, found: Identified | Exception, generation: int, read_at: float) -> None:
        future = self.waiting.pop(presented)
        if isinstance(found, Exception):  # refused, or the database's trouble
            if isinstance(found, UnauthenticatedError):
                self.identities.drop(Credential.of(*presented))
            future.set_exception(found)
            future.exception()  # retrieved here: nobody may be waiting (a refresh, or every waiter gone)
            return
        caller = caller_from(presented, found)
        self.identities.remember(caller, generation, read_at)
        future.set_result(caller)


def caller_from(presented: Presented, found: Identified | UnauthenticatedError) -> Caller:
    """The caller holding ``presented``, from what ``services.auth.identify_all`` found; its refusal raised."""
    if isinstance(found, UnauthenticatedError):
        raise found
    actor, csrf = found
    return Caller(actor, csrf, Credential.of(*presented))
