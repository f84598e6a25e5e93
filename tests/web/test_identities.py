"""A server remembers who holds a credential for a moment, and forgets the moment a credential or role changes."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from artsync.domain.permissions import Actor
from artsync.services.auth import Credential, revoke_token
from artsync.services.people import add_user, remove_role
from artsync.web import identities
from artsync.web.identities import Caller, Identities
from tests.personas import ADMIN
from tests.web.conftest import TRAIN, Served, sign_in

BOARD = f"/api/v1/trains/{TRAIN}/board"


def caller(name: str = "ann", secret: str = "s1") -> Caller:
    return Caller(Actor(name=name), credential=Credential.of("token", secret))


def test_a_caller_is_remembered_for_its_seconds_then_looked_up_again(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(identities.time, "monotonic", lambda: now[0])
    known = Identities(seconds=1.0)
    ann = caller()
    known.remember(ann, known.generation)
    assert known.recall(ann.credential) == (ann, False)
    now[0] += 0.5
    assert known.recall(ann.credential) == (ann, True)  # served still, and due to be read again
    now[0] += 0.5
    assert known.get(ann.credential) is None
    known.remember(ann, known.generation, read_at=now[0] - 0.75)  # a read that began a while ago counts from then
    assert known.recall(ann.credential) == (ann, True)


def test_forgetting_wins_over_a_lookup_that_began_before_it() -> None:
    known = Identities(seconds=60)
    ann = caller()
    began = known.generation
    known.forget()  # a token was revoked while the lookup was on its way
    known.remember(ann, began)
    assert known.get(ann.credential) is None


def test_no_seconds_means_no_memory_and_the_oldest_go_first() -> None:
    assert Identities(seconds=0).get(caller().credential) is None
    off = Identities(seconds=0)
    off.remember(caller(), off.generation)
    assert off.get(caller().credential) is None
    small = Identities(seconds=60, size=2)
    for n in range(3):
        small.remember(caller(secret=f"s{n}"), small.generation)
    assert small.get(caller(secret="s0").credential) is None
    assert small.get(caller(secret="s2").credential) is not None


def test_signing_out_ends_the_session_at_once_though_it_was_remembered(served: Served) -> None:
    assert sign_in(served.client, "member").status_code == 303
    cookie = served.client.cookies.get("artsync_session")
    assert cookie and served.client.get(BOARD).status_code == 200  # now remembered
    page = served.client.get(f"/trains/{TRAIN}").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    served.client.post("/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    # The cookie a browser (or an attacker) still holds no longer works, the very next request.
    served.client.cookies.set("artsync_session", cookie)
    assert served.client.get(BOARD).status_code == 401


def forgotten(served: Served, generation: int) -> bool:
    """Whether the app's memory of callers was wiped after ``generation`` (waits, bounded, for the NOTIFY)."""
    known: Identities = served.client.app.state.identities  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while known.generation == generation and time.monotonic() < deadline:
        served.client.get("/api/v1/health")  # lets the server's loop hear the notification
    return known.generation > generation


