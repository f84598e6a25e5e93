"""The permission matrix over HTTP, for every write the API has: one table of routes, each with the
action it needs and the team its item belongs to; whether each persona is refused (403) is read off
``domain/permissions.allowed``, so the API cannot drift from the matrix. A route added without a row
here fails ``test_every_write_route_is_in_the_table``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from artsync.domain.permissions import Action, Actor, Grant, Role, allowed
from tests.web.conftest import ROLES, TEAM, TRAIN, Served

BASE = f"/api/v1/trains/{TRAIN}"
T = "/api/v1/trains/{key}"  # the routes as the OpenAPI document names them
SELF = None  # a self-service route: anyone with a role on the train may do it for themself


@dataclass(frozen=True)
class Write:
    method: str
    path: str
    action: Action | None  # None: self-service
    teams: tuple[str | None, ...] = ()
    body: dict[str, Any] | None = None
    query: dict[str, str] = field(default_factory=dict)


CONSUMER, PROVIDER = "SHOP-112@Atlas", "SHOP-113@Atlas"
WRITES = [
    Write("POST", f"{T}/dependencies", Action.CHANGE_DEPENDENCY, (TEAM,), {"consumer": CONSUMER, "provider": PROVIDER}),
    Write("PATCH", f"{T}/dependencies", Action.CHANGE_DEPENDENCY, (TEAM, "Phoenix"), {"state": "committed"},
          {"consumer": "SHOP-125@Atlas", "provider": "SHOP-120@Phoenix"}),
    Write("DELETE", f"{T}/dependencies", Action.CHANGE_DEPENDENCY, (TEAM, "Phoenix"), None,
          {"consumer": "SHOP-125@Atlas", "provider": "SHOP-120@Phoenix"}),
    Write("POST", f"{T}/objectives", Action.EDIT_OBJECTIVE, (TEAM,), {"text": "Refunds in one day", "team": TEAM}),
    Write("PATCH", f"{T}/objectives/{{objective}}", Action.EDIT_OBJECTIVE, (TEAM,), {"text": "Refunds in a day"}),
    Write("PUT", f"{T}/objectives/{{objective}}/business-value", Action.SET_BUSINESS_VALUE, (TEAM,), {"planned": 8}),
    Write("POST", f"{T}/risks", Action.RAISE_RISK, (TEAM,), {"text": "Vendor API may slip", "team": TEAM}),
    Write("PATCH", f"{T}/risks/{{risk}}", Action.ROAM_RISK, (TEAM,), {"roam": "accepted"}),
    Write("PUT", f"{T}/capacity/{{team}}/{{iteration}}", Action.PLAN_CAPACITY, (TEAM,), {"points": 30}),
    Write("PATCH", f"{T}/teams/{{team}}", Action.PLAN_CAPACITY, (TEAM,), {"size": 6}),
    Write("POST", f"{T}/holidays", Action.ADMINISTER, (), {"day": "2026-12-25", "name": "Christmas"}),
    Write("POST", f"{T}/tracker/pull", Action.ADMINISTER),  # refused before "not connected" is said
    Write("POST", f"{T}/tracker/webhook", SELF, (), {"webhookEvent": "jira:issue_updated"}),  # signed, not a person's
    Write("DELETE", f"{T}/holidays/{{day}}", Action.ADMINISTER),
    Write("POST", f"{T}/leave", Action.PLAN_CAPACITY, (TEAM,),
          {"team": TEAM, "person": "Ann", "first": "2026-12-01", "last": "2026-12-02"}),
    Write("DELETE", f"{T}/leave/{{team}}/{{person}}/{{first}}", Action.PLAN_CAPACITY, (TEAM,)),
    Write("POST", f"{T}/cards", Action.EDIT_CARD, (TEAM,), {"feature": "SHOP-101", "team": TEAM, "points": 3}),
    Write("PATCH", "/api/v1/cards/{card_id}", Action.MOVE_CARD, (TEAM,), {"iteration": None}),
    Write("PATCH", "/api/v1/cards/{card_id}", Action.EDIT_CARD, (TEAM,), {"status": "in progress"}),
    Write("DELETE", "/api/v1/cards/{card_id}", Action.EDIT_CARD, (TEAM,)),
    Write("POST", f"{T}/vote", Action.FACILITATE),
    Write("PUT", f"{T}/vote/ballot", Action.VOTE, (), {"fingers": 4}),
    Write("POST", f"{T}/vote/close", Action.FACILITATE),
    Write("POST", f"{T}/wsjf", Action.EDIT_FEATURE, (), {}),
    Write("PUT", f"{T}/wsjf/{{column}}", Action.EDIT_FEATURE, (), {"scores": {"SHOP-101": 1}}),
    Write("POST", f"{T}/wsjf/finish", Action.EDIT_FEATURE),
    Write("PATCH", f"{T}/features/{{feature}}", Action.EDIT_FEATURE, (), {"title": "Checkout, faster"}),
    Write("POST", f"{T}/meetings", Action.FACILITATE, (), {"kind": "art_sync", "day": "2026-12-02"}),
    Write("POST", f"{T}/meetings/{{meeting}}/start", Action.FACILITATE, (), {}),
    Write("PUT", f"{T}/meetings/{{meeting}}/teams/{{team}}", Action.FACILITATE, (), {"status": "on track"}),
    Write("PUT", f"{T}/meetings/{{meeting}}/teams", Action.FACILITATE, (), {"teams": {TEAM: {"status": "on track"}}}),
    Write("POST", f"{T}/meetings/{{meeting}}/outcomes", Action.FACILITATE, (), {"text": "Demo went well"}),
    Write("POST", f"{T}/meetings/{{meeting}}/end", Action.FACILITATE),
    Write("POST", f"{T}/actions", Action.FACILITATE, (), {"text": "Book a room", "owner": "sam", "due": "2026-12-04"}),
    Write("PATCH", f"{T}/actions/{{action}}", Action.FACILITATE, (), {"state": "done"}),
    Write("POST", f"{T}/decisions", Action.FACILITATE, (), {"question": "Ship on Friday?"}),
    Write("PUT", f"{T}/decisions/{{decision}}", Action.FACILITATE, (), {"decision": "Cut scope"}),
    Write("POST", f"{T}/impediments", Action.REPORT, (TEAM,), {"text": "Build server slow", "team": TEAM}),
    Write("PATCH", f"{T}/impediments/{{impediment}}", Action.MANAGE_IMPEDIMENT, (TEAM,), {"note": "Licence ordered"}),
    Write("POST", f"{T}/conflicts", Action.REPORT, (),
          {"kind": "capacity", "summary": "Both need the test lab", "parties": [TEAM, "Orion"]}),
    Write("PATCH", f"{T}/conflicts/{{conflict}}", Action.FACILITATE, (), {"mediator": "rita"}),
    Write("PUT", f"{T}/conflicts/{{conflict}}/decision", Action.FACILITATE, (),
          {"decision": "Share it", "rationale": "Fair"}),
    Write("POST", f"{T}/webhooks", Action.ADMINISTER, (), {"kind": "slack", "url": "https://hooks.example.org/a"}),
    Write("DELETE", f"{T}/webhooks/{{webhook}}", Action.ADMINISTER),
    Write("POST", f"{T}/outbox/{{message}}/retry", Action.ADMINISTER),
    Write("POST", f"{T}/problems", Action.REPORT, (), {"text": "Late integration"}),
    Write("POST", f"{T}/problems/{{problem}}/causes", Action.REPORT, (), {"text": "No shared environment"}),
    Write("POST", f"{T}/problems/{{problem}}/improvements", Action.EDIT_FEATURE, (), {"title": "A second environment"}),
    Write("PUT", f"{T}/subscription", SELF, (), {"email": "me@example.org"}),
    Write("DELETE", f"{T}/subscription", SELF),
    Write("POST", f"{T}/calendar/feeds", SELF),
    Write("DELETE", "/api/v1/calendar/feeds/{prefix}", SELF),
    Write("POST", f"{T}/scenarios", Action.FACILITATE, (), {"name": "Orion halves", "time_limit": 1,
                                                         "changes": ["capacity Orion I1=10"]}),
    Write("POST", f"{T}/scenarios/{{skey}}/changes", Action.FACILITATE, (), {"change": "capacity Orion I2=10"}),
    Write("POST", f"{T}/scenarios/{{skey}}/solve", Action.FACILITATE, (), {"time_limit": 1}),
    Write("POST", f"{T}/scenarios/{{skey}}/solve/stop", Action.FACILITATE),
    Write("POST", f"{T}/scenarios/{{skey}}/accept", Action.FACILITATE, (), {}),
    Write("POST", f"{T}/repair", Action.FACILITATE, (), {"time_limit": 1}),
    # Last: a new PI moved on to planning becomes the board's PI, and a commit ends PI planning.
    Write("POST", f"{T}/pis", Action.ADMINISTER, (), {"key": "PI-NEXT", "start": "2027-03-01"}),
    Write("POST", f"{T}/pis/{{pi}}/advance", Action.ADMINISTER, (), {}),
    Write("POST", f"{T}/commit", Action.FACILITATE, (), {"override_reason": "Committed with its findings"}),
]  # fmt: skip


def actor_of(persona: str) -> Actor:
    role, team = ROLES[persona]
    return Actor(persona, (Grant(TRAIN, Role(role), team),))


def refused(persona: str, write: Write) -> bool:
    """What the matrix says: is this persona refused this write?"""
    if write.action is SELF:
        return False
    return not allowed(actor_of(persona), TRAIN, write.action, write.teams).ok


# What each path parameter stands for in the demo train: items of team Atlas where an item has a team.
VALUES = {
    "key": TRAIN, "team": TEAM, "pi": "PI-NEXT", "iteration": "1", "day": "2026-12-25", "person": "Ann",
    "first": "2026-12-01", "objective": "Atlas-O1", "column": "ubv", "action": "A1", "decision": "D1",
    "impediment": "I3", "conflict": "C1", "webhook": "1", "message": "1", "problem": "P1", "feature": "SHOP-101",
    "risk": "R5", "skey": "S1",
}  # fmt: skip


def fill(served: Served, persona: str, route: str) -> str:
    """The route with its parameters filled in from the demo train."""
    path = route.format_map(DefaultDict(VALUES))
    if "{card_id}" in path:
        board = served.client.get(f"{BASE}/board", headers=served.as_("rte")).json()
        card = next((c["id"] for c in board["cards"] if c["ref"] == "SHOP-116@Atlas"), 2**31 - 1)  # gone: 404
        path = path.replace("{card_id}", str(card))
    if "{meeting}" in path:
        meetings = served.client.get(f"{BASE}/meetings", headers=served.as_("rte")).json()["meetings"]
        path = path.replace("{meeting}", str(meetings[-1]["id"]))
    if "{prefix}" in path:
        made = served.client.post(f"{BASE}/calendar/feeds", headers=served.as_(persona)).json()
        path = path.replace("{prefix}", made["prefix"])
    return path


class DefaultDict(dict[str, str]):
    """Leaves the parameters it does not know as they are, for ``fill`` to look up."""

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


@pytest.fixture
def lived_in(served: Served) -> Served:
    """The served train with its ART events, impediments (one of team Atlas), actions, a decision and a conflict."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from tests.activity import seed_activity
    from tests.personas import ADMIN

    engine = create_engine(served.database_url)
    with Session(engine) as db:
        seed_activity(db, actor=ADMIN, train_key=TRAIN)
    engine.dispose()
    assert served.client.get(f"{BASE}/risks/R5", headers=served.as_("rte")).json()["team"] == TEAM
    made = served.client.post(
        f"{BASE}/impediments", json={"text": "Test data missing", "team": TEAM}, headers=served.as_("rte")
    )
    assert made.json()["key"] == VALUES["impediment"]
    return served


