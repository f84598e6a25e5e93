"""Simultaneous requests against `artsync serve`: shared by bench/concurrency_sqlite.py (1 worker) and
bench/concurrency_postgresql.py (2 workers), one script per store so that each runs within a minute.

1. 100 simultaneous reads of one card: all answered 200; time until the last answer (target < 2 s).
2. 60 simultaneous edits of 60 different cards: all answered 200 or 412; time until the last (target < 5 s);
   every accepted edit logged, seqs gap-free.
3. An edit storm: 1,000 edits over 50 cards, 250 in flight at any moment, every fifth with a stale If-Match, the rest
   retried once on 412 as the board does; prints accepted, refused, latency p50/p99, and the lost updates found by
   comparing every answer with the log and the cards (must be 0).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parents[2]))
from tests.web.browser import demo_train_with_rte, serving
from tests.web.edit_storm import lost_updates, percentile, storm

from artsync.domain.permissions import Actor
from support.postgres import schemas

OPERATOR = Actor.local("bench")


async def at_once(base: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120, limits=limits) as client:
        board = (await client.get("/api/v1/trains/SHOP/board")).json()
        card = board["cards"][0]
        began = time.perf_counter()
        reads = await asyncio.gather(*(client.get(f"/api/v1/cards/{card['id']}") for _ in range(100)))
        took = time.perf_counter() - began
        ok = sum(r.status_code == 200 for r in reads)
        print(f"  100 simultaneous reads: {ok}/100 answered 200 in {took:.2f} s (target < 2 s)")

        board = (await client.get("/api/v1/trains/SHOP/board")).json()
        cards = board["cards"][:60]
        began = time.perf_counter()
        edits = await asyncio.gather(
            *(
                client.patch(
                    f"/api/v1/cards/{c['id']}",
                    json={"iteration": None if c["iteration"] else 1},
                    headers={"If-Match": f'"{c["version"] - (n % 3 == 0)}"'},
                )
                for n, c in enumerate(cards)
            )
        )
        took = time.perf_counter() - began
        answered = sum(r.status_code in (200, 412) for r in edits)
        accepted = sum(r.status_code == 200 for r in edits)
        events = (await client.get(f"/api/v1/trains/SHOP/events?after={board['seq']}")).json()["events"]
        gap_free = [e["seq"] for e in events] == list(range(board["seq"] + 1, board["seq"] + 1 + accepted))
        print(
            f"  60 simultaneous edits of different cards: {answered}/60 answered (200 or 412) in {took:.2f} s "
            f"(target < 5 s); {accepted} accepted, {len(events)} logged, gap-free: {gap_free}"
        )


async def edit_storm(base: str, token: str) -> None:
    result = await storm(base, token, edits=1000, cards=50, at_once=250, retries=1)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        events = (await client.get(f"/api/v1/trains/SHOP/events?after={result.start_seq}")).json()["events"]
        cards = {c["id"]: c for c in (await client.get("/api/v1/trains/SHOP/board")).json()["cards"]}
    lost = lost_updates(result, events, cards)
    print(
        f"  storm of 1,000 edits over 50 cards (250 in flight) in {result.seconds:.1f} s: "
        f"{result.accepted_count} accepted, "
        f"{result.refused_stale} stale refused, {result.refused_fresh} lost a race (retried), "
        f"{result.unchanged} already there; latency p50 {percentile(result.latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(result.latencies, 0.99) * 1000:.0f} ms; lost updates: {len(lost)}"
    )
    for problem in lost[:5]:
        print(f"    {problem}")


def run(name: str, url: str, workers: int) -> None:
    token = demo_train_with_rte(url)
    print(f"{name} (serve --workers {workers}):")
    with serving(url, workers=workers) as base:
        asyncio.run(at_once(base, token))
        asyncio.run(edit_storm(base, token))


def sqlite() -> None:
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{Path(folder) / 'artsync.db'}", 1)


def postgresql() -> None:
    with schemas() as (url,):
        run("PostgreSQL", url, 2)
