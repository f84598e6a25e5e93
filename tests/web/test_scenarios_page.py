"""The optimizer in a real browser: a finding's "Suggest a fix" shows the repair on the board as ghost cards and
applies it through the board's own moves; the scenarios page makes, solves and accepts a what-if."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.web.browser import planning_demo, serving, sign_in
from tests.web.test_board_page import TRAIN, cell, signed_in


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    with serving(planning_demo(tmp_path_factory.mktemp("scenarios"))) as base:
        yield base


def errors(page: Page) -> int:
    return len([f for f in page.request.get(f"/api/v1/trains/{TRAIN}/findings").json()["findings"]
                if f["severity"] == "error"])  # fmt: skip


def test_suggest_a_fix_shows_the_repair_as_ghost_cards_and_applies_it_for_everyone(browser, base_url) -> None:
    mia = signed_in(browser, base_url, "mia")  # a member of Phoenix, watching the board
    rita = sign_in(browser, base_url, "rita", f"/trains/{TRAIN}/findings")
    before = errors(rita)
    rita.get_by_role("link", name="Suggest a fix").first.click()
    rita.wait_for_url(f"**/trains/{TRAIN}/board?fix=*")
    expect(rita.locator("#fix")).to_contain_text("shown dashed")
    ghosts = rita.locator(".card.ghost")
    count = ghosts.count()
    assert count >= 1
    from_planned = [t for t in ghosts.all_inner_texts() if not t.endswith("unplanned")]  # behind a closed pile
    expect(rita.locator(".card.leaving")).to_have_count(len(from_planned))  # unplanned cards stay hidden
    moves = []  # (ref, team, iteration) where the repair puts each card
    for n in range(count):
        ghost = ghosts.nth(n)
        home = ghost.locator("xpath=..")
        iteration = home.get_attribute("data-iteration")
        moves.append((ghost.inner_text().split(" ")[0], home.get_attribute("data-team"), iteration))
    rita.get_by_role("button", name=f"Apply {count} move{'s' if count > 1 else ''}").click()
    expect(ghosts).to_have_count(0)
    for ref, team, iteration in moves:
        at = int(iteration) if iteration else None
        for page in (rita, mia):  # mia sees each move on her board, live
            expect(page.locator(f'{cell(page, team, at)} [id="card-{ref}"]')).to_be_visible()
    assert errors(rita) < before
    mia.context.close()
    rita.context.close()


def test_a_what_if_is_made_solved_and_accepted_on_the_scenarios_page(browser, base_url) -> None:
    rita = sign_in(browser, base_url, "rita", f"/trains/{TRAIN}/scenarios")
    rita.get_by_label("Name").fill("Phoenix loses two people")
    rita.get_by_label("Changes, separated by commas").fill("capacity Phoenix I2=5, capacity Phoenix I3=5")
    rita.get_by_label("Seconds to search").fill("5")
    rita.get_by_role("button", name="Create").click()
    section = rita.locator("section.scenario", has_text="Phoenix loses two people")
    expect(section).to_contain_text("Supposing: capacity Phoenix I2=5 · capacity Phoenix I3=5")
    section.get_by_role("button", name="Solve").click()
    expect(section.locator("h2")).to_contain_text("solved", timeout=30_000)  # the page follows the solve, live
    key = section.get_attribute("id")
    row = rita.locator(f"#row-{key}")
    expect(row.locator("td")).to_have_count(8)  # its state and seven measures beside the board's
    section.get_by_label("Why").fill("Phoenix is down two people in I2 and I3")
    section.get_by_role("button", name="Accept").click()
    expect(section.locator("h2")).to_contain_text("accepted")
    decisions = rita.request.get(f"/api/v1/trains/{TRAIN}/decisions").json()["decisions"]
    assert any(key in d["decision"] and "capacity Phoenix I2=5" in d["decision"] for d in decisions)
    rita.context.close()


def test_a_draft_may_be_asked_of_cp_sat_on_the_scenarios_page(browser, base_url) -> None:
    rita = sign_in(browser, base_url, "rita", f"/trains/{TRAIN}/scenarios")
    rita.get_by_label("Name").fill("Drafted by CP-SAT")
    rita.get_by_label("Kind").select_option("draft")
    rita.get_by_label("Seconds to search").fill("3")
    rita.get_by_label("Solver").select_option("cp-sat")
    rita.get_by_role("button", name="Create").click()
    section = rita.locator("section.scenario", has_text="Drafted by CP-SAT")
    expect(section.locator("h2")).to_contain_text("draft · new · cp-sat")
    section.get_by_role("button", name="Solve").click()
    expect(section.locator("h2")).to_contain_text("solved", timeout=30_000)
    key = section.get_attribute("id")
    record = rita.request.get(f"/api/v1/trains/{TRAIN}/scenarios/{key}").json()
    assert record["solver"] == "cp-sat" and record["outcome"] in ("optimal", "feasible", "infeasible")
    rita.context.close()
