"""The ART event pages render for people in every state they pass through, and escape what people wrote."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

from tests.web.conftest import TEAM, TRAIN, Served
from tests.web.conftest import sign_in as sign_in_form

BASE = f"/api/v1/trains/{TRAIN}"
PAGES = ("planning", "wsjf", f"teams/{TEAM}/review", "roam", "sync", "impediments", "conflicts", "findings")


def sign_in(served: Served, name: str = "rte") -> None:
    assert sign_in_form(served.client, name).status_code == 303


def page(served: Served, path: str) -> str:
    response = served.client.get(f"/trains/{TRAIN}/{path}")
    assert response.status_code == 200, response.text[:500]
    return response.text


def test_every_page_renders_before_anything_happened(served: Served) -> None:
    sign_in(served)
    assert "No vote yet" in page(served, "planning")
    assert "Start a WSJF session" in page(served, "wsjf")
    assert "Load against capacity" in page(served, f"teams/{TEAM}/review")
    assert "unROAMed" in page(served, "roam")
    assert "Agenda of the next ART sync" in page(served, "sync")
    assert "Nothing in the way" in page(served, "impediments")
    assert "No conflict yet" in page(served, "conflicts")
    assert "Open as a conflict" in page(served, "findings")
    forecast = page(served, "forecast")
    assert "Chance of making it" in forecast and 'id="milestone-M1"' in forecast
    report = page(served, "report")
    assert "Problem-solving workshop" in report and "<svg" in report and "Burn-up" in report
    assert "Outbox" in page(served, "notifications")


def test_pages_follow_a_meeting_a_vote_and_a_session_through_their_states(served: Served) -> None:
    sign_in(served)
    rte = served.as_("rte")
    served.client.post(
        f"{BASE}/wsjf", json={"features": ["SHOP-140", "SHOP-141"]}, headers=served.as_("product_manager")
    )
    assert "Save user/business value" in page(served, "wsjf")
    served.client.post(f"{BASE}/vote", headers=rte)
    assert "Round <b>1</b> is <b>open</b>" in page(served, "planning")
    served.client.put(f"{BASE}/vote/ballot", json={"fingers": 2}, headers=served.as_("member"))
    served.client.post(f"{BASE}/vote/close", headers=rte)
    assert "Average <b>2.0</b> from 1 votes" in page(served, "planning")
    made = served.client.post(f"{BASE}/meetings", json={"kind": "system_demo", "day": "2026-11-20"}, headers=rte).json()
    assert "Start the meeting" in page(served, f"meetings/{made['id']}")
    served.client.post(f"{BASE}/meetings/{made['id']}/start", json={}, headers=rte)
    served.client.post(
        f"{BASE}/meetings/{made['id']}/outcomes",
        json={"text": "<b>Checkout</b> shown", "feedback": "Faster"},
        headers=rte,
    )
    running = page(served, f"meetings/{made['id']}")
    assert "What was demoed" in running and "&lt;b&gt;Checkout&lt;/b&gt; shown" in running
    served.client.post(f"{BASE}/meetings/{made['id']}/end", headers=rte)
    ended = page(served, f"meetings/{made['id']}")
    assert "Minutes" in ended and "<b>Checkout</b>" not in ended
    served.client.post(f"{BASE}/impediments", json={"text": "No <i>staging</i>", "team": TEAM}, headers=rte)
    due = (date.today() - timedelta(days=1)).isoformat()
    served.client.post(f"{BASE}/actions", json={"text": "Call the vendor", "owner": "member", "due": due}, headers=rte)
    assert '<li class="overdue"><b>A1</b> Call the vendor' in page(served, "sync")
    impediments = page(served, "impediments")
    assert "No &lt;i&gt;staging&lt;/i&gt;" in impediments and "<td>0 d</td>" in impediments
    assert f"raised impediment I1 ({TEAM}): No &lt;i&gt;staging&lt;/i&gt;" in page(served, "history")
    served.client.post(
        f"{BASE}/conflicts", json={"kind": "scope", "summary": "Who owns refunds", "parties": ["Atlas", "Orion"]},
        headers=served.as_("member"),
    )  # fmt: skip
    assert "Who owns refunds" in page(served, "conflicts?q=refunds") and "No conflict matches" in page(
        served, "conflicts?q=nothing+like+it"
    )


def test_a_team_member_sees_the_pages_without_the_rtes_forms(served: Served) -> None:
    served.client.post(f"{BASE}/vote", headers=served.as_("rte"))
    sign_in(served, "member")
    planning = page(served, "planning")
    assert "Open the vote" not in planning and "Close the vote" not in planning
    assert 'data-api="POST /api/v1/trains/SHOP/meetings"' not in page(served, "sync")


def test_forms_start_from_the_persons_own_team(served: Served) -> None:
    sign_in(served, "member")  # a member of TEAM
    for path in ("roam", "impediments", "report"):
        assert f"<option selected>{TEAM}</option>" in page(served, path), path
    sign_in(served, "rte")  # of no team: the train
    assert "<option selected>" not in page(served, "roam")


def test_the_history_comes_a_page_at_a_time_newest_first(served: Served, monkeypatch) -> None:
    from artsync.web.routes import pages

    monkeypatch.setattr(pages, "HISTORY_PAGE", 2)
    sign_in(served)
    for text in ("One", "Two", "Three"):
        served.client.post(f"{BASE}/risks", json={"text": f"Risk {text}"}, headers=served.as_("rte"))
    first = page(served, "history")
    assert first.index("Risk Three") < first.index("Risk Two") and "Risk One" not in first
    older = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = served.client.get(f"/trains/{TRAIN}/history{older}").text
    assert "Risk One" in second and "Risk Three" not in second and ">Newest</a>" in second


def test_the_backlog_finds_filters_and_pages(served: Served, monkeypatch) -> None:
    from artsync.web.routes import pages

    monkeypatch.setattr(pages, "BACKLOG_PAGE", 10)
    sign_in(served)
    first = page(served, "backlog")
    assert first.count("<tr data-key=") == 10 and "page 1 of 6" in first and 'rel="next"' in first
    assert 'list="wsjf-scale"' in first and '<select aria-label="ubv' not in first  # one scale list, no dropdowns
    one = page(served, "backlog?q=SHOP-140")
    assert one.count("<tr data-key=") == 1 and 'data-key="SHOP-140"' in one and "1 feature<" in one
    enablers = page(served, "backlog?kind=enabler")
    assert "business</td>" not in enablers and "enabler</td>" in enablers
    for state, other in (("planned", "unplanned"), ("unplanned", "planned")):
        kept = page(served, f"backlog?state={state}")
        assert f"<td>{state}</td>" in kept and f"<td>{other}</td>" not in kept and "<td>done</td>" not in kept
    last = page(served, "backlog?number=99")
    assert "page 6 of 6" in last and 'rel="prev"' in last and 'rel="next"' not in last


def page_seq(html: str) -> int:
    """The seq a page is as of, which its live channel continues from."""
    found = re.search(r'<meta name="seq" content="(\d+)"', html)
    assert found is not None, "the page says not which seq it is as of"
    return int(found.group(1))


def test_the_pages_show_every_change_after_them_though_they_share_the_workers_board(served: Served) -> None:
    # The pages read their plan from the board this worker keeps and brings up (web/routes/trains.BoardCache):
    # a risk, an objective, a card moved, a feature added must each show on the next page read — in a quiet room,
    # where each read comes after the lag of the pages that derive from the whole plan (a clock a minute on each time).
    served.client.app.state.boards.clock = itertools.count(0, 60).__next__
    sign_in(served)
    rte, owner = served.as_("rte"), served.as_("product_owner")
    cockpit = f"/trains/{TRAIN}"
    assert "Supplier may be late" not in page(served, "roam") + served.client.get(cockpit).text
    assert served.client.post(f"{BASE}/risks", json={"text": "Supplier may be late"}, headers=rte).status_code == 201
    assert "Supplier may be late" in page(served, "roam")
    assert "Supplier may be late" in served.client.get(cockpit).text  # the cockpit is made once per seq as well
    review = f"teams/{TEAM}/review"
    assert "Customers pay by instalment" not in page(served, review)
    written = served.client.post(
        f"{BASE}/objectives", json={"text": "Customers pay by instalment", "team": TEAM}, headers=owner
    )
    assert written.status_code == 201
    assert "Customers pay by instalment" in page(served, review)
    card = next(c for c in served.client.get(f"{BASE}/board", headers=rte).json()["cards"] if c["team"] == TEAM)
    moved = served.client.patch(
        f"/api/v1/cards/{card['id']}",
        json={"iteration": 1 if card["iteration"] != 1 else 2},
        headers={**owner, "If-Match": f'"{card["version"]}"'},
    )
    assert moved.status_code == 200
    assert page_seq(page(served, review)) == moved.json()["seq"]  # the page is as of the move, not before it
    feature = f"{BASE}/features/SHOP-140"
    read = served.client.get(feature, headers=rte)
    manager = {**served.as_("product_manager"), "If-Match": read.headers["ETag"]}
    renamed = served.client.patch(feature, json={"title": "Gift cards"}, headers=manager)
    assert renamed.status_code == 200, renamed.text  # the board is made anew after this one
    assert "Gift cards" in page(served, "backlog?q=Gift")
    # The sync's agenda is made once per seq too: what is raised after a read is on the next one.
    assert "No staging environment" not in page(served, "sync")
    raised = served.client.post(
        f"{BASE}/impediments", json={"text": "No staging environment", "team": TEAM}, headers=served.as_("member")
    )
    assert raised.status_code == 201, raised.text
    assert "No staging environment" in page(served, "sync")
    assert "Releases wait for a manual sign-off" not in page(served, "report")
    problem = served.client.post(f"{BASE}/problems", json={"text": "Releases wait for a manual sign-off"}, headers=rte)
    assert problem.status_code == 201, problem.text
    assert "Releases wait for a manual sign-off" in page(served, "report")  # the report is made once per seq too


def stopped_clock(served: Served) -> list[float]:
    """The clock the worker's pages lag by, moved only by the test (``now[0] += seconds``)."""
    now = [1000.0]
    served.client.app.state.boards.clock = lambda: now[0]
    return now


