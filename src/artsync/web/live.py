"""The live channel: WebSocket /api/v1/trains/{key}/live?after=SEQ.

On connect the client is sent every event after its seq from the log, then
each new event as it commits, in seq order; a heartbeat with the latest seq
comes every few seconds so a client can tell a quiet train from a lost
connection. A client that stops reading is dropped (what it has left unread
is bounded) and reconnects with its last seq. Under `serve` a connection is
taken over from uvicorn once accepted (``web/live_socket``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from artsync.domain.permissions import Action, allowed
from artsync.errors import ArtsyncError
from artsync.realtime.hub import Hub, Outgoing, Run, Sent, Subscription, event_message, on_loop
from artsync.services.auth import Credential, Lapse, lapsed
from artsync.web import problems
from artsync.web.deps import caller_of
from artsync.web.live_socket import CLOSE_SERVER_ERROR, CLOSE_TOO_SLOW, Connection, Room, taken_over_from

PATH = re.compile(r"/api/v1/trains/(?P<key>[^/]+)/live")
CLOSE_POLICY = 1008  # policy violation: not signed in, not allowed, wrong origin
CLOSE_TRY_AGAIN = 1013  # the database away for a moment: reconnect
CLOSE_SIGNED_OUT = 4401  # the token or session was revoked, ended or expired: sign in again
CLOSE_NO_ACCESS = 4403  # the person no longer holds a role on the train
log = logging.getLogger("artsync.live")


class Watch:
    """The credentials behind this process's open live connections, checked again every ``interval`` seconds, and
    at once when this process hears that credentials changed (``soon``).

    Revoking a token, signing out, ending a user's sessions or taking their role away is a
    change in the database; each process sees it when it hears of it (PostgreSQL's NOTIFY in the change's own
    transaction, Redis, or its own commit) or else at its next check, whichever process made it,
    and closes the connections it no longer allows.
    """

    def __init__(self, sessions: Any, interval: float) -> None:
        self.sessions = sessions
        self.interval = interval
        self.open: dict[int, tuple[Credential, str, Callable[[int, str], None]]] = {}
        self.task: asyncio.Task[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.asked = asyncio.Event()

    def soon(self) -> None:
        """Check now rather than at the next tick (credentials changed); safe to call from any thread."""
        on_loop(self.loop, self.asked.set)

    def add(self, credential: Credential, train: str, close: Callable[[int, str], None]) -> int:
        token = id(close)
        self.open[token] = (credential, train, close)
        return token

    def remove(self, token: int) -> None:
        self.open.pop(token, None)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.asked.wait(), self.interval)
            self.asked.clear()
            try:
                await self.check()
            except Exception:  # the database away for a moment: look again next time
                log.warning("could not check the live connections' credentials", exc_info=True)

    async def check(self) -> None:
        """Close every connection whose credential no longer lets it read its train."""
        if not self.open:
            return
        watched = {(credential, train) for credential, train, _ in self.open.values()}
        gone = await asyncio.to_thread(self.lapsed, watched)
        for credential, train, close in list(self.open.values()):
            why = gone.get((credential, train))
            if why == "signed out":
                close(CLOSE_SIGNED_OUT, "signed out: your token or session was revoked or has expired")
            elif why == "no access":
                close(CLOSE_NO_ACCESS, f"no longer allowed to read train {train}"[:120])

    def lapsed(self, watched: set[tuple[Credential, str]]) -> dict[tuple[Credential, str], Lapse]:
        with self.sessions() as db:
            return lapsed(db, watched=watched)


def origin_allowed(websocket: WebSocket) -> bool:
    """Browsers send Origin; it must be this server (or a configured origin). Programs send none."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    host = websocket.headers.get("host", "")
    if urlsplit(origin).netloc == host:
        return True
    return origin.rstrip("/") in {o.rstrip("/") for o in websocket.app.state.settings.allowed_origins}


