"""Subscriptions, webhooks and the outbox over HTTP, and the notifications page."""

from __future__ import annotations

from artsync.services.notifications import route
from tests.web.conftest import TEAM, TRAIN, Served, sign_in

BASE = f"/api/v1/trains/{TRAIN}"


def test_people_choose_what_they_hear_and_the_rte_sees_the_outbox(served: Served, engine) -> None:
    from sqlalchemy.orm import Session

    assert served.client.get(f"{BASE}/subscription", headers=served.as_("member")).status_code == 404
    body = {"email": "mia@example.org", "teams": [TEAM], "severity": "error", "decisions": True}
    made = served.client.put(f"{BASE}/subscription", json=body, headers=served.as_("member"))
    assert made.status_code == 200 and made.json()["teams"] == [TEAM] and made.json()["digest"] is True
    bad = served.client.put(f"{BASE}/subscription", json={**body, "teams": ["Nope"]}, headers=served.as_("member"))
    assert bad.status_code == 404 and "Nope" in bad.json()["detail"]
    assert served.client.get(f"{BASE}/subscriptions", headers=served.as_("member")).status_code == 403
    everyone = served.client.get(f"{BASE}/subscriptions", headers=served.as_("rte")).json()["subscriptions"]
    assert [s["person"] for s in everyone] == ["member"]

    unsigned = {"kind": "generic", "url": "https://hooks.example.org/artsync"}
    assert served.client.post(f"{BASE}/webhooks", json=unsigned, headers=served.as_("rte")).status_code == 422
    hook = served.client.post(
        f"{BASE}/webhooks", json={**unsigned, "secret": "a-long-secret"}, headers=served.as_("rte")
    )
    assert hook.status_code == 201 and hook.json()["signed"] is True
    signed = {**unsigned, "secret": "a-long-secret"}
    assert served.client.post(f"{BASE}/webhooks", json=signed, headers=served.as_("member")).status_code == 403

    card = next(c for c in served.client.get(f"{BASE}/board", headers=served.as_("rte")).json()["cards"]
                if c["team"] == TEAM and c["iteration"] == 1)  # fmt: skip
    served.client.patch(f"/api/v1/cards/{card['id']}", json={"iteration": 2},
                        headers={**served.as_("rte"), "If-Match": f'"{card["version"]}"'})  # fmt: skip
    with Session(engine) as db:
        route(db)
    outbox = served.client.get(f"{BASE}/outbox", headers=served.as_("rte")).json()
    assert outbox["counts"]["pending"] == 2  # mia's mail and the webhook's post
    assert {m["recipient"] for m in outbox["messages"]} == {"mia@example.org", str(hook.json()["id"])}
    assert served.client.get(f"{BASE}/outbox", headers=served.as_("member")).status_code == 403

    sign_in(served.client, "rte")
    page = served.client.get(f"/trains/{TRAIN}/notifications").text
    assert "Outbox" in page and "mia@example.org" in page and "hooks.example.org" in page
    sign_in(served.client, "member")
    page = served.client.get(f"/trains/{TRAIN}/notifications").text
    assert "Outbox" not in page and 'value="mia@example.org"' in page and "Make my calendar feed" in page
