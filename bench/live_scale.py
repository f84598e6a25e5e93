"""The live board as the room grows: 150, 300, 600 and 1,000 clients on `serve --workers 2`, PostgreSQL, art demo.

At each size: 20 edits per second for 4 s (--seconds, --rate); printed are p50 and p99 from the edit's
request to its arrival at every client, the events missing (a dropped client misses them), duplicated or
out of order, each worker's resident memory, and the garbage collector's pauses in each worker
(`GET /api/v1/health/worker`: while the edits went on, the longest pause over 20 ms and how many there were;
and the longest since the worker started, people joining included). Targets at 1,000 clients:
p99 ≤ 100 ms, nothing missing, ≤ 100 MiB per worker, no pause over 20 ms. Then, on PostgreSQL, what a live
connection itself holds: a fresh server's workers before and after 1,000 connections opened 20 at a time (the
table's clients connect all at once, and a burst's pending handshakes leave their memory with the worker).
Flags: --sizes, --rate, --seconds, and
--db: the PostgreSQL server to run on (the machine's own by default), or `sqlite` (one worker).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from functools import partial
from pathlib import Path

import httpx
import uvloop

import live
from edit_path import train_with_token
from live import percentile, phase, serve, stop
from support import light_ws
from support.postgres import postgres_url, schemas, sqlite_file
from support.procs import cpu_seconds, machine, workers


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_figures(base: str, token: str, workers: int = 2) -> dict[int, dict]:
    """Each worker's own figures (`GET /api/v1/health/worker`): asked on fresh connections until every worker
    has answered (bounded)."""
    found: dict[int, dict] = {}
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits) as http:
        for _ in range(60):
            body = http.get("/api/v1/health/worker").json()
            found[body["pid"]] = body
            if len(found) >= workers:
                break
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="150,300,600,1000", help="client counts (150,300,600,1000)")
    parser.add_argument("--rate", type=int, default=20, help="edits per second (20)")
    parser.add_argument("--seconds", type=float, default=4, help="seconds of edits at each size (4)")
    parser.add_argument(
        "--db", default=None, help="a PostgreSQL URL (the machine's own by default), or `sqlite` for an SQLite file"
    )
    args = parser.parse_args()
    print(f"the machine: {machine()}")
    if args.db == "sqlite":
        with sqlite_file() as url:
            grow(url, args)
    else:
        with schemas(1, postgres_url(args.db)) as (url,):
            grow(url, args)


def grow(url: str, args: argparse.Namespace) -> None:
    """The scale table on the database at ``url``."""
    token = train_with_token(url, "art")
    count, store = (1, "SQLite") if url.startswith("sqlite") else (2, "PostgreSQL")
    process, base = serve([sys.executable, "-m", "artsync", "serve", "--workers", str(count), "--db", url])
    try:
        board = httpx.get(f"{base}/api/v1/trains/PAY/board", headers={"Authorization": f"Bearer {token}"}).json()
        cards = [c for c in board["cards"] if c["iteration"] is not None][:150]
        print(
            f"live board as the room grows: serve --workers {count} on {store},"
            f" {args.rate} edits/s for {args.seconds:g} s"
        )
        print(
            "  clients   p50 ms   p99 ms   missing  dup  order   RSS MiB per worker   GC pauses > 20 ms while editing:"
            " longest ms (how many)   longest since start"
        )
        for size in (int(s) for s in args.sizes.split(",")):
            live.CLIENTS = size
            server = workers(process.pid)
            result = uvloop.run(
                phase(base, token, cards, [(args.seconds, args.rate)], idle_clients=0, cpu=partial(cpu_seconds, server))
            )
            values = result["sustained_from_request"]
            figures = worker_figures(base, token, count)
            memory = " / ".join(f"{resident_mib(pid):.0f}" for pid in figures)
            began, ended = result["window"]
            during = [
                [p["ms"] for p in f["gc_pauses"]["recent"] if began <= p["ended"] <= ended] for f in figures.values()
            ]
            collected = " / ".join(f"{max(d, default=0):.0f} ({len(d)})" for d in during)
            overall = " / ".join(f"{f['gc_pauses']['longest_ms']:.0f}" for f in figures.values())
            print(
                f"  {size:7}  {statistics.median(values):7.1f}  {percentile(values, 99):7.1f}"
                f"   {result['missing']:7}  {result['duplicated']:3}  {result['out_of_order']:5}"
                f"   {memory:>18}   {collected:>15}   {overall}"
            )
        print("  targets at 1,000 clients: p99 ≤ 100 ms, nothing missing, ≤ 100 MiB per worker, no GC pause over 20 ms")
    finally:
        stop(process)
    if count > 1:
        per_connection(url, token, count)


def per_connection(url: str, token: str, workers_count: int, clients: int = 1000, batch: int = 20) -> None:
    """What a live connection itself holds: a fresh server, its workers' memory before and after ``clients``
    connections opened ``batch`` at a time (the table's clients connect all at once: a burst, whose handshakes are
    all pending together and leave their memory with the worker)."""
    process, base = serve([sys.executable, "-m", "artsync", "serve", "--workers", str(workers_count), "--db", url])
    try:
        before = {pid: resident_mib(pid) for pid in worker_figures(base, token, workers_count)}

        async def hold() -> dict[int, dict]:
            live_url = base.replace("http://", "ws://") + "/api/v1/trains/PAY/live?after=2147483647"
            opened = 0

            def connected() -> None:
                nonlocal opened
                opened += 1

            headers = {"Authorization": f"Bearer {token}"}
            listeners: list[asyncio.Task[None]] = []
            for _ in range(0, clients, batch):
                listeners += [
                    asyncio.create_task(light_ws.listen(live_url, headers, noop, connected)) for _ in range(batch)
                ]
                async with asyncio.timeout(30):
                    while opened < len(listeners):
                        await asyncio.sleep(0.005)
            figures = await asyncio.to_thread(worker_figures, base, token, workers_count)
            for listener in listeners:
                listener.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)
            return figures

        after = uvloop.run(hold())
        grown = {pid: resident_mib(pid) - before.get(pid, 0.0) for pid in after}
        connections = {pid: f["live_connections"] for pid, f in after.items()}
        each = 1024 * sum(grown.values()) / max(1, sum(connections.values()))
        print(
            f"memory per live connection: {clients:,} opened {batch} at a time on a fresh server, the workers' RSS"
            f" {' / '.join(f'{m:.0f}' for m in before.values())} MiB before,"
            f" +{' / +'.join(f'{grown[pid]:.1f}' for pid in after)} MiB for"
            f" {' / '.join(str(connections[pid]) for pid in after)} connections: {each:.1f} KiB a connection"
        )
    finally:
        stop(process)


def noop(seq: int, arrived: float) -> None:
    pass


if __name__ == "__main__":
    main()
