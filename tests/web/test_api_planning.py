"""PI planning over HTTP: breakout cards and risks, objectives and business value, WSJF, the vote, commit."""

from __future__ import annotations

from tests.web.conftest import TEAM, TRAIN, Served

BASE = f"/api/v1/trains/{TRAIN}"


def test_a_team_puts_its_card_on_the_board_and_takes_it_off(served: Served) -> None:
    body = {"feature": "SHOP-150", "team": TEAM, "points": 5, "iteration": 2}
    other = served.client.post(f"{BASE}/cards", json=body, headers=served.as_("other_member"))
    assert other.status_code == 403
    added = served.client.post(f"{BASE}/cards", json=body, headers=served.as_("product_owner"))
    assert added.status_code == 201
    card = added.json()
    assert (card["ref"], card["iteration"], card["points"]) == (f"SHOP-150@{TEAM}", 2, 5)
    again = served.client.post(f"{BASE}/cards", json=body, headers=served.as_("product_owner"))
    assert again.status_code == 409 and "already on the board" in again.json()["detail"]
    stale = served.client.delete(
        f"/api/v1/cards/{card['id']}", headers={**served.as_("product_owner"), "If-Match": '"9"'}
    )
    assert stale.status_code == 412
    removed = served.client.delete(f"/api/v1/cards/{card['id']}", headers=served.as_("product_owner"))
    assert removed.status_code == 200 and removed.json()["removed"] == f"SHOP-150@{TEAM}"
    assert served.client.get(f"/api/v1/cards/{card['id']}", headers=served.as_("product_owner")).status_code == 404


def test_teams_write_objectives_and_only_business_owners_value_them(served: Served) -> None:
    written = served.client.post(
        f"{BASE}/objectives",
        json={"text": "Customers pay by instalment", "team": TEAM, "features": ["SHOP-140"]},
        headers=served.as_("product_owner"),
    )
    assert written.status_code == 201
    key = written.json()["key"]
    url = f"{BASE}/objectives/{key}"
    for persona in ("product_owner", "rte"):
        refused = served.client.put(f"{url}/business-value", json={"planned": 8}, headers=served.as_(persona))
        assert refused.status_code == 403, persona
    too_high = served.client.put(f"{url}/business-value", json={"planned": 11}, headers=served.as_("business_owner"))
    assert too_high.status_code == 422
    valued = served.client.put(f"{url}/business-value", json={"planned": 8}, headers=served.as_("business_owner"))
    assert valued.status_code == 200 and valued.json()["planned_bv"] == 8
    read = served.client.get(url, headers=served.as_("viewer"))
    no_version = served.client.patch(url, json={"committed": False}, headers=served.as_("product_owner"))
    assert no_version.status_code == 428
    edited = served.client.patch(
        url, json={"committed": False}, headers={**served.as_("product_owner"), "If-Match": read.headers["ETag"]}
    )
    assert edited.status_code == 200 and edited.json()["committed"] is False
    listed = served.client.get(f"{BASE}/objectives", headers=served.as_("viewer")).json()["objectives"]
    assert next(o for o in listed if o["key"] == key)["planned_bv"] == 8


def test_a_wsjf_session_is_scored_by_product_management(served: Served) -> None:
    started = served.client.post(
        f"{BASE}/wsjf", json={"features": ["SHOP-140", "SHOP-141"]}, headers=served.as_("product_owner")
    )
    assert started.status_code == 403  # the train backlog's order is not one team's call
    started = served.client.post(
        f"{BASE}/wsjf", json={"features": ["SHOP-140", "SHOP-141"]}, headers=served.as_("product_manager")
    )
    assert started.status_code == 201 and started.json()["remaining"] == ["ubv", "tc", "rroe", "size"]
    bad = served.client.put(
        f"{BASE}/wsjf/ubv", json={"scores": {"SHOP-140": 2, "SHOP-141": 3}}, headers=served.as_("product_manager")
    )
    assert bad.status_code == 422 and "smallest item in a column is 1" in bad.json()["detail"]
    for column, scores in {"ubv": (1, 8), "tc": (1, 5), "rroe": (1, 1), "size": (1, 5)}.items():
        scored = served.client.put(
            f"{BASE}/wsjf/{column}",
            json={"scores": {"SHOP-140": scores[0], "SHOP-141": scores[1]}},
            headers=served.as_("product_manager"),
        )
        assert scored.status_code == 200, scored.text
    done = served.client.post(f"{BASE}/wsjf/finish", headers=served.as_("product_manager")).json()
    assert [r["key"] for r in done["ranking"]] == ["SHOP-140", "SHOP-141"]
    assert done["scorers"]["ubv"]["by"] == "product_manager" and done["state"] == "finished"


def vote_round(served: Served, fingers: dict[str, int]) -> dict:
    assert served.client.post(f"{BASE}/vote", headers=served.as_("rte")).status_code == 201
    for persona, n in fingers.items():
        cast = served.client.put(f"{BASE}/vote/ballot", json={"fingers": n}, headers=served.as_(persona))
        assert cast.status_code == 200 and cast.json()["result"] is None  # nobody sees the tally while it is open
    return served.client.post(f"{BASE}/vote/close", headers=served.as_("rte")).json()


def test_the_train_commits_after_a_rework_round_and_the_baseline_is_kept(served: Served) -> None:
    assert served.client.post(f"{BASE}/vote", headers=served.as_("member")).status_code == 403
    bad = served.client.put(f"{BASE}/vote/ballot", json={"fingers": 6}, headers=served.as_("member"))
    assert bad.status_code == 422
    first = vote_round(served, {"member": 2, "other_member": 2, "product_owner": 3})
    assert first["result"] == {
        "histogram": {"1": 0, "2": 2, "3": 1, "4": 0, "5": 0},
        "count": 3,
        "average": 2.33,
        "passes": False,
    }
    refused = served.client.post(f"{BASE}/commit", json={}, headers=served.as_("rte"))
    assert refused.status_code == 422 and "averaged 2.33" in refused.json()["detail"]
    second = vote_round(served, {"member": 4, "other_member": 3, "product_owner": 4})
    assert second["round"] == 2 and second["result"]["passes"]
    blocked = served.client.post(f"{BASE}/commit", json={}, headers=served.as_("rte"))
    assert blocked.status_code == 422 and "risk R1 is not ROAMed" in blocked.json()["detail"]
    committed = served.client.post(
        f"{BASE}/commit", json={"override_reason": "Risks reviewed with the business owners"}, headers=served.as_("rte")
    )
    assert committed.status_code == 201
    assert committed.json()["override_reason"] == "Risks reviewed with the business owners"
    kept = served.client.get(f"{BASE}/baseline", headers=served.as_("viewer")).json()
    assert (kept["committed_by"], kept["vote_round"], kept["vote_average"]) == ("rte", 2, 3.67)
    assert served.client.get(f"{BASE}/pi", headers=served.as_("viewer")).json()["state"] == "executing"
