"""Several `serve` processes on one PostgreSQL: live events cross between them (NOTIFY or Redis),
and a process killed in the middle of edits loses nothing that was committed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.web.browser import demo_train_with_rte, serving

REDIS_URL = os.environ.get("ARTSYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TRAIN = "SHOP"


@pytest.fixture
def loaded(postgres_url) -> Iterator[tuple[str, str]]:
    yield postgres_url, demo_train_with_rte(postgres_url)


@pytest.fixture(scope="module")
def redis_server() -> str:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        pytest.exit(f"Redis is not reachable at {REDIS_URL} ({exc}); `make test` starts it", returncode=3)
    return REDIS_URL


def board_of(base: str, token: str) -> dict:
    return httpx.get(f"{base}/api/v1/trains/{TRAIN}/board", headers={"Authorization": f"Bearer {token}"}).json()


def planned_cards(base: str, token: str) -> list[dict]:
    return [c for c in board_of(base, token)["cards"] if c["iteration"] is not None]


def move(base: str, token: str, card: dict, iteration) -> httpx.Response:
    return httpx.patch(
        f"{base}/api/v1/cards/{card['id']}",
        json={"iteration": iteration},
        headers={"Authorization": f"Bearer {token}", "If-Match": f'"{card["version"]}"'},
        timeout=10,
    )


def live_url(base: str, after: int = 0) -> str:
    return base.replace("http://", "ws://") + f"/api/v1/trains/{TRAIN}/live?after={after}"


def receive_events(socket, count: int) -> list[dict]:
    events = []
    while len(events) < count:
        message = json.loads(socket.recv(timeout=10))
        if message["type"] == "event":
            events.append(message)
    return events


@pytest.mark.parametrize("relay", ["postgresql", "redis"])
def test_a_change_through_one_process_reaches_a_client_of_the_other(loaded, relay, request) -> None:
    url, token = loaded
    env = {"ARTSYNC_REDIS_URL": request.getfixturevalue("redis_server")} if relay == "redis" else {}
    with serving(url, env=env) as first, serving(url, env=env) as second:
        headers = {"Authorization": f"Bearer {token}"}
        seq = board_of(first, token)["seq"]
        with connect(live_url(second, after=seq), additional_headers=headers) as socket:
            card = planned_cards(first, token)[0]
            assert move(first, token, card, None).status_code == 200
            [event] = receive_events(socket, 1)
    assert (event["seq"], event["entity_id"], event["after"]["iteration"]) == (seq + 1, card["ref"], None)


def test_killing_a_process_mid_edits_loses_no_committed_edit(loaded) -> None:
    url, token = loaded
    headers = {"Authorization": f"Bearer {token}"}
    committed = []
    with serving(url) as editor:
        cards = planned_cards(editor, token)[:12]
        start = board_of(editor, token)["seq"]
        with serving(url) as doomed, connect(live_url(doomed, after=start), additional_headers=headers) as socket:
            for card in cards[:6]:
                response = move(editor, token, card, None)
                assert response.status_code == 200
                committed.append(card["ref"])
            seen = receive_events(socket, 3)  # the client has some of it when its server dies
            os.kill(doomed.process.pid, signal.SIGKILL)
        for card in cards[6:]:
            assert move(editor, token, card, None).status_code == 200
            committed.append(card["ref"])
        # The client reconnects (to the surviving process) with its last seq and catches up.
        last = seen[-1]["seq"]
        with connect(live_url(editor, after=last), additional_headers=headers) as socket:
            rest = receive_events(socket, len(committed) - len(seen))
    seqs = [e["seq"] for e in seen + rest]
    assert seqs == list(range(start + 1, start + 1 + len(committed)))  # no gap, no duplicate, in order
    assert [e["entity_id"] for e in seen + rest] == committed


def test_a_websocket_frame_over_64_kib_closes_the_connection(loaded) -> None:
    from websockets.exceptions import ConnectionClosed

    url, token = loaded
    with (
        serving(url) as server,
        connect(live_url(server), additional_headers={"Authorization": f"Bearer {token}"}) as socket,
    ):
        socket.send("x" * (65 * 1024))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                socket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_under_serve_a_live_connection_streams_answers_pings_and_closes_when_its_token_is_revoked(loaded) -> None:
    """Under `serve` a live connection is taken over from uvicorn once accepted (``web/live_socket``): it still gets
    each event, answers the client's pings, and closes with 4401 as soon as its token is revoked elsewhere."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session
    from websockets.exceptions import ConnectionClosed

    from artsync.services.auth import revoke_token
    from tests.personas import ADMIN

    url, token = loaded
    with serving(url) as server:
        seq = board_of(server, token)["seq"]
        with connect(live_url(server, after=seq), additional_headers={"Authorization": f"Bearer {token}"}) as socket:
            card = planned_cards(server, token)[0]
            assert move(server, token, card, 1 + card["iteration"] % 4).status_code == 200
            (event,) = receive_events(socket, 1)
            assert event["seq"] == seq + 1 and event["entity_id"] == card["ref"]
            assert socket.ping().wait(timeout=10), "no pong"
            engine = create_engine(url)
            with Session(engine) as db:
                revoke_token(db, actor=ADMIN, prefix=token)
            engine.dispose()
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    socket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_stopping_serve_tells_open_live_connections_to_reconnect(loaded) -> None:
    from websockets.exceptions import ConnectionClosed

    url, token = loaded
    with (
        serving(url) as server,
        connect(live_url(server), additional_headers={"Authorization": f"Bearer {token}"}) as socket,
    ):
        socket.recv(timeout=10)  # streaming: the log from the start
        server.process.terminate()
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                socket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012


