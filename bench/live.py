"""Live board under load: `serve --workers 2` on PostgreSQL, WebSocket clients, paced edits — beside the floor.

Phase 1: 20 edits per second for 6 s (--seconds), then a burst of 100 edits per second for 5 s.
Phase 2: the same with 10 more clients that never read, shorter (2 s + 2 s), to show
that a client that stops reading does not slow the others.
Before each phase's clock starts, half a second of edits at each of its rates warms the server (unmeasured: a
worker's first edits after start compile its statements and open its connections, several times the steady cost).
Phase 1 runs alternately against artsync and the floor (`bench/support/floor_server.py`: the same stack doing
the least a live board can — one statement per edit, events written straight to the sockets), both serving
throughout, so every figure is printed beside what this machine can do at all, and the ratio.

For every edit, the time from its request (and from its response) to its arrival at each
client is measured; printed are p50 and p99, and the events missing, duplicated or out of
order at each client. Flags: --clients, --rate, --burst-rate, --seconds, --burst-seconds,
--no-floor, --rounds (phase 1 in rounds, alternately against artsync and the floor), --durable-floor (the floor
keeps each event in a table: its commit then waits for the disk, as artsync's must), and --db: the PostgreSQL
server to run on (a fresh schema in it; the machine's own by default), or `sqlite` for artsync on an SQLite file —
one worker, as SQLite takes, and the floor still on PostgreSQL, which its NOTIFY needs. Only loopback addresses
are used; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvloop
from sqlalchemy import text
from sqlalchemy.orm import Session
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.web.browser import free_port, wait_until_up

from artsync.domain.permissions import Actor
from artsync.formats.demo import demo_plan
from artsync.services.auth import create_token
from artsync.services.people import add_user
from artsync.services.plans import import_plan
from artsync.store.db import make_engine, migrate
from support.light_ws import listen as light_listen
from support.postgres import postgres_url, schemas, sqlite_file
from support.procs import cpu_seconds, machine, workers

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "150"))
SUSTAINED = float(os.environ.get("BENCH_SUSTAINED_SECONDS", "6"))  # `make bench` keeps each script under a minute
BURST = float(os.environ.get("BENCH_BURST_SECONDS", "5"))
WARM_UP = 0.5  # seconds at each rate before a phase's clock starts
TRAIN = "PAY"
requested: dict[int, float] = {}  # when each edit's request was sent, by the seq it made


@dataclass
class Client:
    arrivals: dict[int, float] = field(default_factory=dict)
    order_errors: int = 0
    duplicates: int = 0
    last: int = 0


async def listen(url: str, token: str, client: Client, connected: asyncio.Queue[str | None]) -> None:
    """Note when each event arrives (``bench/support/light_ws.py``: raw frames, no timeout per frame — the
    listener must cost less than what it measures); cancelled when the phase ends. A refused handshake is put on
    ``connected`` as its reason."""

    def arrived(seq: int, now: float) -> None:
        if seq in client.arrivals:
            client.duplicates += 1
        elif seq != client.last + 1 and client.last:
            client.order_errors += 1
        client.arrivals.setdefault(seq, now)
        client.last = max(client.last, seq)

    try:
        await light_listen(url, {"Authorization": f"Bearer {token}"}, arrived, lambda: connected.put_nowait(None))
    except (OSError, RuntimeError) as exc:
        connected.put_nowait(str(exc))


async def idle(url: str, token: str, stop: asyncio.Event) -> None:
    """A client that connects and never reads."""
    try:
        async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_queue=1):
            await stop.wait()
    except Exception:  # being dropped by the server is the expected outcome
        pass


async def edit(base: str, token: str, plan: list[tuple[float, int]], cards: list[dict]) -> dict[int, float]:
    """Send edits at the planned rates; returns the response time of each edit by its seq."""
    responses: dict[int, float] = {}
    requested.clear()
    failures: list[str] = []
    free: asyncio.Queue[dict] = asyncio.Queue()
    for card in cards:
        free.put_nowait(card)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:

        async def one(card: dict) -> None:
            iteration = 1 + (card["iteration"] % 4) if card["iteration"] else 1
            began = time.perf_counter()
            try:
                response = await http.patch(
                    f"/api/v1/cards/{card['id']}",
                    json={"iteration": iteration},
                    headers={"If-Match": f'"{card["version"]}"'},
                )
                done = time.perf_counter()
                if response.status_code == 200:
                    body = response.json()
                    card["iteration"], card["version"] = body["iteration"], body["version"]
                    responses[body["seq"]] = done
                    requested[body["seq"]] = began
                else:
                    failures.append(f"{response.status_code} {response.text[:120]}")
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
            finally:
                free.put_nowait(card)  # always back in the pool, or the pacing loop would wait forever

        tasks = []
        start = time.perf_counter()
        offset = 0.0
        for duration, rate in plan:
            for n in range(int(duration * rate)):
                due = start + offset + n / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                tasks.append(asyncio.create_task(one(await free.get())))
            offset += duration
        await asyncio.gather(*tasks)
    if failures:
        print(f"  {len(failures)} edits failed, e.g. {failures[0]}")
    return responses


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def phase(
    base: str, token: str, cards: list[dict], plan: list[tuple[float, int]], idle_clients: int, cpu: Callable[[], float]
) -> dict:
    """One phase: connect the clients, edit at the planned rates, and gather what arrived where and when;
    ``cpu`` tells the server's CPU seconds so far."""
    board = httpx.get(f"{base}/api/v1/trains/{TRAIN}/board", headers={"Authorization": f"Bearer {token}"}).json()
    url = base.replace("http://", "ws://") + f"/api/v1/trains/{TRAIN}/live?after={board['seq']}"
    stop = asyncio.Event()
    clients = [Client(last=board["seq"]) for _ in range(CLIENTS)]
    connected: asyncio.Queue[str | None] = asyncio.Queue()
    listeners = [asyncio.create_task(listen(url, token, c, connected)) for c in clients]
    idlers = [asyncio.create_task(idle(url, token, stop)) for _ in range(idle_clients)]
    async with asyncio.timeout(30):  # every client connected before the clock starts
        refused = [reason for _ in clients if (reason := await connected.get()) is not None]
    if refused:
        for listener in (*listeners, *idlers):
            listener.cancel()
        raise SystemExit(f"{len(refused)} of {len(clients)} clients could not connect to {base}: {refused[0]}")
    await asyncio.sleep(0.2 if not idle_clients else 1)  # the idle ones too
    # Warm the server before the clock: a second at each rate's pace, unmeasured. Its first edits after start take
    # several times longer than the rest (statements compiled and connections opened in each worker), and a short
    # phase's p99 would be those few edits, not the room's steady state — the floor is warmed alike.
    await edit(base, token, [(WARM_UP, rate) for _, rate in plan], cards)
    warmed = max(requested, default=board["seq"])
    began, spent = time.monotonic(), cpu()
    responses = await edit(base, token, plan, cards)
    last = max(responses, default=warmed)
    with contextlib.suppress(TimeoutError):  # the last events arrive (a client that misses one is counted below)
        async with asyncio.timeout(2):
            while any(c.last < last for c in clients):
                await asyncio.sleep(0.01)
    ended, spent = time.monotonic(), cpu() - spent
    stop.set()
    for listener in listeners:
        listener.cancel()
    await asyncio.gather(*listeners, *idlers, return_exceptions=True)
    sustained_until = warmed + int(plan[0][0] * plan[0][1])
    result = {
        "window": (began, ended),  # on the machine's monotonic clock, as the workers report their pauses
        "cpu": spent,  # the server's CPU over the phase, the edits included
        "edits": len(responses),
        "missing": 0,
        "duplicated": 0,
        "out_of_order": 0,
        "early": 0,
        "sustained": [],
        "burst": [],
        "sustained_from_request": [],
        "burst_from_request": [],
    }
    for c in clients:
        result["duplicated"] += c.duplicates
        result["out_of_order"] += c.order_errors
        for seq, sent in responses.items():
            if seq not in c.arrivals:
                result["missing"] += 1
                continue
            latency = (c.arrivals[seq] - sent) * 1000
            if latency < 0:
                result["early"] += 1  # the event reached the client before the editor had its HTTP response
            part = "sustained" if seq <= sustained_until else "burst"
            result[part].append(max(0.0, latency))
            result[f"{part}_from_request"].append((c.arrivals[seq] - requested[seq]) * 1000)
    return result


