"""The server-rendered pages of the 40-team train, as a live page reads itself again (X-Partial: main).

In a room every open page reads itself again after a burst of edits (`static/js/page.js`), so what one costs is
multiplied by the people who have it open. Printed per page, on PostgreSQL, CPU of the process (server and client
in one, medians of 5): read again at the same seq (another person's refresh after the same change), and the first
read after a card moved (the worker brings its board up, and derives the page's findings, backlog or forecast
anew). Flags: --reads (5). Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parents[1]))
from artsync.services.cards import move_card
from artsync.services.trains import get_plan
from artsync.settings import Settings
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=5, help="reads per page and case (5)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    with schemas(1) as (url,):
        token = train_with_token(url, "train", key="FLEET")
        print(f"the machine: {machine()}")
        print("pages of the 40-team train read again by a live page, CPU per read (medians):")
        app = create_app(Settings(database_url=url))
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as http, Session(app.state.engine) as db:
            cards = get_plan(db, actor=OPERATOR, train_key="FLEET").cards
            db.commit()
            moves = iter(range(10_000))

            def move_one() -> None:
                card = cards[next(moves) * 7 % len(cards)]
                move_card(db, actor=OPERATOR, train_key="FLEET", ref=card.ref, to_iteration=1 + next(moves) % 4)

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