def test_of_serve_workers_2_notify_one_worker_sends_the_notifications(loaded) -> None:
    """Both workers could route and send (the outbox claims each message); one does, the one holding the
    notifier's lock — the other finds no findings for it and loads nothing of it."""
    url, token = loaded
    env = {"ARTSYNC_NOTIFY_IN_SERVER": "true", "ARTSYNC_NOTIFY_INTERVAL": "0.2"}
    with serving(url, workers=2, env=env) as server:
        seen: dict[int, bool] = {}
        limits = httpx.Limits(max_keepalive_connections=0)  # a fresh connection each time: either worker answers
        with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}, limits=limits) as http:
            for _ in range(400):
                body = http.get("/api/v1/health/worker").json()
                seen[body["pid"]] = body["notifier"]
                if len(seen) == 2 and any(seen.values()):
                    break
    assert len(seen) == 2 and sorted(seen.values()) == [False, True], seen


def worker_pids(server_pid: int) -> list[int]:
    """The uvicorn worker processes under a `serve --workers N` process."""
    children = subprocess.run(["pgrep", "-P", str(server_pid)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in children if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")]


def test_killing_a_worker_of_serve_workers_2_loses_no_committed_edit(loaded) -> None:
    url, token = loaded
    headers = {"Authorization": f"Bearer {token}"}
    committed: list[str] = []
    with serving(url, workers=2) as server:
        cards = planned_cards(server, token)[:10]
        start = board_of(server, token)["seq"]
        workers = worker_pids(server.process.pid)
        assert len(workers) == 2
        for n, card in enumerate(cards):
            if n == 5:
                os.kill(workers[0], signal.SIGKILL)  # in the middle of the edits
            for _ in range(20):  # a request the dead worker had accepted is retried, as a client would
                try:
                    response = move(server, token, card, None)
                except httpx.HTTPError:
                    continue
                if response.status_code == 200:
                    committed.append(card["ref"])
                    break
                if response.status_code == 412:  # it did commit before the worker died
                    committed.append(card["ref"])
                    break
        with connect(live_url(server, after=start), additional_headers=headers) as socket:
            events = receive_events(socket, len(committed))
    assert [e["seq"] for e in events] == list(range(start + 1, start + 1 + len(committed)))
    assert sorted(e["entity_id"] for e in events) == sorted(committed)


def edits_through(server: str, token: str, cards: list[dict], committed: list[str]) -> None:
    """Move each card, retrying while the server cannot reach its database, as a client would."""
    for card in cards:
        for _ in range(60):
            try:
                response = move(server, token, card, None)
            except httpx.HTTPError:
                continue
            if response.status_code in (200, 412):  # 412: it did commit, and the answer was lost
                committed.append(card["ref"])
                break
            assert response.status_code == 503, response.text  # the database away: try again
            time.sleep(0.2)  # pacing a retry, not timing anything
        else:
            raise AssertionError(f"{card['ref']} could not be moved in 60 tries")


def caught_up(server: str, token: str, after: int, count: int) -> list[dict]:
    """What a client that (re)connects with its last seq receives; like a page, it tries again on a 503 (the
    database away for a moment: a worker whose pool still held connections from before a restart)."""
    for _ in range(20):
        try:
            with connect(live_url(server, after=after), additional_headers={"Authorization": f"Bearer {token}"}) as ws:
                return receive_events(ws, count)
        except InvalidStatus as refused:
            assert refused.response.status_code == 503, refused.response.body
            time.sleep(0.2)  # pacing a retry, not timing anything
    raise AssertionError("the live channel refused 20 times")


def test_a_postgresql_restart_mid_edits_loses_nothing_acknowledged(loaded) -> None:
    url, token = loaded
    committed: list[str] = []
    with serving(url, workers=2) as server:
        cards = planned_cards(server, token)[:10]
        start = board_of(server, token)["seq"]
        edits_through(server, token, cards[:5], committed)
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True, timeout=120
        )
        edits_through(server, token, cards[5:], committed)
        events = caught_up(server, token, start, len(committed))
    assert [e["seq"] for e in events] == list(range(start + 1, start + 1 + len(committed)))
    assert sorted(e["entity_id"] for e in events) == sorted(committed)


def test_a_redis_restart_mid_edits_loses_no_live_event(loaded, redis_server) -> None:
    url, token = loaded
    env = {"ARTSYNC_REDIS_URL": redis_server}
    committed: list[str] = []
    with serving(url, env=env) as editor, serving(url, env=env) as other:
        cards = planned_cards(editor, token)[:10]
        start = board_of(editor, token)["seq"]
        headers = {"Authorization": f"Bearer {token}"}
        with connect(live_url(other, after=start), additional_headers=headers) as socket:
            edits_through(editor, token, cards[:5], committed)
            subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False, timeout=30)
            try:
                edits_through(editor, token, cards[5:8], committed)  # Redis is down: the log still carries them
            finally:
                start_redis(redis_server)
            edits_through(editor, token, cards[8:], committed)
            events = receive_events(socket, len(committed))
    assert [e["seq"] for e in events] == list(range(start + 1, start + 1 + len(committed)))
    assert [e["entity_id"] for e in events] == committed