def test_a_token_revoked_by_another_process_is_forgotten(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    viewer = served.as_("viewer")
    assert served.client.get(BOARD, headers=viewer).status_code == 200  # remembered now
    known: Identities = served.client.app.state.identities  # type: ignore[attr-defined]
    generation = known.generation
    engine = create_engine(served.database_url)
    with Session(engine) as db:  # as the command line would, outside the server
        revoke_token(db, actor=ADMIN, prefix=served.tokens["viewer"])
    engine.dispose()
    if served.database_url.startswith("postgresql"):
        # PostgreSQL carries the word in the revoking transaction: the server forgets everyone at once.
        assert forgotten(served, generation)
    else:
        # SQLite without Redis: nobody announces it, and the memory lapses after its second.
        assert served.client.get(BOARD, headers=viewer).status_code == 200
        later = time.monotonic() + 1.5
        monkeypatch.setattr(identities.time, "monotonic", lambda: later)
    assert served.client.get(BOARD, headers=viewer).status_code == 401


def test_a_role_taken_away_is_forgotten_and_a_role_given_is_seen(served: Served) -> None:
    member = served.as_("member")
    other = "/api/v1/trains/SHOP/risks"
    assert served.client.get(other, headers=member).status_code == 200
    known: Identities = served.client.app.state.identities  # type: ignore[attr-defined]
    generation = known.generation
    engine = create_engine(served.database_url)
    with Session(engine) as db:
        remove_role(db, actor=ADMIN, name="member", train_key=TRAIN, role="member")
    if served.database_url.startswith("postgresql"):
        assert forgotten(served, generation)
        assert served.client.get(other, headers=member).status_code == 403
        generation = known.generation
        with Session(engine) as db:
            add_user(db, actor=ADMIN, name="member", train_key=TRAIN, role="viewer")
        assert forgotten(served, generation)
        assert served.client.get(other, headers=member).status_code == 200
    engine.dispose()


def test_health_answers_anyone_and_the_worker_figures_need_credentials(served: Served) -> None:
    up = served.client.get("/api/v1/health")
    assert up.status_code == 200 and up.json()["status"] == "ok"
    assert served.client.get("/api/v1/health/worker").status_code == 401
    worker = served.client.get("/api/v1/health/worker", headers=served.as_("viewer")).json()
    assert worker["rss_bytes"] > 0 and worker["pid"] > 0
    assert set(worker["gc_pauses"]) == {"count", "over_20_ms", "longest_ms", "total_ms", "recent"}


def test_credentials_presented_at_once_are_read_together_and_each_caller_gets_its_own() -> None:
    """A burst of handshakes waits for a read or two, not one each: whatever is presented while a read is under
    way is read next, together; a credential presented twice is read once; a refusal reaches only its own."""
    import asyncio

    from artsync.errors import UnauthenticatedError
    from artsync.web.identities import Lookups

    reads: list[list] = []

    def read(asked: list) -> dict:
        reads.append(list(asked))
        time.sleep(0.01)  # a read takes a moment: what comes meanwhile waits for the next one
        return {p: UnauthenticatedError("the API token is unknown or revoked") if p[1].startswith("bad")
                else (Actor(name=p[1]), None) for p in asked}  # fmt: skip

    async def scenario() -> None:
        known = Identities(seconds=60)
        lookups = Lookups(known, read)
        asked = [("token", f"person{n % 50}") for n in range(100)] + [("token", "bad")] * 3
        results = await asyncio.gather(*(lookups.caller(p) for p in asked), return_exceptions=True)
        for (_, secret), result in zip(asked, results, strict=True):
            if secret == "bad":
                assert isinstance(result, UnauthenticatedError)
            else:
                assert isinstance(result, Caller) and result.actor.name == secret
                assert result.credential == Credential.of("token", secret)
        assert len(reads) <= 2 and sorted(p for batch in reads for p in batch) == sorted(set(asked))
        assert known.get(Credential.of("token", "person7")).actor.name == "person7"  # remembered
        assert not lookups.waiting and lookups.reader is None

    asyncio.run(scenario())


def test_a_caller_that_goes_away_leaves_the_others_waiting_and_trouble_reaches_every_one_waiting() -> None:
    import asyncio

    from artsync.web.identities import Lookups

    gate = __import__("threading").Event()
    failing = [True]

    def read(asked: list) -> dict:
        gate.wait(5)
        if failing[0]:
            raise ConnectionError("the database is away")
        return {p: (Actor(name=p[1]), None) for p in asked}

    async def scenario() -> None:
        lookups = Lookups(Identities(seconds=0), read)
        first, second = (asyncio.create_task(lookups.caller(("token", "ann"))) for _ in range(2))
        await asyncio.sleep(0.01)
        first.cancel()  # a client closed while it waited
        gate.set()
        with pytest.raises(ConnectionError):
            await second  # the read's trouble, as a lookup of its own would have had
        failing[0] = False
        assert (await lookups.caller(("token", "ann"))).actor.name == "ann"  # the next read is made

    asyncio.run(scenario())


def test_a_busy_caller_is_served_while_read_again_and_a_refusal_or_trouble_is_kept_to_its_own_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past half its seconds a remembered caller is still served, and read again beside the request: the request
    does not wait for that read. What the read finds replaces what was remembered; a refusal makes the process
    forget at once; the database's trouble leaves the remembered caller to lapse at its own time."""
    import asyncio
    import threading

    from artsync.errors import UnauthenticatedError
    from artsync.web.deps import caller_of
    from artsync.web.identities import Lookups

    now = [100.0]
    monkeypatch.setattr(identities.time, "monotonic", lambda: now[0])
    gate = threading.Event()
    answers: list[object] = []

    def read(asked: list) -> dict:
        gate.wait(5)
        answer = answers.pop(0)
        if isinstance(answer, Exception) and not isinstance(answer, UnauthenticatedError):
            raise answer
        return {p: answer for p in asked}

    known = Identities(seconds=1.0)
    lookups = Lookups(known, read)
    state = SimpleNamespace(identities=known, lookups=lookups)
    # What caller_of reads of a request: its bearer token and the app's state.
    request = SimpleNamespace(headers={"authorization": "Bearer s1"}, cookies={}, app=SimpleNamespace(state=state))

    async def ask() -> Caller:
        return await caller_of(request)  # type: ignore[arg-type]

    credential = Credential.of("token", "s1")

    async def scenario() -> None:
        known.remember(caller(secret="s1"), known.generation)
        now[0] += 0.6
        assert (await ask()).actor.name == "ann"  # served at once though its read is not done
        assert lookups.reader is not None and ("token", "s1") in lookups.waiting
        assert (await ask()).actor.name == "ann"  # asked again meanwhile: still one read
        answers.append((Actor(name="ann2"), None))
        gate.set()
        await lookups.reader
        assert known.recall(credential) == (Caller(Actor(name="ann2"), None, credential), False)  # fresh again

        gate.clear()
        now[0] += 0.6
        await ask()
        answers.append(ConnectionError("the database is away"))
        gate.set()
        await lookups.reader
        assert known.get(credential) is not None  # trouble: kept until it lapses
        now[0] += 0.5
        with pytest.raises(UnauthenticatedError):  # lapsed now: the request waits for its read, which refuses
            answers.append(UnauthenticatedError("the API token is unknown or revoked"))
            await ask()

        known.remember(caller(secret="s1"), known.generation)
        now[0] += 0.6
        gate.clear()
        assert (await ask()).actor.name == "ann"
        answers.append(UnauthenticatedError("the API token is unknown or revoked"))
        gate.set()
        await lookups.reader
        assert known.get(credential) is None  # refused on its read again: forgotten at once

    asyncio.run(scenario())
