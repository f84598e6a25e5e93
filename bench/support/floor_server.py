"""The floor: the least a live board can do on artsync's own stack, to measure artsync against.

uvicorn + FastAPI, PostgreSQL, the same URLs as artsync: ``PATCH /api/v1/cards/{id}`` is one
statement (the next seq and ``pg_notify`` of the event), and each worker LISTENs and writes every
event straight to its WebSockets. No identity, no versions, no log, no order promise (two
workers' commits may reach a socket out of seq order, which the bench counts): nothing artsync
could skip.

Run by ``bench/live.py`` as ``uvicorn floor_server:app --app-dir bench/support --workers 2``, with the
database in ``FLOOR_DATABASE_URL`` (a psycopg URL whose schema has the sequence ``floor_seq`` and the table
``floor_log``); ``FLOOR_DURABLE=1`` (``live.py --durable-floor``) keeps each event in ``floor_log`` too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

URL = os.environ.get("FLOOR_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
CARDS = 150
# Enough for 100 edits a second (one statement each), and few: the floor serves beside artsync, whose two workers
# may hold up to 80 of PostgreSQL's 100 connections when a room connects at once.
CONNECTIONS = 5
NOTIFY = """SELECT seq, pg_notify('floor_events', '{"type": "event", "seq": ' || seq || '}')
            FROM (SELECT nextval('floor_seq') AS seq) AS next"""
# FLOOR_DURABLE=1: the event is also kept — a row in ``floor_log``, so the commit waits for the disk as artsync's
# must (the floor writes nothing that lasts: its commit skips the WAL flush).
KEPT = """WITH next AS (SELECT nextval('floor_seq') AS seq), kept AS (INSERT INTO floor_log (seq, at) SELECT seq, now()
            FROM next RETURNING seq)
          SELECT seq, pg_notify('floor_events', '{"type": "event", "seq": ' || seq || '}') FROM kept"""
STATEMENT = KEPT if os.environ.get("FLOOR_DURABLE") else NOTIFY
sockets: set[WebSocket] = set()
connections: asyncio.Queue[psycopg.AsyncConnection] = asyncio.Queue()


async def fan_out() -> None:
    """Every event this worker hears goes to every socket it holds."""
    async with await psycopg.AsyncConnection.connect(URL, autocommit=True) as listener:
        await listener.execute("LISTEN floor_events")
        async for note in listener.notifies():
            for socket in list(sockets):
                with contextlib.suppress(Exception):
                    await socket.send_text(note.payload)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    for _ in range(CONNECTIONS):
        connections.put_nowait(await psycopg.AsyncConnection.connect(URL, autocommit=True))
    listening = asyncio.create_task(fan_out())
    yield
    listening.cancel()


app = FastAPI(lifespan=lifespan)


@app.get("/login")
async def ready() -> dict[str, bool]:
    return {"up": True}  # what bench/live.py waits for before it starts


@app.get("/api/v1/trains/{key}/board")
async def board(key: str) -> dict[str, object]:
    connection = await connections.get()
    try:
        seq = (await (await connection.execute("SELECT last_value FROM floor_seq")).fetchone() or (0,))[0]
    finally:
        connections.put_nowait(connection)
    return {"seq": seq, "cards": [{"id": n, "iteration": 1, "version": 1} for n in range(1, CARDS + 1)]}


@app.patch("/api/v1/cards/{card_id}")
async def patch_card(card_id: int, change: dict[str, int | None]) -> dict[str, object]:
    connection = await connections.get()
    try:
        row = await (await connection.execute(STATEMENT)).fetchone()
    finally:
        connections.put_nowait(connection)
    assert row is not None
    return {"id": card_id, "iteration": change.get("iteration"), "version": 1, "seq": row[0]}


@app.websocket("/api/v1/trains/{key}/live")
async def live(websocket: WebSocket, key: str) -> None:
    await websocket.accept()
    sockets.add(websocket)
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        sockets.discard(websocket)