def test_while_the_train_changes_the_findings_pages_find_again_at_most_once_per_lag_then_catch_up(
    served: Served,
) -> None:
    # On 40 teams finding again costs up to half a second a change (the milestones' forecast); a room editing
    # without pause would have every worker do it several times a second for the people on these pages.
    sign_in(served)
    rte = served.as_("rte")
    now = stopped_clock(served)
    first = served.client.get(f"/trains/{TRAIN}/findings", headers={"X-Partial": "main"})
    assert first.status_code == 200 and "X-Behind" not in first.headers
    cards = served.client.get(f"{BASE}/board", headers=rte).json()["cards"]
    consumer = next(c for c in cards if c["team"] == TEAM and c["iteration"] is not None)
    provider = next(c for c in cards if c["team"] != TEAM and c["iteration"] is None and c["ref"] not in first.text)
    added = served.client.post(
        f"{BASE}/dependencies", json={"consumer": consumer["ref"], "provider": provider["ref"]}, headers=rte
    )
    assert added.status_code == 201, added.text
    now[0] += 0.5
    behind = served.client.get(f"/trains/{TRAIN}/findings", headers={"X-Partial": "main"})
    assert behind.headers["X-Behind"] == "1500" and provider["ref"] not in behind.text  # found 0.5 s ago
    full = page(served, "planning")  # a whole page says it in its head
    assert '<meta name="behind" content="1500">' in full and page_seq(full) == added.json()["seq"]
    now[0] += 1.6
    caught_up = served.client.get(f"/trains/{TRAIN}/findings", headers={"X-Partial": "main"})
    assert "X-Behind" not in caught_up.headers and provider["ref"] in caught_up.text
    assert '<meta name="behind"' not in page(served, "planning")


