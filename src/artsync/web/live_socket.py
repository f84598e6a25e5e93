"""A live connection once `serve` has answered its handshake: taken over from uvicorn, kept by a small protocol.

A live client only listens. After the handshake and what it missed, every byte the server sends it is an
event's frame — built once for every client (``realtime/hub.Run``) — or a heartbeat, a ping, a close; all it
ever sends back is a ping's answer or a close. Kept by uvicorn until it ends, each connection held its sans-I/O
protocol and parser, a receive queue, the handshake's headers, the ASGI scope, the middleware's frames and two
tasks of its own: about 30 KiB, 15 MiB of each worker's memory in a room of 1,000 people on two workers. Taken
over here, a connection is its transport and one ``Connection``: the hub writes each run of events straight to
it, with no task, queue or timer per connection.

What uvicorn's protocol did for the connection is done here: a client whose unread bytes pass ``BEHIND_LIMIT``
is dropped (4008) and reconnects with its last seq; one timer per process pings every connection and closes
those that did not answer the last ping (1011); a frame or message over ``MAX_MESSAGE`` closes it (1009), an
unmasked or malformed frame too (1002); a close is answered, and a close that is not answered in
``CLOSE_TIMEOUT`` seconds ends the connection; the server stopping closes them all (1012).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import ProtocolError
from websockets.frames import Close, Frame, Opcode

from artsync.realtime.hub import Outgoing, Run, Sent, Subscription

MAX_MESSAGE = 64 * 1024  # the most a client may send in one message, as `serve` tells uvicorn (ws_max_size)
BEHIND_LIMIT = 1024 * 1024  # bytes a client may leave unread (beyond what the kernel holds) before it is dropped
PING_SECONDS = 20.0  # as uvicorn's keep-alive: a ping every 20 s, and the connection closed when it goes unanswered
CLOSE_TIMEOUT = 10.0  # how long a close waits for the client's answer before the connection is cut

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_NO_STATUS = 1005
CLOSE_SERVER_ERROR = 1011
CLOSE_SERVICE_RESTART = 1012
CLOSE_TOO_BIG = 1009
CLOSE_TOO_SLOW = 4008
PING_FRAME = Frame(Opcode.PING, b"artsync").serialize(mask=False)


def close_frame(code: int, reason: str = "") -> bytes:
    """A server's close frame (the reason cut to what a control frame holds)."""
    payload = b"" if code == CLOSE_NO_STATUS else Close(code, reason.encode()[:123].decode(errors="ignore")).serialize()
    return Frame(Opcode.CLOSE, payload).serialize(mask=False)


