"""`artsync serve --notify`: the server itself routes and sends, so a change reaches a subscriber's inbox."""

from __future__ import annotations

import threading

from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from artsync.formats.demo import demo_plan
from artsync.services.notifications import subscribe
from artsync.services.people import add_user
from artsync.services.plans import import_plan
from artsync.settings import Settings
from artsync.web.app import create_app
from tests.personas import ADMIN
from tests.services.test_notifications import free_port


class Arrivals:
    def __init__(self) -> None:
        self.subjects: list[str] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        self.subjects.append(envelope.content.decode(errors="replace"))
        self.arrived.set()
        return "250 OK"


def test_a_change_reaches_the_subscriber_through_the_server(engine, database_url) -> None:
    from artsync.services.auth import create_token

    with Session(engine, expire_on_commit=False) as db:
        import_plan(db, actor=ADMIN, plan=demo_plan("small"))
        add_user(db, actor=ADMIN, name="mia", train_key="SHOP", role="member", team_key="Atlas")
        add_user(db, actor=ADMIN, name="rita", train_key="SHOP", role="rte")
        subscribe(db, actor=ADMIN, train_key="SHOP", person="mia", email="mia@example.org", teams=["Atlas"])
        token = create_token(db, actor=ADMIN, user_name="rita").token
    inbox, port = Arrivals(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        settings = Settings(database_url=database_url, notify_in_server=True, notify_interval=0.2,
                            smtp_host="127.0.0.1", smtp_port=port)  # fmt: skip
        with TestClient(create_app(settings)) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            board = client.get("/api/v1/trains/SHOP/board").json()
            card = next(c for c in board["cards"] if c["team"] == "Atlas" and c["iteration"] == 1)
            moved = client.patch(f"/api/v1/cards/{card['id']}", json={"iteration": 2},
                                 headers={"If-Match": f'"{card["version"]}"'})  # fmt: skip
            assert moved.status_code == 200
            assert inbox.arrived.wait(timeout=60), "no mail arrived"
        assert len(inbox.subjects) == 1 and f"moved {card['ref']} from" in inbox.subjects[0]
    finally:
        smtp.stop()
