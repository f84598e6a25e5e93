"""A PI planned end to end in a real browser: WSJF, objectives' value, ROAM, a failed vote, rework, commit."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from typer.testing import CliRunner

from artsync.cli.app import app
from tests.web.browser import planning_demo, serving, sign_in

TRAIN = "SHOP"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A served demo train in PI planning, and an API token of its RTE."""
    url = planning_demo(tmp_path_factory.mktemp("planning"))
    token = CliRunner().invoke(app, ["token", "create", "rita", "--db", url]).stdout.split()[-1]
    with serving(url) as base:
        yield base, token


def signed_in(browser: Browser, base: str, name: str, path: str) -> Page:
    page = sign_in(browser, base, name, f"/trains/{TRAIN}/{path}", height=900)
    expect(page.locator("#live-state")).to_have_text("live")
    return page


def vote(browser: Browser, base: str, fingers: dict[str, int]) -> None:
    for name, n in fingers.items():
        page = signed_in(browser, base, name, "planning")
        page.get_by_role("button", name=str(n), exact=True).click()
        expect(page.locator("#vote-state")).to_contain_text(f"your vote: {n}")
        page.context.close()


def test_a_pi_is_planned_to_a_committed_baseline_in_the_browser(browser, site) -> None:
    base, token = site

    pam = signed_in(browser, base, "pam", "wsjf")
    pam.get_by_label("Features to score").fill("SHOP-140, SHOP-141")
    pam.get_by_role("button", name="Start a WSJF session").click()
    scores = {
        "user/business value": (1, 8),
        "time criticality": (1, 5),
        "risk reduction / opportunity enablement": (1, 1),
        "job size": (1, 5),
    }
    for column, (low, high) in scores.items():
        pam.get_by_label(f"{column} of SHOP-140").select_option(str(low))
        pam.get_by_label(f"{column} of SHOP-141").select_option(str(high))
        pam.get_by_role("button", name=f"Save {column}").click()
        expect(pam.get_by_label(f"{column} of SHOP-140")).to_have_count(0)
    pam.get_by_role("button", name="Finish: apply the scores and record the order").click()
    expect(pam.locator("#wsjf-order tbody tr").first).to_contain_text("SHOP-140")
    expect(pam.locator("main")).to_contain_text("job size scored by pam")

    bob = signed_in(browser, base, "bob", "planning")
    bob.get_by_label("Planned business value of Atlas-O1").select_option("9")
    bob.locator("#objective-Atlas-O1").get_by_role("button", name="Set").click()
    expect(bob.locator("#objective-Atlas-O1")).to_contain_text("9")

    rita = signed_in(browser, base, "rita", "roam")
    risk = rita.locator("#risk-R1")
    risk.get_by_label("ROAM R1 as").select_option("owned")
    risk.get_by_label("Owner of R1").fill("Dana Silva")
    risk.get_by_label("Note on R1").fill("Weekly call with the regulator")
    risk.get_by_role("button", name="Move").click()
    expect(rita.locator(".roam-owned #risk-R1")).to_contain_text("Weekly call with the regulator")

    rita.goto(f"{base}/trains/{TRAIN}/planning")
    rita.get_by_role("button", name="Open the vote").click()
    vote(browser, base, {"mia": 2, "otto": 2, "olga": 3})
    rita.get_by_role("button", name="Close the vote").click()
    expect(rita.locator("#vote-result")).to_contain_text("Average 2.33 from 3 votes: below 3")
    expect(rita.get_by_role("button", name="Commit the plan")).to_have_count(0)

    rita.get_by_role("button", name="Open a rework round").click()
    vote(browser, base, {"mia": 4, "otto": 3, "olga": 4})
    rita.get_by_role("button", name="Close the vote").click()
    expect(rita.locator("#vote-result")).to_contain_text("the train may commit")
    rita.get_by_label("Reason to commit anyway").fill("Remaining risks accepted at the management review")
    rita.get_by_role("button", name="Commit the plan").click()
    expect(rita.locator("#committed")).to_contain_text("Committed by rita")

    api = httpx.Client(base_url=f"{base}/api/v1/trains/{TRAIN}", headers={"Authorization": f"Bearer {token}"})
    before = api.get("/baseline").json()
    board = api.get("/board").json()
    card = next(c for c in board["cards"] if c["iteration"] == 1)
    moved = api.patch(f"/../../cards/{card['id']}", json={"iteration": 2}, headers={"If-Match": f'"{card["version"]}"'})
    assert moved.status_code == 200
    after = api.get("/baseline").json()
    assert after == before and before["override_reason"] == "Remaining risks accepted at the management review"
    kept = next(c for c in after["plan"]["cards"] if f"{c['feature']}@{c['team']}" == card["ref"])
    assert kept["iteration"] == 1
    assert next(o for o in after["plan"]["objectives"] if o["key"] == "Atlas-O1")["planned_bv"] == 9
    assert next(r for r in after["plan"]["risks"] if r["key"] == "R1")["note"] == "Weekly call with the regulator"