class Violation(Exception):
    """A client frame the connection must close for: the close code and why."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def next_frame(data: bytes, at: int) -> tuple[int, bool, int, bytes | None, int] | None:
    """The client frame that starts at ``at`` in ``data``: its opcode, whether it ends its message, its length, its
    payload unmasked (control frames only: data frames are only counted) and where the next frame starts. None while
    it has not all arrived; ``Violation`` for a frame a server must refuse (RFC 6455, 5.2)."""
    size = len(data)
    if size - at < 2:
        return None
    first, second = data[at], data[at + 1]
    opcode, fin, length, start = first & 0x0F, bool(first & 0x80), second & 0x7F, at + 2
    if first & 0x70:
        raise Violation(CLOSE_PROTOCOL_ERROR, "reserved bits set: no extension was agreed")
    if not second & 0x80:
        raise Violation(CLOSE_PROTOCOL_ERROR, "a client's frames must be masked")
    if opcode not in (CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG):
        raise Violation(CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode}")
    if opcode >= CLOSE and (length > 125 or not fin):
        raise Violation(CLOSE_PROTOCOL_ERROR, "a control frame is whole and at most 125 bytes")
    if length >= 126:
        width = 2 if length == 126 else 8
        if size - start < width:
            return None
        length, start = int.from_bytes(data[start : start + width], "big"), start + width
    if length > MAX_MESSAGE:
        raise Violation(CLOSE_TOO_BIG, f"a message may be at most {MAX_MESSAGE // 1024} KiB")
    end = start + 4 + length
    if size < end:
        return None
    payload = None
    if opcode >= CLOSE:
        mask = data[start : start + 4]
        payload = bytes(byte ^ mask[i % 4] for i, byte in enumerate(data[start + 4 : end]))
    return opcode, fin, length, payload, end


class Connection(asyncio.Protocol, Sent):
    """One live client of one train, taken over from uvicorn once its handshake was answered."""

    __slots__ = ("buffer", "closing", "heard", "leave", "message", "pinged", "room", "sub", "timer", "transport")

    def __init__(self, transport: Any, sub: Subscription, last: int, room: Room) -> None:
        super().__init__(last)
        self.transport = transport
        self.sub = sub
        self.room = room
        self.leave: Callable[[], None] | None = None  # unsubscribes and stops watching its credential; run once
        self.buffer = b""  # a frame the client sent that has not all arrived
        self.message: int | None = None  # the bytes of the data message under way, while one is
        self.closing = False
        self.heard = True  # whether anything came from the client since the last ping
        self.pinged = False
        self.timer: asyncio.TimerHandle | None = None

    # What the server sends

    def send(self, messages: Iterable[Outgoing]) -> None:
        """Write the messages this client has not had, in one write."""
        data = b"".join(m.frame for m in messages if self.wanted(m))
        if data and not self.closing:
            self.transport.write(data)

    def deliver(self, run: Run) -> int:
        """The hub's fan-out (``Subscription.direct``): the run's frames this client has not had, at once; every
        message is taken — written, or dropped with the client when it has left too much unread."""
        if self.closing:
            return len(run.messages)
        if self.transport.get_write_buffer_size() > BEHIND_LIMIT:
            self.sub.dropped = True
            self.close(CLOSE_TOO_SLOW, "too slow: reconnect with your last seq")
        elif run.first is None or run.first > self.last:  # every one wanted: the frames built once for every client
            if run.last is not None:
                self.last = run.last
            self.transport.write(run.frames)
        else:
            self.send(run.messages)
        return len(run.messages)

    def ping(self) -> None:
        """The keep-alive: a ping, or the close of a client that did not answer the last one."""
        if self.closing:
            return
        if self.pinged and not self.heard:
            self.close(CLOSE_SERVER_ERROR, "keepalive ping timeout")
            return
        self.heard, self.pinged = False, True
        self.transport.write(PING_FRAME)

    def close(self, code: int, reason: str) -> None:
        """Close with ``code``: no event after it; the client's answer ends the connection, or the timeout does."""
        if self.closing:
            return
        self.closing = True
        self.done()
        self.transport.write(close_frame(code, reason))
        self.timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self.transport.abort)

    def done(self) -> None:
        leave, self.leave = self.leave, None
        if leave is not None:
            leave()

    # What the client sends

    def data_received(self, data: bytes) -> None:
        self.heard = True
        data, at = self.buffer + data if self.buffer else data, 0
        try:
            while (frame := next_frame(data, at)) is not None:
                opcode, fin, length, payload, at = frame
                if opcode >= CLOSE:
                    self.control(opcode, payload or b"")
                else:
                    self.count(opcode, fin, length)
        except Violation as refused:
            self.close(refused.code, refused.reason)
            self.transport.close()
            return
        self.buffer = data[at:]

    def count(self, opcode: int, fin: bool, length: int) -> None:
        """A data frame: read and ignored, its message's size checked."""
        if (opcode == CONTINUATION) != (self.message is not None):
            raise Violation(CLOSE_PROTOCOL_ERROR, "a continuation frame continues a message, and only it does")
        total = length + (self.message or 0)
        if total > MAX_MESSAGE:
            raise Violation(CLOSE_TOO_BIG, f"a message may be at most {MAX_MESSAGE // 1024} KiB")
        self.message = None if fin else total

    def control(self, opcode: int, payload: bytes) -> None:
        if opcode == PING and not self.closing:
            self.transport.write(Frame(Opcode.PONG, payload).serialize(mask=False))
        elif opcode == CLOSE:
            if not self.closing:  # the client closes: answer with its code, as the protocol asks
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else CLOSE_NO_STATUS
                self.closing = True
                self.done()
                try:
                    answer = close_frame(code)
                except ProtocolError:  # a code no endpoint may send (1006, 999, 5000, …): the close was malformed
                    answer = close_frame(CLOSE_PROTOCOL_ERROR, "invalid close code")
                self.transport.write(answer)
            self.transport.close()

    def eof_received(self) -> bool | None:
        return None  # the client will send nothing more: the transport closes

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        if self.timer is not None:
            self.timer.cancel()
        self.room.open.discard(self)
        self.done()


class Detached:
    """What uvicorn's protocol is left holding once its connection is taken over: its close and writes go nowhere."""

    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def is_closing(self) -> bool:
        return True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


DETACHED = Detached()


def taken_over_from(send: Any) -> Any:
    """The uvicorn protocol behind an ASGI ``send`` whose connection can be taken over; None under any other server
    (or with middleware between), whose connections stay on the ASGI path."""
    protocol = getattr(send, "__self__", None)
    return protocol if isinstance(protocol, WebSocketsSansIOProtocol) else None


class Room:
    """This process's live connections taken over from uvicorn: pinged by one timer, closed together at the end."""

    def __init__(self, ping_seconds: float = PING_SECONDS) -> None:
        self.ping_seconds = ping_seconds
        self.open: set[Connection] = set()
        self.task: asyncio.Task[None] | None = None

    def take_over(self, protocol: Any, sub: Subscription, last: int) -> Connection | None:
        """Take ``protocol``'s connection, its handshake answered a moment ago: uvicorn forgets it, and what the
        client sends from now on comes here. None when it cannot be (closed meanwhile, or an extension agreed that
        changes its frames): it stays on the ASGI path."""
        transport = protocol.transport
        if (
            not protocol.handshake_complete
            or protocol.close_sent
            or protocol.disconnected
            or protocol.conn.extensions
            or transport.is_closing()
        ):
            return None
        protocol.stop_keepalive()
        protocol.connections.discard(protocol)  # uvicorn's shutdown no longer waits for it: ``stop`` closes it
        protocol.transport = DETACHED  # what uvicorn does once the app returns (close the transport) does nothing
        protocol.close_sent = protocol.disconnected = True
        connection = Connection(transport, sub, last, self)
        transport.set_protocol(connection)
        if protocol.read_paused:
            transport.resume_reading()
        self.open.add(connection)
        return connection

    async def start(self) -> None:
        self.task = asyncio.create_task(self.keep_alive())

    async def keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.ping_seconds)
            for connection in list(self.open):
                connection.ping()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        for connection in list(self.open):
            connection.close(CLOSE_SERVICE_RESTART, "the server is restarting: reconnect with your last seq")
            connection.transport.close()