def start_redis(url: str) -> None:
    """Start Redis again as `make test` does, and wait until it answers."""
    subprocess.run(
        ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "",
         "--appendonly", "no"], check=True, timeout=30,
    )  # fmt: skip
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            return
        except redis.RedisError:
            time.sleep(0.1)  # waiting for the server to come up, not timing anything
    raise AssertionError("Redis did not come back")


@pytest.mark.parametrize("relay", ["postgresql", "redis"])
def test_a_command_line_edit_reaches_an_open_board_without_the_poll(loaded, relay, request) -> None:
    url, token = loaded
    env = {"ARTSYNC_LIVE_POLL_INTERVAL": "600"}  # the hub's look at the log never comes within this test
    if relay == "redis":
        env["ARTSYNC_REDIS_URL"] = request.getfixturevalue("redis_server")
    with serving(url, env=env) as server:
        card = planned_cards(server, token)[0]
        seq = board_of(server, token)["seq"]
        headers = {"Authorization": f"Bearer {token}"}
        with connect(live_url(server, after=seq), additional_headers=headers) as socket:
            moved = subprocess.run(
                [sys.executable, "-m", "artsync", "card", "move", card["ref"], "--to", "unplanned", "--db", url],
                capture_output=True, text=True, env={**os.environ, **env}, check=False,
            )  # fmt: skip
            assert moved.returncode == 0, moved.stderr
            [event] = receive_events(socket, 1)
    assert (event["seq"], event["entity_id"], event["after"]["iteration"]) == (seq + 1, card["ref"], None)