def test_the_rte_runs_an_art_sync_from_the_page_and_the_minutes_are_published(browser, site) -> None:
    base, _ = site
    olga = signed_in(browser, base, "olga", "teams/Phoenix/review")
    olga.get_by_label("Write an objective").fill("Customers see refunds within a day")
    olga.get_by_role("button", name="Add the objective").click()
    expect(olga.locator("main")).to_contain_text("Customers see refunds within a day")

    rita = signed_in(browser, base, "rita", "sync")
    expect(rita.locator("#agenda")).to_contain_text("Teams")
    rita.get_by_role("button", name="Schedule the ART sync").click()
    rita.wait_for_url("**/meetings/*")
    rita.get_by_role("button", name="Start the meeting").click()
    rita.get_by_label("Status of Phoenix").select_option("at risk")
    rita.get_by_label("Note for Phoenix").fill("Refund API late")
    rita.get_by_label("Status of Atlas").select_option("off track")
    rita.get_by_role("button", name="Record every team's status").click()  # one form for the whole train
    expect(rita.locator("#team-status")).to_contain_text("at risk Refund API late")
    expect(rita.locator("#team-status tr", has_text="Atlas")).to_contain_text("off track")
    expect(rita.locator("#team-status tr", has_text="Orion")).to_contain_text("on track")
    rita.get_by_label("Decision needed").fill("Drop partial refunds from this PI?")
    rita.locator("form", has=rita.get_by_label("Decision needed")).get_by_role("button", name="Add").click()
    pending = rita.locator("li", has_text="Drop partial refunds from this PI?")
    pending.get_by_placeholder("decision").fill("Yes")
    pending.get_by_placeholder("why").fill("Phoenix is full")
    pending.get_by_role("button", name="Decide").click()
    expect(rita.locator("main")).to_contain_text("Drop partial refunds from this PI?: Yes")
    rita.get_by_label("Action").fill("Tell the business owners")
    rita.get_by_label("Owner", exact=True).fill("rita")
    rita.get_by_label("Due").fill("2026-12-04")
    rita.locator("form", has=rita.get_by_label("Action")).get_by_role("button", name="Add").click()
    expect(rita.locator("#actions")).to_contain_text("Tell the business owners — rita, due 2026-12-04")
    rita.get_by_role("button", name="End the meeting and publish the minutes").click()
    minutes = rita.locator("#minutes")
    expect(minutes).to_contain_text("Phoenix: at risk — Refund API late")
    expect(minutes).to_contain_text("Drop partial refunds from this PI?: Yes — Phoenix is full")
    expect(minutes).to_contain_text("Tell the business owners — rita, due 2026-12-04")


def test_a_live_change_keeps_what_someone_is_typing_and_still_shows(browser, site) -> None:
    base, token = site
    page = signed_in(browser, base, "rita", "roam")
    key = page.locator("article.risk:has(form.move)").first.get_attribute("id").removeprefix("risk-")
    owner, note = page.get_by_label(f"Owner of {key}"), page.get_by_label(f"Note on {key}")
    owner.fill("Dana Silva")
    note.fill("chasing the vendor")
    note.evaluate("field => field.setSelectionRange(5, 5)")  # the caret inside the word being typed

    raised = httpx.post(
        f"{base}/api/v1/trains/{TRAIN}/risks",
        json={"text": "Payment provider changes its API in March"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert raised.status_code == 201, raised.text
    expect(page.get_by_text("Payment provider changes its API in March")).to_be_visible()  # the change appears

    assert (owner.input_value(), note.input_value()) == ("Dana Silva", "chasing the vendor")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Note on {key}"
    assert page.evaluate("[document.activeElement.selectionStart, document.activeElement.selectionEnd]") == [5, 5]
    page.context.close()


def test_a_page_shows_the_rooms_changes_within_a_second_even_while_they_never_pause(browser, site) -> None:
    """A page waits 150 ms after the last event before it reads itself again, so that a burst costs one read; in a
    room editing without pause (an event every 50 ms here, on the page's own clock) it still reads itself within a
    second of the first change, not only when the room stops."""
    base, _ = site
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base)
    context.clock.install()
    channel: list = []  # the test stands in for the live channel
    context.route_web_socket(re.compile(r".*/live\b.*"), lambda socket: channel.append(socket))
    page = context.new_page()
    page.goto(f"{base}/login?next=/trains/{TRAIN}/roam")
    page.get_by_label("User name").fill("rita")
    page.get_by_label("Password").fill("artsync-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/trains/{TRAIN}/roam")
    page.wait_for_function("document.querySelector('meta[name=\"seq\"]')")
    page.clock.run_for(100)  # the page opens its live channel
    assert channel, "the page opened its live channel"
    seq = int(page.locator('meta[name="seq"]').get_attribute("content"))
    reads: list[str] = []
    page.on("request", lambda r: reads.append(r.url) if r.headers.get("x-partial") == "main" else None)
    for n in range(1, 31):  # 1.5 s of the room: an event every 50 ms
        event = {"type": "event", "seq": seq + n, "at": "2026-11-30T09:00:00+00:00", "actor": "pam",
                 "entity": "risk", "entity_id": f"R{n}", "action": "raised", "before": None, "after": {}}  # fmt: skip
        channel[0].send(json.dumps(event))
        page.clock.run_for(50)
        if reads:
            break
    assert reads, "no read of the page while the room kept changing"
    assert n <= 25, f"the page read itself only after {n * 50} ms of changes"  # at 1 s, seen a little later
    context.close()


def test_a_wsjf_score_is_typed_in_place_on_the_backlog(browser, site) -> None:
    base, token = site
    pam = signed_in(browser, base, "pam", "backlog")
    key = pam.locator("table.backlog tbody tr").first.get_attribute("data-key")
    score = pam.get_by_label(f"tc of {key}")
    score.fill("4")  # not on the scale
    score.press("Tab")
    expect(pam.locator("#toast")).to_contain_text("A score is one of 1, 2, 3, 5, 8, 13, 20")
    expect(score).not_to_have_value("4")
    score.fill("13")
    with pam.expect_response(lambda r: r.request.method == "PATCH" and r.url.endswith(f"/features/{key}")) as saved:
        score.press("Tab")
    assert saved.value.ok
    feature = httpx.get(f"{base}/api/v1/trains/{TRAIN}/features/{key}", headers={"Authorization": f"Bearer {token}"})
    assert feature.json()["tc"] == 13
    pam.context.close()
