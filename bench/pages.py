"""The server-rendered pages of the 40-team train, as a live page reads itself again (X-Partial: main).

The train has committed its plan (a baseline, as after its PI planning), which some pages read.

In a room every open page reads itself again after a burst of edits (`static/js/page.js`), so what one costs is
multiplied by the people who have it open. Printed per page, on PostgreSQL, CPU of the process (server and client
in one, medians of 5): read again at the same seq (another person's refresh after the same change), and the first
read after a card moved (the worker brings its board up, and derives the page's findings, backlog or forecast
anew — with no lag: in a room, the pages that derive from the whole plan are made at most once per
ARTSYNC_FINDINGS_LAG_SECONDS while it changes). Flags: --reads (5). Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parents[1]))
from artsync.formats.plan_format import dump_plan
from artsync.services.cards import move_card
from artsync.services.trains import get_plan
from artsync.settings import Settings
from artsync.store.db import make_engine
from artsync.store.models import BaselineRow, TrainRow
from artsync.web.app import create_app
from edit_path import OPERATOR, train_with_token
from support.postgres import schemas
from support.procs import machine

PAGES = (
    "", "/board", "/backlog", "/findings", "/history", "/planning", "/wsjf", "/roam", "/sync", "/impediments",
    "/conflicts", "/forecast", "/scenarios", "/notifications",
)  # fmt: skip


def cpu_of(read: object) -> float:
    began = time.process_time()
    read()  # type: ignore[operator]
    return time.process_time() - began


def committed(url: str, key: str) -> None:
    """The train as after its PI planning: its plan committed as the PI's baseline (the PI planning page, the ART
    sync's agenda, the cockpit and the report read it)."""
    engine = make_engine(url)
    with Session(engine) as db:
        train = db.scalars(select(TrainRow).where(TrainRow.key == key)).one()
        plan = get_plan(db, actor=OPERATOR, train_key=key)
        db.add(
            BaselineRow(
                train_id=train.id, pi_key=plan.pi.key, committed_by="rita", committed_at=datetime.now(UTC),
                seq=train.last_seq, vote_round=1, vote_average=4.0, override_reason=None, plan=dump_plan(plan),
            )
        )  # fmt: skip
        db.commit()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=5, help="reads per page and case (5)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    with schemas(1) as (url,):
        token = train_with_token(url, "train", key="FLEET")
        committed(url, "FLEET")
        print(f"the machine: {machine()}")
        print("pages of the 40-team train read again by a live page, CPU per read (medians):")
        app = create_app(Settings(database_url=url, findings_lag_seconds=0))  # what making a page anew costs
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as http, Session(app.state.engine) as db:
            cards = list(get_plan(db, actor=OPERATOR, train_key="FLEET").cards)
            db.commit()
            moves = iter(range(10_000))

            def move_one() -> None:
                n = next(moves) * 7 % len(cards)
                card = cards[n]
                to = 1 + (card.iteration or 0) % 4  # another iteration than its own: every move is a change
                move_card(db, actor=OPERATOR, train_key="FLEET", ref=card.ref, to_iteration=to)
                cards[n] = replace(card, iteration=to)

            for page in PAGES:
                path = f"/trains/FLEET{page}"

                def read(path: str = path) -> None:
                    response = http.get(path, headers={"X-Partial": "main"})
                    if response.status_code != 200:
                        sys.exit(f"{path}: {response.status_code} {response.text[:200]}")

                read()
                same = [cpu_of(read) for _ in range(args.reads)]
                after = []
                for _ in range(args.reads):
                    move_one()
                    after.append(cpu_of(read))
                print(
                    f"  {path:28} same seq {1000 * statistics.median(same):6.1f} ms,"
                    f" first after a card moved {1000 * statistics.median(after):6.1f} ms"
                )


if __name__ == "__main__":
    main()
