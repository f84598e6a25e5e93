"""Pulling a 40-team train from Jira: a full pull, an incremental pull of 50 changes, and a webhook to the board.

The fake Jira of the tests (tests/fakes/jira.py, here without checking every request against the contracts,
which the suite does) holds 2,000 features, 6,000 stories on the teams' boards and 3,000 Blocks links between
stories of different teams. artsync pulls into a SQLite file.

Targets (issue: the tracker connectors): full pull < 30 s, incremental pull < 2 s, webhook to board < 2 s.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.fakes.contracts import running
from tests.fakes.jira import FakeJira, Issue
from tests.web.browser import serving

from artsync.connectors.sync import pull
from artsync.domain.cadence import PI
from artsync.domain.permissions import Actor
from artsync.domain.plan import Plan, Team, Train
from artsync.formats.connection import parse_connection
from artsync.services.auth import create_token
from artsync.services.connections import connect
from artsync.services.people import add_user
from artsync.services.plans import import_plan
from artsync.store.db import make_engine, migrate

TEAMS = [f"Team{n:02d}" for n in range(1, 41)]
SPRINTS = [("2026-11-02", "2026-11-13"), ("2026-11-16", "2026-11-27"), ("2026-11-30", "2026-12-11"),
           ("2026-12-14", "2026-12-25")]  # fmt: skip
OPERATOR = Actor.local("bench")
ENV = {"JIRA_TOKEN": "bench-token", "HOOK": "bench-webhook-secret"}


def project(fake: FakeJira, seed: int = 7) -> None:
    rng = random.Random(seed)
    for board in range(1, 41):
        for s, (start, end) in enumerate(SPRINTS):
            fake.sprint(board, 1000 * board + s + 1, f"{TEAMS[board - 1]} Sprint {s + 1}", start, end)
    stories = []
    number = 10_000
    for f in range(1, 2001):
        fake.add(Issue(f"FLEET-{f}", f"Feature {f}", "Feature"))
        for board in rng.sample(range(1, 41), 3):
            sprint = 1000 * board + rng.randint(1, 4) if rng.random() < 0.8 else None
            fake.add(Issue(f"FLEET-{number}", f"Story {number}", "Story", parent=f"FLEET-{f}", board=board,
                           sprint=sprint, points=float(rng.choice([1, 2, 3, 5, 8]))))  # fmt: skip
            stories.append((f"FLEET-{number}", board))
            number += 1
    for n, issue in enumerate(fake.issues.values()):  # written over the weeks before, a minute apart
        issue.updated = datetime(2026, 10, 1, tzinfo=UTC) + timedelta(minutes=n)
    fake.clock = datetime(2026, 10, 1, tzinfo=UTC) + timedelta(minutes=len(fake.issues))
    links = 0
    while links < 3000:
        (waiting, one), (blocker, other) = rng.sample(stories, 2)
        if one != other:
            fake.link(waiting, blocker)
            links += 1


def connection_file(base: str) -> str:
    teams = "\n".join(f'[[team]]\nname = "{t}"\nboard = {n + 1}\n' for n, t in enumerate(TEAMS))
    return (f'[tracker]\nkind = "jira"\nurl = "{base}"\nuser = "rte@example.com"\ntoken_env = "JIRA_TOKEN"\n'
            f'webhook_secret_env = "HOOK"\nproject = "FLEET"\n[train]\nkey = "FLEET"\n{teams}')  # fmt: skip


def main() -> None:
    fake = FakeJira("FLEET")
    fake.checking = False  # the suite holds every request to the contracts; here only artsync is timed
    with tempfile.TemporaryDirectory() as folder, running(fake):
        project(fake)
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        with Session(engine) as db:
            plan = Plan(Train("FLEET", "Fleet"), PI("PI-2026.4", date(2026, 11, 2), 2, 5, True),
                        tuple(Team(t, t, 60) for t in TEAMS), (), (), (), (), (), ())  # fmt: skip
            import_plan(db, actor=OPERATOR, plan=plan)
            connect(db, actor=OPERATOR, settings=parse_connection(connection_file(fake.base)))
            add_user(db, actor=OPERATOR, name="rita", train_key="FLEET", role="rte")
            token = create_token(db, actor=OPERATOR, user_name="rita").token
            began = time.perf_counter()
            full = pull(db, actor=OPERATOR, train_key="FLEET", environ=ENV)
            full_s = time.perf_counter() - began
            c = full.changes
            print(f"tracker pull of a 40-team Jira project ({len(fake.issues):,} issues, {len(fake.links):,} links)")
            print(f"  full pull: {full_s:.1f} s for {len(c.features_added):,} features, {len(c.cards_added):,} "
                  f"cards, {len(c.dependencies_added):,} dependencies (target < 30 s)")  # fmt: skip
            stories = [i for i in fake.issues.values() if i.type == "Story"]
            for issue in random.Random(3).sample(stories, 50):
                fake.change(issue.key, sprint=1000 * (issue.board or 1) + 4, status="in progress")
            requests = len(fake.seen)
            began = time.perf_counter()
            small = pull(db, actor=OPERATOR, train_key="FLEET", environ=ENV)
            small_s = time.perf_counter() - began
            moved = len(small.changes.cards_moved) + len(small.changes.cards_marked)
            print(f"  incremental pull of 50 changed stories: {small_s:.2f} s, {len(fake.seen) - requests} requests, "
                  f"{moved} card changes (target < 2 s)")  # fmt: skip
        engine.dispose()
        webhook(fake, url, token)


def webhook(fake: FakeJira, url: str, token: str) -> None:
    """A sprint changed in Jira, its webhook, and the time until the board the API serves shows the card moved."""
    with (
        serving(url, env=ENV) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http,
    ):
        board = http.get("/api/v1/trains/FLEET/board").json()
        card = next(c for c in board["cards"] if c["iteration"] == 1 and c["team"] == "Team01")
        story = next(i for i in fake.issues.values() if i.parent == card["feature"] and i.board == 1)
        fake.change(story.key, sprint=1000 + 3)
        body = b'{"webhookEvent": "jira:issue_updated"}'
        signed = "sha256=" + hmac.new(ENV["HOOK"].encode(), body, hashlib.sha256).hexdigest()
        began = time.perf_counter()
        answer = http.post("/api/v1/trains/FLEET/tracker/webhook", content=body, headers={"X-Hub-Signature": signed})
        if answer.status_code != 202:
            sys.exit(f"the webhook was refused: {answer.status_code} {answer.text[:200]}")
        while time.perf_counter() - began < 30:
            now = http.get("/api/v1/trains/FLEET/board").json()
            if next(c for c in now["cards"] if c["ref"] == card["ref"])["iteration"] == 3:
                break
            time.sleep(0.02)  # polling the board, as a client would
        print(f"  webhook to board (the API serves the moved card): {time.perf_counter() - began:.2f} s (target < 2 s)")


if __name__ == "__main__":
    os.environ.update(ENV)
    main()