def test_while_the_train_changes_the_cockpit_sync_agenda_and_forecast_are_made_at_most_once_per_lag(
    served: Served,
) -> None:
    # Each derives from the whole plan (the cockpit and the agenda with the findings, the forecast page the whole
    # forecast: 0.1–0.75 s a change on 40 teams); with a room's pages open, a worker makes each once per lag.
    sign_in(served)
    rte = served.as_("rte")
    now = stopped_clock(served)
    paths = {"cockpit": f"/trains/{TRAIN}", "sync": f"/trains/{TRAIN}/sync", "forecast": f"/trains/{TRAIN}/forecast"}
    for path in paths.values():
        assert "X-Behind" not in served.client.get(path, headers={"X-Partial": "main"}).headers
    risk = served.client.post(f"{BASE}/risks", json={"text": "Supplier may be late"}, headers=rte)
    raised = served.client.post(
        f"{BASE}/impediments", json={"text": "No staging environment", "team": TEAM}, headers=served.as_("member")
    )
    assert risk.status_code == 201 and raised.status_code == 201, raised.text
    now[0] += 0.5
    behind = {name: served.client.get(path, headers={"X-Partial": "main"}) for name, path in paths.items()}
    assert all(r.headers.get("X-Behind") == "1500" for r in behind.values()), {n: r.headers for n, r in behind.items()}
    assert "Supplier may be late" not in behind["cockpit"].text
    assert "No staging environment" not in behind["sync"].text
    now[0] += 1.6
    caught_up = {name: served.client.get(path, headers={"X-Partial": "main"}) for name, path in paths.items()}
    assert all("X-Behind" not in r.headers for r in caught_up.values())
    assert "Supplier may be late" in caught_up["cockpit"].text
    assert "No staging environment" in caught_up["sync"].text
