"""Scenarios over HTTP: made, changed, solved in the background, compared, accepted; a repair at once."""

from __future__ import annotations

from tests.builders import without_ortools
from tests.web.conftest import TEAM, TRAIN, Served

BASE = f"/api/v1/trains/{TRAIN}"


def wait_for_solves(served: Served) -> None:
    for future in list(served.client.app.state.solves):  # type: ignore[attr-defined]
        future.result(timeout=120)


def test_a_what_if_is_solved_in_the_background_compared_and_accepted(served: Served) -> None:
    body = {"name": f"{TEAM} loses a third", "changes": [f"capacity {TEAM} I4=10"], "time_limit": 5}
    assert served.client.post(f"{BASE}/scenarios", json=body, headers=served.as_("member")).status_code == 403
    made = served.client.post(f"{BASE}/scenarios", json=body, headers=served.as_("rte"))
    assert made.status_code == 201 and made.json()["state"] == "new" and made.json()["key"] == "S1"
    changed = served.client.post(f"{BASE}/scenarios/S1/changes", json={"change": "milestone M1 I4"},
                                 headers=served.as_("rte"))  # fmt: skip
    assert changed.json()["changes"] == [f"capacity {TEAM} I4=10", "milestone M1 I4"]
    started = served.client.post(f"{BASE}/scenarios/S1/solve", json={}, headers=served.as_("rte"))
    assert started.status_code == 202 and started.json()["state"] == "solving"
    wait_for_solves(served)
    solved = served.client.get(f"{BASE}/scenarios/S1", headers=served.as_("viewer")).json()
    assert solved["state"] == "solved" and solved["outcome"] in ("optimal", "feasible", "infeasible")
    assert solved["measures"]["milestones"] >= 1 and solved["gap"] is not None
    table = served.client.get(f"{BASE}/scenarios/compare", headers=served.as_("viewer")).json()
    assert [s["key"] for s in table["scenarios"]] == ["S1"] and "errors" in table["board"]
    accepted = served.client.post(f"{BASE}/scenarios/S1/accept", json={"rationale": "agreed at the ART sync"},
                                  headers=served.as_("rte"))  # fmt: skip
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    board = served.client.get(f"{BASE}/board", headers=served.as_("viewer")).json()
    cards = {c["ref"]: c["iteration"] for c in board["cards"]}
    assert all(cards[m["ref"]] == m["after"] for m in solved["moves"] if m["added"] is None)
    again = served.client.post(f"{BASE}/scenarios/S1/accept", json={}, headers=served.as_("rte"))
    assert again.status_code == 409 and "only a solved scenario" in again.json()["detail"]


def test_a_repair_answers_at_once_and_changes_nothing(served: Served) -> None:
    before = served.client.get(f"{BASE}/board", headers=served.as_("viewer")).json()
    repaired = served.client.post(f"{BASE}/repair", json={"time_limit": 5}, headers=served.as_("rte"))
    assert repaired.status_code == 200 and repaired.json()["kind"] == "repair"
    assert repaired.json()["state"] == "solved" and repaired.json()["measures"] is not None
    after = served.client.get(f"{BASE}/board", headers=served.as_("viewer")).json()
    assert [c["iteration"] for c in after["cards"]] == [c["iteration"] for c in before["cards"]]


def test_bad_scenarios_get_a_clear_4xx(served: Served) -> None:
    bad = served.client.post(f"{BASE}/scenarios", json={"name": "x", "changes": ["more please"]},
                             headers=served.as_("rte"))  # fmt: skip
    assert bad.status_code == 422 and "capacity Phoenix I2=24" in bad.json()["detail"]
    assert served.client.post(f"{BASE}/scenarios", json={"name": "x", "time_limit": 0},
                              headers=served.as_("rte")).status_code == 422  # fmt: skip
    assert served.client.get(f"{BASE}/scenarios/S9", headers=served.as_("viewer")).status_code == 404
    made = served.client.post(f"{BASE}/scenarios", json={"name": "x"}, headers=served.as_("rte")).json()
    stop = served.client.post(f"{BASE}/scenarios/{made['key']}/solve/stop", headers=served.as_("rte"))
    assert stop.status_code == 409 and "not being solved" in stop.json()["detail"]
    unsolved = served.client.post(f"{BASE}/scenarios/{made['key']}/accept", json={}, headers=served.as_("rte"))
    assert unsolved.status_code == 409


def test_a_running_solve_tells_its_progress_to_the_live_boards(served: Served) -> None:
    made = served.client.post(f"{BASE}/scenarios", json={"name": "The whole PI afresh", "kind": "draft",
                                                         "time_limit": 5}, headers=served.as_("rte"))  # fmt: skip
    key = made.json()["key"]
    seq = served.client.get(f"{BASE}/board", headers=served.as_("viewer")).json()["seq"]
    with served.client.websocket_connect(f"{BASE}/live?after={seq}", headers=served.as_("viewer")) as socket:
        started = served.client.post(f"{BASE}/scenarios/{key}/solve", json={}, headers=served.as_("rte"))
        assert started.status_code == 202
        heard = []
        while not any(m.get("entity") == "scenario" and m.get("action") == "solved" for m in heard):
            heard.append(socket.receive_json())
    progress = [m for m in heard if m["type"] == "progress"]
    assert progress and all(m["scenario"] == key for m in progress)
    assert all(m["bound"] is None or m["value"] is None or m["value"] <= m["bound"] + 1e-6 for m in progress)
    solved = served.client.get(f"{BASE}/scenarios/{key}", headers=served.as_("viewer")).json()
    assert solved["state"] == "solved" and solved["progress"] is None  # kept only while it runs


def test_a_scenario_may_be_solved_by_cp_sat_and_says_so(served: Served, monkeypatch) -> None:
    from datetime import date

    from artsync.formats.demo import DEMO_PI_START
    from artsync.services import scenarios

    class PlanningDay(date):  # the draft is made as the PI begins: no iteration is over, every milestone can be met
        @classmethod
        def today(cls) -> date:
            return DEMO_PI_START

    monkeypatch.setattr(scenarios, "date", PlanningDay)
    body = {"name": "Drafted by CP-SAT", "kind": "draft", "time_limit": 5, "solver": "cp-sat"}
    made = served.client.post(f"{BASE}/scenarios", json=body, headers=served.as_("rte"))
    assert made.status_code == 201 and made.json()["solver"] == "cp-sat"
    served.client.post(f"{BASE}/scenarios/{made.json()['key']}/solve", json={}, headers=served.as_("rte"))
    wait_for_solves(served)
    solved = served.client.get(f"{BASE}/scenarios/{made.json()['key']}", headers=served.as_("viewer")).json()
    assert solved["state"] == "solved" and solved["outcome"] in ("optimal", "feasible") and solved["solver"] == "cp-sat"
    assert solved["measures"]["cost_of_delay_avoided"] > 0
    unknown = served.client.post(f"{BASE}/scenarios", json={**body, "solver": "gurobi"}, headers=served.as_("rte"))
    assert unknown.status_code == 422
    without_ortools(monkeypatch)
    missing = served.client.post(f"{BASE}/repair", json={"solver": "cp-sat"}, headers=served.as_("rte"))
    assert missing.status_code == 422 and "OR-Tools, which is not installed" in missing.json()["detail"]
    again = served.client.post(f"{BASE}/scenarios/{made.json()['key']}/solve", json={}, headers=served.as_("rte"))
    assert again.status_code == 422 and "pip install" in again.json()["detail"]
