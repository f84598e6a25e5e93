"""The ART events over HTTP: the sync agenda, a meeting and its minutes, impediments, conflicts."""

from __future__ import annotations

from datetime import date, timedelta

from tests.web.conftest import TEAM, TRAIN, Served

BASE = f"/api/v1/trains/{TRAIN}"


def test_the_rte_holds_an_art_sync_over_the_api(served: Served) -> None:
    rte = served.as_("rte")
    assert served.client.post(f"{BASE}/meetings", json={"kind": "art_sync", "day": "2026-11-25"},
                              headers=served.as_("member")).status_code == 403  # fmt: skip
    bad = served.client.post(f"{BASE}/meetings", json={"kind": "standup", "day": "2026-11-25"}, headers=rte)
    assert bad.status_code == 422
    made = served.client.post(f"{BASE}/meetings", json={"kind": "art_sync", "day": "2026-11-25"}, headers=rte).json()
    url = f"{BASE}/meetings/{made['id']}"
    started = served.client.post(f"{url}/start", json={}, headers=rte).json()
    assert started["state"] == "running" and started["agenda"]["findings"]  # no sync before: all findings are new
    status = served.client.put(f"{url}/teams/{TEAM}", json={"status": "at risk", "note": "Waiting"}, headers=rte)
    assert status.status_code == 200 and status.json()["team_status"][TEAM] == {"status": "at risk", "note": "Waiting"}
    due = (date.today() - timedelta(days=1)).isoformat()
    action = served.client.post(
        f"{BASE}/actions", json={"text": "Call the vendor", "owner": "member", "due": due, "meeting": made["id"]},
        headers=rte,
    ).json()  # fmt: skip
    assert action["overdue"] is True
    ended = served.client.post(f"{url}/end", headers=rte).json()
    assert ended["state"] == "ended" and "Call the vendor — member" in ended["minutes"]
    text = served.client.get(f"{url}/minutes", headers=served.as_("viewer"))
    assert text.headers["content-type"].startswith("text/markdown") and "**Atlas**: at risk — Waiting" in text.text
    agenda = served.client.get(f"{BASE}/sync/agenda", headers=served.as_("viewer")).json()
    assert agenda["findings"] == [] and [a["key"] for a in agenda["actions_overdue"]] == [action["key"]]
    closed = served.client.patch(
        f"{BASE}/actions/{action['key']}", json={"state": "done"}, headers=served.as_("member")
    )
    assert closed.status_code == 200 and closed.json()["state"] == "done"


def test_impediments_and_conflicts_over_the_api(served: Served) -> None:
    raised = served.client.post(
        f"{BASE}/impediments", json={"text": "No staging", "team": TEAM}, headers=served.as_("member")
    )
    assert raised.status_code == 201 and raised.json()["level"] == "team"
    key = raised.json()["key"]
    refused = served.client.patch(f"{BASE}/impediments/{key}", json={"owner": "x"}, headers=served.as_("member"))
    assert refused.status_code == 403
    up = served.client.patch(
        f"{BASE}/impediments/{key}", json={"level": "train", "owner": "rte"}, headers=served.as_("product_owner")
    )
    assert up.status_code == 200 and up.json()["level"] == "train"
    later = (date.today() + timedelta(days=6)).isoformat()
    listed = served.client.get(f"{BASE}/impediments?today={later}", headers=served.as_("viewer")).json()
    assert listed["impediments"][0]["aging"] is True

    findings = served.client.get(f"{BASE}/findings", headers=served.as_("viewer")).json()["findings"]
    overload = next(f for f in findings if f["kind"] == "over-capacity")
    drawn = served.client.post(f"{BASE}/conflicts", json={"finding": overload["id"]}, headers=served.as_("member"))
    assert (
        drawn.status_code == 201 and drawn.json()["kind"] == "capacity" and drawn.json()["options"] == [overload["fix"]]
    )
    empty = served.client.post(f"{BASE}/conflicts", json={}, headers=served.as_("member"))
    assert empty.status_code == 422 and "kind and summary" in empty.json()["detail"]
    decided = served.client.put(
        f"{BASE}/conflicts/{drawn.json()['key']}/decision",
        json={"decision": "Move SHOP-140 to I3", "rationale": "I3 has room", "links": ["SHOP-140@Atlas"]},
        headers=served.as_("rte"),
    )
    assert decided.status_code == 200 and decided.json()["status"] == "decided"
    found = served.client.get(f"{BASE}/conflicts?q=room", headers=served.as_("viewer")).json()["conflicts"]
    assert [c["key"] for c in found] == [drawn.json()["key"]]
    logged = served.client.get(f"{BASE}/decisions?state=decided", headers=served.as_("viewer")).json()["decisions"]
    assert logged[0]["links"] == ["SHOP-140@Atlas"] and logged[0]["conflict"] == drawn.json()["key"]


def test_every_teams_status_is_recorded_from_one_form_all_or_none(served: Served) -> None:
    rte = served.as_("rte")
    made = served.client.post(f"{BASE}/meetings", json={"kind": "art_sync", "day": "2026-11-25"}, headers=rte).json()
    url = f"{BASE}/meetings/{made['id']}"
    served.client.post(f"{url}/start", json={}, headers=rte)
    wrong = {TEAM: {"status": "at risk"}, "Nobody": {"status": "on track"}}
    refused = served.client.put(f"{url}/teams", json={"teams": wrong}, headers=rte)
    assert refused.status_code == 404 and "Nobody" in refused.json()["detail"]
    assert served.client.get(url, headers=rte).json()["team_status"] == {}, "nothing recorded from a wrong form"
    reports = {TEAM: {"status": "at risk", "note": "Waiting"}, "Orion": {"status": "on track"}}
    recorded = served.client.put(f"{url}/teams", json={"teams": reports}, headers=rte)
    assert recorded.status_code == 200
    assert recorded.json()["team_status"] == {TEAM: {"status": "at risk", "note": "Waiting"},
                                             "Orion": {"status": "on track", "note": ""}}  # fmt: skip
    seq = served.client.get(f"{BASE}/board", headers=rte).json()["seq"]
    served.client.put(f"{url}/teams", json={"teams": reports}, headers=rte)  # sent again: nothing new to record
    assert served.client.get(f"{BASE}/board", headers=rte).json()["seq"] == seq


def test_the_sync_page_shows_each_team_red_amber_or_green(served: Served) -> None:
    from tests.web.conftest import sign_in

    assert sign_in(served.client, "member").status_code == 303
    text = served.client.get(f"/trains/{TRAIN}/sync").text
    assert 'class="badge rag' in text and "Dependencies in trouble" in text and "Milestones" in text