def per_message(result: dict) -> float:
    """The server's CPU over the phase per message delivered to a client, in µs (the edits' own CPU included)."""
    deliveries = len(result["sustained"]) + len(result["burst"])
    return 1e6 * result["cpu"] / max(deliveries, 1)


def report(name: str, result: dict) -> None:
    print(f"  {name}: {result['edits']} edits × {CLIENTS} clients")
    for part in ("sustained", "burst"):
        values = result[part]
        if values:
            print(
                f"    {part:9} p50 {statistics.median(values):6.1f} ms   p99 {percentile(values, 99):6.1f} ms"
                f"   ({len(values)} deliveries)"
            )
    print(f"    missing {result['missing']}, duplicated {result['duplicated']}, out of order {result['out_of_order']}")
    print(f"    server CPU per delivered message, the edits included: {per_message(result):.1f} µs")
    deliveries = len(result["sustained"]) + len(result["burst"])
    if deliveries:
        early = 100 * result["early"] / deliveries
        print(f"    {early:.0f}% of deliveries arrived before the editor had its own HTTP response (counted as 0 ms)")
    for part in ("sustained", "burst"):
        values = result[f"{part}_from_request"]
        if values:
            print(
                f"    {part:9} from the edit's request: p50 {statistics.median(values):6.1f} ms"
                f"   p99 {percentile(values, 99):6.1f} ms"
            )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=CLIENTS, help="WebSocket clients (150)")
    parser.add_argument("--rate", type=int, default=20, help="sustained edits per second (20)")
    parser.add_argument("--seconds", type=float, default=SUSTAINED, help="sustained phase, seconds (6)")
    parser.add_argument("--burst-rate", type=int, default=100, help="burst edits per second (100)")
    parser.add_argument("--burst-seconds", type=float, default=BURST, help="burst phase, seconds (5)")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor server")
    parser.add_argument(
        "--durable-floor",
        action="store_true",
        help="the floor keeps each event in a table, its commit waiting for the disk as artsync's does",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="phase 1 in this many rounds, alternately with the floor (2)"
    )
    parser.add_argument(
        "--db", default=None, help="a PostgreSQL URL (the machine's own by default), or `sqlite` for an SQLite file"
    )
    return parser.parse_args()


