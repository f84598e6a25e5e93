"""The edit path and the board on PostgreSQL: what one PATCH of a card costs, and what a board costs.

1. Statements and commits per PATCH, counted on the engine of the app itself (target ≤ 6 statements).
2. Worker CPU per PATCH: `serve --workers 1`, sequential PATCHes, the worker's CPU time from /proc (target ≤ 4 ms).
3. The art demo's board: requests per second from 16 concurrent clients on `serve --workers 2` (target ≥ 500),
   with the CPU of the workers per request.
4. The 40-team train's board made anew (after each change): CPU per board in the process (target ≤ 30 ms).

Flags: --edits (1000), --seconds for the board load (5). Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import uvloop
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parents[1]))
from artsync.domain.permissions import Actor
from artsync.formats.demo import demo_plan
from artsync.services.auth import create_token
from artsync.services.board import Board as BoardResult
from artsync.services.board import board_now
from artsync.services.cards import add_card, move_card
from artsync.services.dependencies import add_dependency
from artsync.services.objectives import add_objective
from artsync.services.people import add_user
from artsync.services.plans import import_plan
from artsync.settings import Settings
from artsync.store.db import make_engine, migrate
from artsync.views.board import Board
from artsync.web.app import create_app
from live import serve, stop
from support.light_http import hammer
from support.postgres import schemas
from support.procs import cpu_seconds, machine, workers

OPERATOR = Actor.local("bench")


def train_with_token(url: str, size: str, key: str = "PAY") -> str:
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as db:
        import_plan(db, actor=OPERATOR, plan=demo_plan(size))
        add_user(db, actor=OPERATOR, name="bench", train_key=key, role="rte")
        token = create_token(db, actor=OPERATOR, user_name="bench").token
    engine.dispose()
    return token


def move(http: httpx.Client | TestClient, card: dict) -> None:
    """Move the card to the next iteration (1–4), keeping its version."""
    iteration = 1 + (card["iteration"] % 4)
    response = http.patch(
        f"/api/v1/cards/{card['id']}", json={"iteration": iteration}, headers={"If-Match": f'"{card["version"]}"'}
    )
    if response.status_code != 200:
        sys.exit(f"the edit failed: {response.status_code} {response.text[:200]}")
    body = response.json()
    card["iteration"], card["version"] = body["iteration"], body["version"]


def planned_cards(http: httpx.Client | TestClient) -> list[dict]:
    return [c for c in http.get("/api/v1/trains/PAY/board").json()["cards"] if c["iteration"]][:50]


def statements_per_edit(url: str, token: str) -> None:
    """Statements per PATCH: from the card as the process remembers it (``services/card_memory``: the cards of the
    current PI as it started, then as edited or heard) only the write; a card it does not remember (added since it
    started, or its memory dropped) is read, then written."""
    app = create_app(Settings(database_url=url))
    counted = {"statements": 0, "commits": 0}
    engine = app.state.engine

    def count(what: str) -> Callable[..., None]:
        return lambda *_: counted.__setitem__(what, counted[what] + 1)

    event.listen(engine, "before_cursor_execute", count("statements"))
    event.listen(engine, "commit", count("commits"))
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as http:
        cards = planned_cards(http)
        move(http, cards[0])  # the caller is looked up once, then remembered
        figures = []
        for forgotten in (False, True):  # each card's first edit since the start, then one it does not remember
            counted.update(statements=0, commits=0)
            for card in cards[1:21]:
                if forgotten:
                    app.state.cards.forget(card["id"])
                move(http, card)
            figures.append((counted["statements"] / 20, counted["commits"] / 20))
    (first, first_commits), (plain, plain_commits) = figures
    print(
        f"  statements per PATCH: {first:.1f} (commits {first_commits:.1f}) for a card the process remembers (its first"
        f" edit included), {plain:.1f} (commits {plain_commits:.1f}) for one it does not (target ≤ 6 statements)"
    )


def cpu_per_edit(url: str, token: str, edits: int) -> None:
    process, base = serve([sys.executable, "-m", "artsync", "serve", "--workers", "1", "--db", url])
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
            cards = planned_cards(http)
            for n in range(100):  # warm up
                move(http, cards[n % len(cards)])
            pids = workers(process.pid)
            spent, began = cpu_seconds(pids), time.perf_counter()
            for n in range(edits):
                move(http, cards[n % len(cards)])
            spent, took = cpu_seconds(pids) - spent, time.perf_counter() - began
        print(
            f"  worker CPU per PATCH: {1000 * spent / edits:.2f} ms (target ≤ 4 ms);"
            f" {1000 * took / edits:.2f} ms per PATCH one after another ({edits} edits)"
        )
    finally:
        stop(process)


def board_rate(url: str, token: str, seconds: float, train: str = "PAY", name: str = "art board") -> None:
    process, base = serve([sys.executable, "-m", "artsync", "serve", "--workers", "2", "--db", url])
    try:
        host, port = base.removeprefix("http://").split(":")
        headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
        board = f"/api/v1/trains/{train}/board"
        uvloop.run(hammer(host, int(port), board, headers, seconds=1, clients=16))  # every worker has the board
        pids = workers(process.pid)
        spent, began = cpu_seconds(pids), time.perf_counter()
        served = uvloop.run(hammer(host, int(port), board, headers, seconds=seconds, clients=16))
        spent, took = cpu_seconds(pids) - spent, time.perf_counter() - began
        print(
            f"  {name}: {served / took:.0f} requests/s from 16 clients on 2 workers (target ≥ 500 for the art board),"
            f" {1000 * spent / served:.2f} ms server CPU each (target ≤ 30 ms for the train board)"
        )
    finally:
        stop(process)


def timed_bring_up(
    db: Session, board: BoardResult, view: Board, times: list[float], what: str
) -> tuple[BoardResult, Board]:
    """The board brought up from ``board`` and its ``view`` after ``what`` (JSON and gzip included), its CPU added
    to ``times``."""
    began = time.process_time()
    later, changed = board_now(db, actor=OPERATOR, train_key="FLEET", since=board)
    assert changed is not None, f"{what}: the board should be brought up, not made anew"
    view = view.brought_up(later, changed)
    gzip.compress(view.model_dump_json().encode(), compresslevel=1)
    times.append(time.process_time() - began)
    db.commit()
    return later, view


def board_cpu(url: str) -> None:
    """The train board's JSON and gzip (the fastest level, as the server compresses a board this big) made anew,
    and brought up from the last one after one card moved, after one dependency was added, after one objective
    was written and after one card was added."""
    engine = make_engine(url)
    anew, brought, linked, aimed, added = [], [], [], [], []
    with Session(engine, expire_on_commit=False) as db:
        for n in range(7):
            began = time.process_time()
            board, _ = board_now(db, actor=OPERATOR, train_key="FLEET")
            view = Board.of(board)
            gzip.compress(view.model_dump_json().encode(), compresslevel=1)
            anew.append(time.process_time() - began)
            db.commit()
            card = board.plan.cards[n * 97]
            move_card(db, actor=OPERATOR, train_key="FLEET", ref=card.ref, to_iteration=None if card.iteration else 1)
            board, view = timed_bring_up(db, board, view, brought, "a card moved")
            consumer, provider = board.plan.cards[n * 97 + 1], board.plan.cards[n * 97 + 500]
            add_dependency(db, actor=OPERATOR, train_key="FLEET", consumer=consumer.ref, provider=provider.ref)
            board, view = timed_bring_up(db, board, view, linked, "a dependency added")
            add_objective(db, actor=OPERATOR, train_key="FLEET", team=consumer.team, text=f"Ship {consumer.feature}")
            board, view = timed_bring_up(db, board, view, aimed, "an objective written")
            carded = {(c.feature, c.team) for c in board.plan.cards}
            feature, team = next((c.feature, t.key) for c in board.plan.cards[n * 97 :] for t in board.plan.teams
                                 if (c.feature, t.key) not in carded)  # fmt: skip
            add_card(db, actor=OPERATOR, train_key="FLEET", feature=feature, team=team, points=3, iteration=2)
            timed_bring_up(db, board, view, added, "a card added")
        counts = (
            db.execute(text("SELECT count(*) FROM teams")).scalar_one(),
            db.execute(text("SELECT count(*) FROM cards")).scalar_one(),
        )
    engine.dispose()
    print(
        f"  train board ({counts[0]} teams, {counts[1]} cards), JSON and gzip, CPU (medians of 7):"
        f" made anew {1000 * statistics.median(anew):.0f} ms; brought up after a card moved"
        f" {1000 * statistics.median(brought):.0f} ms, after a dependency was added"
        f" {1000 * statistics.median(linked):.0f} ms, after an objective was written"
        f" {1000 * statistics.median(aimed):.0f} ms, after a card was added {1000 * statistics.median(added):.0f} ms"
        " (target ≤ 30 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=1000, help="sequential PATCHes for the CPU figure (1000)")
    parser.add_argument("--seconds", type=float, default=5, help="seconds of board requests (5)")
    args = parser.parse_args()
    with schemas(2) as (art, train):
        token = train_with_token(art, "art")
        print(f"the machine: {machine()}")
        print("the edit path and the board, on PostgreSQL (art demo unless said)")
        statements_per_edit(art, token)
        cpu_per_edit(art, token, args.edits)
        board_rate(art, token, args.seconds)
        train_token = train_with_token(train, "train", "FLEET")
        board_rate(train, train_token, args.seconds, "FLEET", "train board (gzip, 40 teams)")
        board_cpu(train)


if __name__ == "__main__":
    main()