def send(served: Served, persona: str, write: Write) -> Any:
    path = fill(served, persona, write.path)
    headers = {**served.as_(persona), "If-Match": '"1"'}
    return served.client.request(write.method, path, json=write.body, params=write.query, headers=headers)


def test_every_write_route_is_in_the_table(served: Served) -> None:
    document = served.client.get("/api/v1/openapi.json").json()
    routes = {(m.upper(), p) for p, item in document["paths"].items() for m in item if m != "get"}
    missing = sorted(routes - {(w.method, w.path) for w in WRITES})
    assert not missing, f"write routes with no row in the permission table: {missing}"


def test_each_persona_is_refused_exactly_where_the_matrix_says(lived_in: Served) -> None:
    # The writes run in the table's order on one train; for each, those the matrix refuses go first, so that
    # nothing an allowed persona changes can hide a refusal.
    wrong = []
    for write in WRITES:
        for persona in sorted(ROLES, key=lambda persona, write=write: not refused(persona, write)):
            answer = send(lived_in, persona, write)
            if (answer.status_code == 403) != refused(persona, write):
                expected = "403" if refused(persona, write) else "not 403"
                wrong.append(f"{write.method} {write.path} as {persona}: {answer.status_code}, expected {expected}: "
                             f"{answer.text[:120]}")  # fmt: skip
    assert not wrong, "\n".join(wrong)
