"""Simultaneous requests against a real `artsync serve` (two workers on PostgreSQL, one on SQLite).

A stale edit is refused even when twenty arrive at the same instant; readers never wait for
writers; every accepted change is in the log exactly once, with gap-free seqs.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import postgres_schema
from tests.web.browser import demo_train_with_rte, serving

TRAIN = "SHOP"


@dataclass
class Live:
    base: str
    headers: dict[str, str]

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers=self.headers, timeout=60)

    def board(self) -> dict:
        return self.get(f"/api/v1/trains/{TRAIN}/board").json()

    def events_after(self, seq: int) -> list[dict]:
        return self.get(f"/api/v1/trains/{TRAIN}/events?after={seq}").json()["events"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request, tmp_path_factory) -> Iterator[Live]:
    """One served train per store for the whole module: each test reads the state it starts from."""
    if request.param == "sqlite":
        database_url = f"sqlite:///{tmp_path_factory.mktemp('concurrency') / 'artsync.db'}"
        yield from live_train(database_url, workers=1)
        return
    with postgres_schema(request.getfixturevalue("postgres_admin")) as database_url:
        yield from live_train(database_url, workers=2)


def live_train(database_url: str, workers: int) -> Iterator[Live]:
    token = demo_train_with_rte(database_url)
    with serving(database_url, workers=workers) as base:
        yield Live(base, {"Authorization": f"Bearer {token}"})


def at_once(calls: list[Callable[[httpx.Client], httpx.Response]]) -> list[httpx.Response]:
    """Send every call from its own thread, all released by one barrier; the answers in call order."""
    barrier = threading.Barrier(len(calls))
    answers: list[httpx.Response | BaseException | None] = [None] * len(calls)

    def run(index: int) -> None:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            try:
                answers[index] = calls[index](client)
            except BaseException as exc:  # reported below, with the others
                answers[index] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = [a for a in answers if not isinstance(a, httpx.Response)]
    assert not failures, f"{len(failures)} requests got no answer: {failures[:3]}"
    return [a for a in answers if isinstance(a, httpx.Response)]


def statuses(answers: list[httpx.Response]) -> list[int]:
    return sorted(a.status_code for a in answers)


def test_of_twenty_simultaneous_moves_with_one_if_match_exactly_one_wins(live: Live) -> None:
    board = live.board()
    card = next(c for c in board["cards"] if c["iteration"] == 2)
    twenty_moves_at_once(live, board, card)


def test_of_twenty_simultaneous_moves_of_a_card_the_workers_remember_exactly_one_wins(live: Live) -> None:
    # Moved a few times first, each on a new connection: the workers remember the card, and write its next move in
    # one statement (services/card_memory.py) that must refuse the nineteen others as the read would.
    card = next(c for c in live.board()["cards"] if c["iteration"] == 2)
    for target in (3, 2, 3, 2):  # back where it was: none of the twenty moves below is to where it is
        moved = httpx.patch(f"{live.base}/api/v1/cards/{card['id']}", json={"iteration": target},
                            headers={**live.headers, "If-Match": f'"{card["version"]}"'}, timeout=60)  # fmt: skip
        assert moved.status_code == 200, moved.text
        card = {**card, **moved.json()}
    twenty_moves_at_once(live, live.board(), card)


def twenty_moves_at_once(live: Live, board: dict, card: dict) -> None:
    """Twenty moves of ``card`` at once, all with its version: one is made and logged, nineteen refused with it."""
    url = f"{live.base}/api/v1/cards/{card['id']}"
    headers = {**live.headers, "If-Match": f'"{card["version"]}"'}
    targets = [1, 3, None, 4] * 5
    answers = at_once([lambda c, t=t: c.patch(url, json={"iteration": t}, headers=headers) for t in targets])
    assert statuses(answers) == [200] + [412] * 19
    [winner] = [a.json() for a in answers if a.status_code == 200]
    refused = next(a for a in answers if a.status_code == 412)
    assert refused.json()["current"]["iteration"] == winner["iteration"]
    assert refused.headers["ETag"] == f'"{winner["version"]}"'
    now = live.get(f"/api/v1/cards/{card['id']}").json()
    assert (now["iteration"], now["version"]) == (winner["iteration"], card["version"] + 1)
    events = live.events_after(board["seq"])
    assert [(e["seq"], e["entity_id"]) for e in events] == [(board["seq"] + 1, card["ref"])]


@pytest.mark.parametrize(
    ("item", "field", "change"),
    [
        ("risks/R1", "owner", lambda n: {"roam": "owned", "owner": f"owner {n}"}),
        ("features/SHOP-101", "title", lambda n: {"title": f"Checkout, take {n}"}),
    ],
    ids=["risk-roamed", "feature-edited"],
)
def test_of_twenty_simultaneous_edits_of_one_item_exactly_one_is_kept(live: Live, item, field, change) -> None:
    path = f"/api/v1/trains/{TRAIN}/{item}"
    headers = {**live.headers, "If-Match": live.get(path).headers["ETag"]}
    seq = live.board()["seq"]
    answers = at_once(
        [lambda c, n=n: c.patch(f"{live.base}{path}", json=change(n), headers=headers) for n in range(20)]
    )
    assert statuses(answers) == [200] + [412] * 19
    [winner] = [a.json() for a in answers if a.status_code == 200]
    assert live.get(path).json()[field] == winner[field]
    assert len(live.events_after(seq)) == 1


def test_sixty_simultaneous_edits_of_different_cards_are_all_answered_and_logged_without_gaps(live: Live) -> None:
    board = live.board()
    cards = board["cards"][:60]
    calls = []
    for n, card in enumerate(cards):
        # Every third edit is based on an old version and must be refused; the rest must land.
        version = card["version"] - 1 if n % 3 == 0 else card["version"]
        target = None if card["iteration"] else 1
        headers = {**live.headers, "If-Match": f'"{version}"'}
        url = f"{live.base}/api/v1/cards/{card['id']}"
        calls.append(
            lambda c, url=url, target=target, headers=headers: c.patch(url, json={"iteration": target}, headers=headers)
        )
    answers = at_once(calls)
    expected = [412 if n % 3 == 0 else 200 for n in range(len(cards))]
    assert [a.status_code for a in answers] == expected
    events = live.events_after(board["seq"])
    accepted = sorted(c["ref"] for c, a in zip(cards, answers, strict=True) if a.status_code == 200)
    assert sorted(e["entity_id"] for e in events) == accepted
    assert [e["seq"] for e in events] == list(range(board["seq"] + 1, board["seq"] + 1 + len(accepted)))


def test_a_hundred_simultaneous_reads_all_answer_while_edits_go_on(live: Live) -> None:
    board = live.board()
    card = board["cards"][0]
    url = f"{live.base}/api/v1/cards/{card['id']}"
    reads: list[Callable[[httpx.Client], httpx.Response]] = [
        lambda c: c.get(url, headers=live.headers) for _ in range(100)
    ]
    edits: list[Callable[[httpx.Client], httpx.Response]] = [
        lambda c, other=other: c.patch(
            f"{live.base}/api/v1/cards/{other['id']}",
            json={"iteration": None},
            headers={**live.headers, "If-Match": f'"{other["version"]}"'},
        )
        for other in board["cards"][1:11]
    ]
    answers = at_once(reads + edits)
    assert statuses(answers[:100]) == [200] * 100
    assert statuses(answers[100:]) == [200] * 10


def test_pages_read_at_once_while_cards_move_are_all_answered_and_the_next_is_as_of_the_last_move(live: Live) -> None:
    # Every page reads its plan from the board its worker keeps and brings up (web/routes/trains.BoardCache): forty
    # at once while ten cards move, each answered; a page read after them is as of the last move.
    board = live.board()
    moved = [c for c in board["cards"] if c["iteration"] is not None][20:30]
    pages: list[Callable[[httpx.Client], httpx.Response]] = [
        lambda c, page=page: c.get(f"{live.base}/trains/{TRAIN}/{page}", headers={**live.headers, "X-Partial": "main"})
        for page in ("roam", "planning", "findings", "backlog") * 10
    ]
    edits: list[Callable[[httpx.Client], httpx.Response]] = [
        lambda c, card=card: c.patch(
            f"{live.base}/api/v1/cards/{card['id']}",
            json={"iteration": None},
            headers={**live.headers, "If-Match": f'"{card["version"]}"'},
        )
        for card in moved
    ]
    answers = at_once(pages + edits)
    assert statuses(answers) == [200] * 50
    last = max(a.json()["seq"] for a in answers[40:])
    after = live.get(f"/trains/{TRAIN}/backlog")
    assert after.status_code == 200 and f'<meta name="seq" content="{last}">' in after.text
    unplanned = {c["ref"] for c in live.board()["cards"] if c["iteration"] is None}
    assert {c["ref"] for c in moved} <= unplanned


def test_an_edit_storm_over_fifty_cards_loses_no_update(live: Live) -> None:
    import asyncio

    from tests.web.edit_storm import lost_updates, storm

    token = live.headers["Authorization"].removeprefix("Bearer ")
    result = asyncio.run(storm(live.base, token, edits=200, cards=50, at_once=60))
    events = live.events_after(result.start_seq)
    cards_now = {c["id"]: c for c in live.board()["cards"]}
    assert lost_updates(result, events, cards_now) == []
    assert result.refused_stale == 40  # every deliberately stale edit was refused
    assert result.accepted_count >= 50  # at least one edit of every card got through


def test_of_ten_simultaneous_accepts_of_one_scenario_its_moves_are_made_once(live: Live) -> None:
    answer = httpx.post(f"{live.base}/api/v1/trains/{TRAIN}/repair", json={"time_limit": 5}, headers=live.headers,
                        timeout=60)  # fmt: skip
    assert answer.status_code == 200, answer.text
    repair = answer.json()
    assert repair["state"] == "solved" and repair["moves"], repair
    seq = live.board()["seq"]
    url = f"{live.base}/api/v1/trains/{TRAIN}/scenarios/{repair['key']}/accept"
    answers = at_once([lambda c: c.post(url, json={}, headers=live.headers) for _ in range(10)])
    assert statuses(answers) == [200] + [409] * 9
    assert "only a solved scenario" in next(a for a in answers if a.status_code == 409).json()["detail"]
    moved = [e["entity_id"] for e in live.events_after(seq) if e["entity"] == "card"]
    assert sorted(moved) == sorted(m["ref"] for m in repair["moves"])  # each move made once
    board = {c["ref"]: c["iteration"] for c in live.board()["cards"]}
    assert all(board[m["ref"]] == m["after"] for m in repair["moves"] if m["after"] is not None)


def test_of_ten_simultaneous_solves_of_one_scenario_never_two_run_at_once(live: Live) -> None:
    body = {"name": "Atlas loses a third", "changes": ["capacity Atlas I2=10"], "time_limit": 2}
    made = httpx.post(f"{live.base}/api/v1/trains/{TRAIN}/scenarios", headers=live.headers, json=body, timeout=60)
    assert made.status_code == 201, made.text
    key, seq = made.json()["key"], live.board()["seq"]
    url = f"{live.base}/api/v1/trains/{TRAIN}/scenarios/{key}/solve"
    answers = at_once([lambda c: c.post(url, json={}, headers=live.headers) for _ in range(10)])
    assert set(statuses(answers)) <= {202, 409} and 202 in statuses(answers)
    refused = [a.json()["detail"] for a in answers if a.status_code == 409]
    assert all("is being solved" in detail for detail in refused)
    # Each solve that started ended before the next could start (a quick one may end within the burst).
    log = [
        e["action"] for e in live.events_after(seq) if e["entity_id"] == key and e["action"] in ("solving", "solved")
    ]
    assert log.count("solving") == statuses(answers).count(202)
    assert all(not (a == b == "solving") for a, b in itertools.pairwise(log)), log


def test_reads_far_beyond_the_connections_all_answer(postgres_admin) -> None:
    """Reads are let in fewer at a time than there are connections: a read keeps its connection until FastAPI has
    checked its answer on the routes' thread pool, and with the threads taken by reads waiting for a connection,
    every one waited for the pool's timeout (a 503). Two connections and sixty reads at once made that certain."""
    with postgres_schema(postgres_admin) as database_url:
        token = demo_train_with_rte(database_url)
        with serving(database_url, env={"ARTSYNC_DATABASE_POOL": "2"}) as base:
            headers = {"Authorization": f"Bearer {token}"}
            card = httpx.get(f"{base}/api/v1/trains/{TRAIN}/board", headers=headers).json()["cards"][0]
            url = f"{base}/api/v1/cards/{card['id']}"
            answers = at_once([lambda c: c.get(url, headers=headers) for _ in range(60)])
    assert statuses(answers) == [200] * 60
    assert {a.json()["id"] for a in answers} == {card["id"]}
