"""PI set-up and capacity over HTTP."""

from __future__ import annotations

from datetime import date, timedelta

from tests.web.conftest import TEAM, TRAIN, Served

BASE = f"/api/v1/trains/{TRAIN}"


def current_pi(served: Served) -> dict:
    pis = served.client.get(f"{BASE}/pis", headers=served.as_("viewer")).json()["pis"]
    return next(p for p in pis if p["current"])


def test_the_rte_sets_up_the_next_pi_in_draft(served: Served) -> None:
    start = date.fromisoformat(current_pi(served)["end"]) + timedelta(days=1)
    body = {"key": "NEXT", "start": start.isoformat(), "iteration_weeks": 2, "iterations": 6}
    refused = served.client.post(f"{BASE}/pis", json=body, headers=served.as_("product_owner"))
    assert refused.status_code == 403
    created = served.client.post(f"{BASE}/pis", json=body, headers=served.as_("rte"))
    assert created.status_code == 201
    assert (created.json()["state"], len(created.json()["iterations"]), created.json()["iterations"][-1]["is_ip"]) == (
        "draft",
        6,
        True,
    )
    overlapping = served.client.post(f"{BASE}/pis", json={**body, "key": "OTHER"}, headers=served.as_("rte"))
    assert overlapping.status_code == 422 and "overlaps NEXT" in overlapping.json()["detail"]
    moved = served.client.post(f"{BASE}/pis/NEXT/advance", json={}, headers=served.as_("rte"))
    assert moved.status_code == 200 and moved.json()["state"] == "planning"
    assert current_pi(served)["key"] == "NEXT"


def test_a_holiday_shows_as_lower_capacity_on_the_board(served: Served) -> None:
    pi = current_pi(served)
    monday = date.fromisoformat(pi["iterations"][1]["start"])
    teams = served.client.get(f"{BASE}/capacity", headers=served.as_("viewer")).json()["teams"]
    before = next(t for t in teams if t["iterations"][1]["adjusted"] is None)
    added = served.client.post(
        f"{BASE}/holidays", json={"day": monday.isoformat(), "name": "Spring Day"}, headers=served.as_("rte")
    )
    assert added.status_code == 201 and added.json()["seq"]
    teams = served.client.get(f"{BASE}/capacity", headers=served.as_("viewer")).json()["teams"]
    after = next(t for t in teams if t["key"] == before["key"])
    cell = after["iterations"][1]
    assert cell["holidays"] == 1 and cell["availability"] == 0.9
    assert cell["capacity"] == int(before["velocity"] * 0.9 + 0.5)
    board = served.client.get(f"{BASE}/board", headers=served.as_("viewer")).json()
    team = next(t for t in board["teams"] if t["key"] == after["key"])
    assert team["cells"][1]["capacity"] == cell["capacity"]
    assert served.client.get(f"{BASE}/calendar", headers=served.as_("viewer")).json()["holidays"] == [
        {"day": monday.isoformat(), "name": "Spring Day"}
    ]


def test_leave_needs_the_team_size_then_lowers_the_teams_capacity(served: Served) -> None:
    pi = current_pi(served)
    first = date.fromisoformat(pi["iterations"][0]["start"])
    leave = {"team": TEAM, "person": "ana", "first": first.isoformat(), "last": (first + timedelta(days=4)).isoformat()}
    no_size = served.client.post(f"{BASE}/leave", json=leave, headers=served.as_("product_owner"))
    assert no_size.status_code == 422 and "give the team its size first" in no_size.json()["detail"]
    sized = served.client.patch(f"{BASE}/teams/{TEAM}", json={"size": 5}, headers=served.as_("product_owner"))
    assert sized.status_code == 200
    assert served.client.post(f"{BASE}/leave", json=leave, headers=served.as_("product_owner")).status_code == 201
    team = next(
        t
        for t in served.client.get(f"{BASE}/capacity", headers=served.as_("viewer")).json()["teams"]
        if t["key"] == TEAM
    )
    assert (team["size"], team["iterations"][0]["leave_days"], team["iterations"][0]["availability"]) == (5, 5, 0.9)
    gone = served.client.delete(f"{BASE}/leave/{TEAM}/ana/{first.isoformat()}", headers=served.as_("product_owner"))
    assert gone.status_code == 200


def test_the_team_adjusts_its_own_capacity_and_clears_it(served: Served) -> None:
    path = f"{BASE}/capacity/{TEAM}/2"
    assert served.client.put(path, json={"points": 7}, headers=served.as_("member")).status_code == 403
    assert served.client.put(path, json={"points": 7}, headers=served.as_("scrum_master")).status_code == 200
    team = next(
        t
        for t in served.client.get(f"{BASE}/capacity", headers=served.as_("viewer")).json()["teams"]
        if t["key"] == TEAM
    )
    assert (team["iterations"][1]["adjusted"], team["iterations"][1]["capacity"]) == (7, 7)
    assert served.client.put(path, json={"points": None}, headers=served.as_("scrum_master")).status_code == 200
    bad = served.client.put(f"{BASE}/capacity/{TEAM}/99", json={"points": 7}, headers=served.as_("rte"))
    assert bad.status_code == 422 and "out of range" in bad.json()["detail"]