def serve(command: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base, process)
    return process, base


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


def main() -> None:
    global CLIENTS
    args = arguments()
    CLIENTS = args.clients
    plan = [(args.seconds, args.rate), (args.burst_seconds, args.burst_rate)]
    server = None if args.db == "sqlite" else postgres_url(args.db)
    with ExitStack() as stack:
        floor_url, *ours = stack.enter_context(schemas(1 if args.db == "sqlite" else 2, server))
        url = stack.enter_context(sqlite_file()) if args.db == "sqlite" else ours[0]
        print(f"the machine: {machine()}")
        measure(url, floor_url, args, plan)


def merged(results: list[dict]) -> dict:
    """The rounds of one server's phase as one: their deliveries pooled, their counts and CPU added."""
    whole = {key: [] if isinstance(value, list) else 0 for key, value in results[0].items() if key != "window"}
    for result in results:
        for key in whole:
            whole[key] += result[key]
    return whole


def prepared(url: str) -> str:
    """The art demo and a token of its RTE in the database at ``url``."""
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as db:
        operator = Actor.local("bench")
        import_plan(db, actor=operator, plan=demo_plan("art"))
        add_user(db, actor=operator, name="bench", train_key=TRAIN, role="rte")
        token = create_token(db, actor=operator, user_name="bench").token
    engine.dispose()
    return token


@contextmanager
def serving(command: list[str], env: dict[str, str] | None = None) -> Iterator[tuple[list[int], str]]:
    """A server started with ``command`` (its process and workers' ids, its base URL), stopped at the end."""
    process, base = serve(command, env)
    try:
        yield workers(process.pid), base
    finally:
        stop(process)


def floor_server(floor_url: str) -> list[str]:
    """The floor's command line, its sequence made in the schema at ``floor_url``."""
    floor_engine = make_engine(floor_url)
    with floor_engine.begin() as connection:  # the floor's seqs
        connection.execute(text("CREATE SEQUENCE floor_seq"))
        connection.execute(text("SELECT nextval('floor_seq')"))
        connection.execute(text("CREATE TABLE floor_log (seq bigint PRIMARY KEY, at timestamptz NOT NULL)"))
    floor_engine.dispose()
    return [sys.executable, "-m", "uvicorn", "floor_server:app", "--app-dir", str(Path(__file__).parent / "support"),
            "--workers", "2", "--log-level", "warning"]  # fmt: skip


