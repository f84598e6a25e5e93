"""A served app on a real database (SQLite and PostgreSQL) with the demo personas signed up."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from artsync.formats.demo import demo_plan
from artsync.services.auth import create_token
from artsync.services.people import add_user
from artsync.services.plans import import_plan
from artsync.settings import Settings
from artsync.web.app import create_app
from tests.personas import ADMIN

TRAIN = "SHOP"
TEAM, OTHER_TEAM = "Atlas", "Orion"
PASSWORD = "demo-password"
SIGN_IN = {"rte", "member", "other_member"}
ROLES = {
    "rte": ("rte", None),
    "product_manager": ("product_manager", None),
    "business_owner": ("business_owner", None),
    "product_owner": ("product_owner", TEAM),
    "scrum_master": ("scrum_master", TEAM),
    "member": ("member", TEAM),
    "viewer": ("viewer", None),
    "other_member": ("member", OTHER_TEAM),
}


@dataclass
class Served:
    client: TestClient
    tokens: dict[str, str]
    database_url: str

    def as_(self, persona: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[persona]}"}


@pytest.fixture
def served(engine, database_url) -> Iterator[Served]:
    tokens = populate(engine)
    app = create_app(Settings(database_url=database_url))
    with TestClient(app, base_url="http://testserver") as client:
        yield Served(client, tokens, database_url)


def populate(engine) -> dict[str, str]:
    """The small demo train and its people, one per persona; their API tokens, by persona."""
    tokens = {}
    with Session(engine, expire_on_commit=False) as db:
        import_plan(db, actor=ADMIN, plan=demo_plan("small"))
        for persona, (role, team) in ROLES.items():
            # Hashing is slow on purpose; only the people who sign in through the browser get a password.
            password = PASSWORD if persona in SIGN_IN else None
            add_user(db, actor=ADMIN, name=persona, train_key=TRAIN, role=role, team_key=team, password=password)
            tokens[persona] = create_token(db, actor=ADMIN, user_name=persona).token
    return tokens


def sign_in(client: TestClient, name: str, password: str = PASSWORD, next: str = "/") -> httpx.Response:
    """Sign in through the form, as a browser does: the form's login token comes from GET /login."""
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token is not None, "the sign-in page has no login token"
    form = {"name": name, "password": password, "next": next, "login_token": token.group(1)}
    return client.post("/login", data=form, follow_redirects=False)


def card_of(served: Served, team: str, planned: bool = True) -> dict:
    board = served.client.get(f"/api/v1/trains/{TRAIN}/board", headers=served.as_("rte")).json()
    return next(c for c in board["cards"] if c["team"] == team and (c["iteration"] is not None) == planned)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for a module's browser tests."""
    from tests.web.browser import chromium

    try:
        with chromium() as launched:
            yield launched
    except RuntimeError as missing:
        pytest.fail(str(missing))
