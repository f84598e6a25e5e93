"""A WebSocket listener light enough not to be what it measures: raw frames over an asyncio protocol.

A thousand clients at 20 events a second are 20,000 frames a second; a WebSocket library spends tens of
microseconds on each, and on two cores the load generator shares the machine with the server. This one
does the handshake by hand, then only splits the byte stream into frames (server frames are unmasked),
reads the seq of each event and notes when its bytes arrived. It answers pings, and nothing else.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

SEQ = b'"seq": '
EVENT = b'{"type": "event"'


class Listener(asyncio.Protocol):
    """One client: ``on_event(seq, arrived)`` for each event frame, in the order they came."""

    def __init__(self, request: bytes, on_event: Callable[[int, float], None]) -> None:
        self.request = request
        self.on_event = on_event
        self.buffer = bytearray()
        self.upgraded = False
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport subclasses

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        arrived = time.perf_counter()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                self.fail(RuntimeError(self.buffer[: self.buffer.find(b"\r\n")].decode(errors="replace")))
                return
            del self.buffer[: end + 4]
            self.upgraded = True
            self.ready.set_result(None)
        self.frames(arrived)

    def frames(self, arrived: float) -> None:
        buffer, at = self.buffer, 0
        while len(buffer) - at >= 2:
            opcode, length, start = buffer[at] & 0x0F, buffer[at + 1] & 0x7F, at + 2
            if length == 126:
                if len(buffer) - at < 4:
                    break
                length, start = int.from_bytes(buffer[at + 2 : at + 4], "big"), at + 4
            elif length == 127:
                if len(buffer) - at < 10:
                    break
                length, start = int.from_bytes(buffer[at + 2 : at + 10], "big"), at + 10
            if len(buffer) - start < length:
                break
            if opcode == 1 and buffer.startswith(EVENT, start):
                seq_at = buffer.find(SEQ, start, start + length) + len(SEQ)
                end = seq_at
                while 48 <= buffer[end] <= 57:
                    end += 1
                self.on_event(int(buffer[seq_at:end]), arrived)
            elif opcode == 9 and self.transport is not None:  # ping: pong, masked with a zero key
                self.transport.write(bytes([0x8A, 0x80 | length]) + b"\0\0\0\0" + bytes(buffer[start : start + length]))
            elif opcode == 8:
                self.fail(ConnectionError("closed by the server"))
            at = start + length
        del buffer[:at]

    def fail(self, error: Exception) -> None:
        for future in (self.ready, self.closed):
            if not future.done():
                future.set_exception(error)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(exc or ConnectionError("connection lost"))


async def listen(
    url: str, headers: dict[str, str], on_event: Callable[[int, float], None], connected: Callable[[], None]
) -> None:
    """Open ``url`` (ws://host:port/path) and hand every event to ``on_event`` until cancelled or closed."""
    parts = urlsplit(url)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {parts.path}?{parts.query} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(lambda: Listener(request, on_event), parts.hostname, parts.port)
    try:
        await protocol.ready
        connected()
        await protocol.closed
    finally:
        transport.close()