def measure(url: str, floor_url: str, args: argparse.Namespace, plan: list[tuple[float, int]]) -> None:
    """Phase 1 in rounds, alternately against artsync at ``url`` and the floor at ``floor_url`` (PostgreSQL), both
    serving throughout — a machine whose speed drifts within the minute drifts under both —, then phase 2 against
    artsync."""
    token = prepared(url)
    count, store = (1, "SQLite") if url.startswith("sqlite") else (2, "PostgreSQL")
    with ExitStack() as running:
        pids, base = running.enter_context(
            serving([sys.executable, "-m", "artsync", "serve", "--workers", str(count), "--db", url])
        )
        floor: tuple[list[int], str] | None = None
        if not args.no_floor:
            psycopg_url = floor_url.replace("postgresql+psycopg://", "postgresql://")
            env = {"FLOOR_DATABASE_URL": psycopg_url, "FLOOR_DURABLE": "1" if args.durable_floor else ""}
            floor = running.enter_context(serving(floor_server(floor_url), env=env))
        board = httpx.get(f"{base}/api/v1/trains/{TRAIN}/board", headers={"Authorization": f"Bearer {token}"}).json()
        cards = [c for c in board["cards"] if c["iteration"] is not None][:150]
        floor_cards = httpx.get(f"{floor[1]}/api/v1/trains/{TRAIN}/board").json()["cards"] if floor else []
        rounds = max(1, args.rounds)
        print(
            f"live board: serve --workers {count} on {store}, art demo, {CLIENTS} WebSocket clients;"
            f" phase 1 in {rounds} round{'s' if rounds > 1 else ''}" + (", alternately with the floor" if floor else "")
        )
        each = [(seconds / rounds, rate) for seconds, rate in plan]
        ours: list[dict] = []
        least: list[dict] = []
        floor_pids, floor_base = floor or ([], "")
        for _ in range(rounds):
            ours.append(uvloop.run(phase(base, token, cards, each, idle_clients=0, cpu=lambda: cpu_seconds(pids))))
            if floor:
                least.append(
                    uvloop.run(phase(floor_base, token, floor_cards, each, 0, cpu=lambda: cpu_seconds(floor_pids)))
                )
        first = merged(ours)
        report(
            f"phase 1: {args.rate} edits/s for {args.seconds:g} s, then {args.burst_rate} edits/s for "
            f"{args.burst_seconds:g} s (targets p99 from the request ≤ 30 ms / ≤ 100 ms)",
            first,
        )
        second = uvloop.run(
            phase(
                base,
                token,
                cards,
                [(2, args.rate), (2, args.burst_rate)],
                idle_clients=10,
                cpu=lambda: cpu_seconds(pids),
            )
        )
        report("phase 2: the same (2 s + 2 s) with 10 more clients that never read", second)
        # Compared on the time from the edit's request: the time from its response is often zero.
        base_p99 = percentile(first["sustained_from_request"], 99)
        with_idle = percentile(second["sustained_from_request"], 99)
        print(
            f"  sustained p99 with non-readers / without, from the request: {with_idle / base_p99:.2f}× (target ≤ 2×)"
        )
        if floor:
            compare(first, merged(least), args.durable_floor)


def compare(first: dict, bottom: dict, durable: bool) -> None:
    """The floor's phase 1, and artsync's figures as multiples of it."""
    kept = ", keeping its events" if durable else ""
    report(f"the floor (bench/support/floor_server.py{kept}, 2 workers on PostgreSQL), phase 1", bottom)
    print("  artsync against the floor, from the edit's request:")
    ours_cpu, floor_cpu = per_message(first), per_message(bottom)
    print(
        f"    server CPU per delivered message, the edits included: {ours_cpu:.1f} / {floor_cpu:.1f} µs"
        f" = {ours_cpu / floor_cpu:.1f}× (target ≤ 25 µs)"
    )
    for part in ("sustained", "burst"):
        ours, least = first[f"{part}_from_request"], bottom[f"{part}_from_request"]
        if ours and least:
            print(
                f"    {part:9} p50 {statistics.median(ours):7.1f} / {statistics.median(least):6.1f} ms"
                f" = {statistics.median(ours) / max(statistics.median(least), 0.01):5.1f}×"
                f"   p99 {percentile(ours, 99):7.1f} / {percentile(least, 99):6.1f} ms"
                f" = {percentile(ours, 99) / max(percentile(least, 99), 0.01):5.1f}×"
            )


if __name__ == "__main__":
    main()