class LiveChannel:
    """The live board's WebSocket, answered ahead of the API's routing and middleware (pure ASGI).

    A live connection stays open for hours, hundreds of them per process in a PI planning room, and each
    keeps alive every layer it passed through; the routing's layers (dependency exit stacks, exception
    wrappers) would hold about 12 KiB a connection for nothing the channel uses.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = PATH.fullmatch(scope["path"]) if scope["type"] == "websocket" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        await live(WebSocket(scope, receive, send), unquote(found["key"]), taken_over_from(send))


def seq_asked(websocket: WebSocket) -> int | None:
    """The ``after`` query parameter: the last seq the client has (0 when absent); None when not a number."""
    value = websocket.query_params.get("after", "0")
    if not value.isascii() or not value.isdigit():
        return None
    return min(int(value), 2**31 - 1)


async def live(websocket: WebSocket, key: str, protocol: Any = None) -> None:
    """Check who asks and from where, subscribe, send what the client missed, then stream: under `serve` the
    connection is taken over from uvicorn (``web/live_socket``) and the hub writes to it directly; under any other
    server (the tests' client) this task streams it the ASGI way."""
    after = seq_asked(websocket)
    if after is None:
        await websocket.close(code=CLOSE_POLICY, reason="after must be a whole number: the last seq you have")
        return
    if not origin_allowed(websocket):
        await websocket.close(code=CLOSE_POLICY, reason="origin not allowed")
        return
    try:
        caller = await caller_of(websocket)
    except ArtsyncError as exc:
        await websocket.close(code=CLOSE_POLICY, reason=exc.message[:120])
        return
    except problems.DATABASE_AWAY:
        await refuse_for_now(websocket)
        return
    if not allowed(caller.actor, key, Action.READ).ok:
        await websocket.close(code=CLOSE_POLICY, reason=f"no access to train {key}"[:120])
        return
    hub: Hub = websocket.app.state.hub
    watch: Watch = websocket.app.state.watch
    sender: asyncio.Task[None] | None = None
    connection: Connection | None = None  # once taken over from uvicorn
    ended: list[tuple[int, str]] = []  # why the server ends the connection, when it does

    def too_slow() -> None:
        if sender is not None:
            sender.cancel()

    def end(code: int, reason: str) -> None:
        if connection is not None:
            connection.close(code, reason)
            return
        ended.append((code, reason))
        too_slow()

    # Everything that reads the database happens before the handshake: once accepted, a connection only streams.
    try:
        sub, missed = await hub.join(key, after, too_slow)
    except problems.DATABASE_AWAY:
        await refuse_for_now(websocket)
        return
    watching = watch.add(caller.credential, key, end) if caller.credential else None
    try:
        backlog = [Outgoing(e.seq, json.dumps(event_message(e))) for e in missed]
        await websocket.accept()
        room: Room = websocket.app.state.room
        connection = room.take_over(protocol, sub, after) if protocol is not None else None
        if connection is not None:
            stream_from_now(connection, hub, watch, watching, backlog)
            if ended:
                connection.close(*ended[0])
            return
        sender = asyncio.create_task(send_stream(websocket, backlog, sub, after))
        if ended or sub.dropped:  # revoked, or overflowed, before the stream began
            sender.cancel()
        receiver = asyncio.create_task(drain(websocket))
        done, _ = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
        if ended:
            await close_quietly(websocket, *ended[0])
        elif (sender in done and sender.cancelled()) or sub.dropped:
            await close_quietly(websocket, CLOSE_TOO_SLOW, "too slow: reconnect with your last seq")
        elif sender in done and sender.exception() is not None:
            log.error("live stream of %s failed", key, exc_info=sender.exception())
            await close_quietly(websocket, CLOSE_SERVER_ERROR, "server error: reconnect with your last seq")
        for task in (sender, receiver):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    finally:
        if connection is None:  # else it leaves the hub and the watch when it ends
            hub.unsubscribe(sub)
            if watching is not None:
                watch.remove(watching)


def stream_from_now(
    connection: Connection, hub: Hub, watch: Watch, watching: int | None, backlog: list[Outgoing]
) -> None:
    """Hand a connection just taken over what it missed and what queued since it joined, in order, then to the hub:
    from here each run of events is written to it as the hub hands it out; it leaves the hub and the credentials'
    watch when it ends."""

    def leave() -> None:
        hub.unsubscribe(connection.sub)
        if watching is not None:
            watch.remove(watching)

    connection.leave = leave
    sub = connection.sub
    connection.send(backlog)
    connection.send(sub.queue.take_all())
    if sub.dropped:  # its queue overflowed while it joined
        connection.close(CLOSE_TOO_SLOW, "too slow: reconnect with your last seq")
    else:
        sub.direct = connection.deliver


async def refuse_for_now(websocket: WebSocket) -> None:
    """The database away for a moment (a restart, say): the handshake is answered 503 with Retry-After, as the API
    answers then, where the server can; else the connection closes with 1013. Pages reconnect on their own."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(problems.busy())
    else:
        await websocket.close(code=CLOSE_TRY_AGAIN, reason="the database is away for a moment: reconnect")


async def send_stream(websocket: WebSocket, backlog: list[Outgoing], sub: Subscription, after: int) -> None:
    """Send the backlog, then each event as it comes and a heartbeat when quiet; ends when the client has gone."""
    with contextlib.suppress(WebSocketDisconnect):  # gone without a close frame: noticed at the next send
        await stream(websocket, backlog, sub, after)


async def stream(websocket: WebSocket, backlog: list[Outgoing], sub: Subscription, after: int) -> None:
    writer = Writer(websocket, after)
    for message in backlog:
        await writer.send(message)
    while True:
        # What queued while this task was busy goes out first, in order ...
        while not sub.queue.empty():
            await writer.send(sub.queue.get_nowait())
        # ... then the hub hands each message straight to the writer (no task woken per message) until a
        # send cannot finish at once (the client's buffer is full): this task finishes it and takes over.
        stalled = writer.stalled = asyncio.get_running_loop().create_future()
        sub.direct = writer.offer
        try:
            await stalled
        finally:
            sub.direct = None
        await writer.finish()


class Writer(Sent):
    """Sends a client on the ASGI path its messages in seq order, once each: awaited by the client's task, or
    offered by the hub."""

    __slots__ = ("pending", "stalled", "websocket")

    def __init__(self, websocket: WebSocket, last: int) -> None:
        super().__init__(last)
        self.websocket = websocket
        self.stalled: asyncio.Future[None] | None = None
        self.pending: tuple[Coroutine[Any, Any, None], Any] | None = None  # a send that could not finish at once

    async def send(self, message: Outgoing) -> None:
        if self.wanted(message):
            await self.websocket.send_text(message.text)

    def offer(self, run: Run) -> int:
        """Send a run of messages now, from the hub's fan-out: how many were taken (sent, or left to finish by the
        client's task when a send must wait); the hub queues the rest behind them."""
        for taken, message in enumerate(run.messages):
            if not self.offer_one(message):
                return taken
        return len(run.messages)

    def offer_one(self, message: Outgoing) -> bool:
        """Send ``message`` now; a send that must wait is left to the client's task. False: not taken."""
        if self.stalled is None or self.stalled.done():
            return False  # the client's task is busy: the message waits in the queue, behind the others
        if not self.wanted(message):
            return True
        write = self.websocket.send_text(message.text)
        try:
            waiting = write.send(None)  # runs until the send is done, or must wait for the socket
        except StopIteration:
            return True
        except BaseException as error:  # the client has gone: its task ends the connection
            self.stalled.set_exception(error)
            return True
        self.pending = (write, waiting)
        self.stalled.set_result(None)
        return True

    async def finish(self) -> None:
        """Complete the send that had to wait: resume it each time what it waits for is done."""
        if self.pending is None:
            return
        write, waiting = self.pending
        self.pending = None
        try:
            while True:
                await (waiting if waiting is not None else asyncio.sleep(0))
                try:
                    waiting = write.send(None)
                except StopIteration:
                    return
        finally:
            write.close()


async def drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, so a close is noticed; oversized frames close it."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()


async def close_quietly(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(code=code, reason=reason), timeout=1)
