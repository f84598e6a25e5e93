"""The board in a real browser: sign in, drag a card, watch it move for someone else, live strings."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect
from typer.testing import CliRunner

from artsync.cli.app import app
from tests.web.browser import planning_demo, serving

TRAIN = "SHOP"
PASSWORD = "artsync-demo"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    with serving(planning_demo(tmp_path_factory.mktemp("browser"))) as base:
        yield base


def signed_in(
    browser: Browser,
    base_url: str,
    name: str,
    *,
    deaf: bool = False,
    through: Callable[[WebSocketRoute], None] | None = None,
) -> Page:
    """A signed-in board; a ``deaf`` one hears nothing on its live channel, so it goes stale; ``through`` stands
    between the live channel and the page."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    if deaf or through:
        page.route_web_socket(re.compile(r".*/live\b.*"), through or (lambda socket: None))
    page.goto(f"{base_url}/login?next=/trains/{TRAIN}/board")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/trains/{TRAIN}/board")
    expect(page.locator("#live-state")).to_have_text("live")
    return page


def cell(page: Page, team: str, iteration: int | None) -> str:
    return f'.cell[data-team="{team}"][data-iteration="{"" if iteration is None else iteration}"]'


def card_in(page: Page, team: str, iteration: int | None) -> str:
    return page.locator(f"{cell(page, team, iteration)} .card").first.get_attribute("data-ref")


def test_a_card_dragged_by_one_person_moves_on_another_persons_board(browser, base_url) -> None:
    mia = signed_in(browser, base_url, "mia")  # member of Phoenix
    rita = signed_in(browser, base_url, "rita")
    ref = card_in(mia, "Phoenix", 1)
    card = f'[id="card-{ref}"]'
    mia.locator(cell(mia, "Phoenix", 4)).scroll_into_view_if_needed()  # no scrolling while the button is down
    mia.drag_and_drop(card, cell(mia, "Phoenix", 4))
    expect(mia.locator(f"{cell(mia, 'Phoenix', 4)} {card}")).to_be_visible()
    expect(rita.locator(f"{cell(rita, 'Phoenix', 4)} {card}")).to_be_visible()
    rita.reload()
    expect(rita.locator(f"{cell(rita, 'Phoenix', 4)} {card}")).to_be_visible()
    mia.context.close()
    rita.context.close()


def test_a_board_that_missed_an_event_reads_it_from_the_log_instead_of_reloading(browser, base_url) -> None:
    dropped: list[str] = []

    def lose_the_first_event(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def onward(message: str | bytes) -> None:
            if isinstance(message, str) and message.startswith('{"type": "event"') and not dropped:
                dropped.append(message)  # lost on the way, as on a flaky network
                return
            socket.send(message)

        server.on_message(onward)

    mia = signed_in(browser, base_url, "mia", through=lose_the_first_event)
    boards, log_reads = [], []
    mia.on("request", lambda r: boards.append(r.url) if r.url.endswith(f"/api/v1/trains/{TRAIN}/board") else None)
    mia.on("request", lambda r: log_reads.append(r.url) if "/events?after=" in r.url else None)
    rita = signed_in(browser, base_url, "rita")
    first, second = (rita.locator(f"{cell(rita, 'Orion', 1)} .card").nth(n).get_attribute("data-ref") for n in (0, 1))
    for ref in (first, second):
        rita.drag_and_drop(f'[id="card-{ref}"]', cell(rita, "Orion", 4))
        expect(rita.locator(f'{cell(rita, "Orion", 4)} [id="card-{ref}"]')).to_be_visible()
    # Both moves reach Mia's board: the lost one read from the log when the next one showed the gap.
    expect(mia.locator(f'{cell(mia, "Orion", 4)} [id="card-{first}"]')).to_be_visible()
    expect(mia.locator(f'{cell(mia, "Orion", 4)} [id="card-{second}"]')).to_be_visible()
    assert dropped and log_reads and not boards
    mia.context.close()
    rita.context.close()


def test_a_change_the_board_does_not_show_moves_its_seq_on_without_reading_the_board_again(browser, base_url) -> None:
    """A risk raised in the room reaches every open board as an event; each takes its seq and reads nothing (a
    40-team board is 80 KB gzipped, for each person in the room, for nothing on it)."""
    mia = signed_in(browser, base_url, "mia")
    boards, log_reads = [], []
    mia.on("request", lambda r: boards.append(r.url) if r.url.endswith(f"/api/v1/trains/{TRAIN}/board") else None)
    mia.on("request", lambda r: log_reads.append(r.url) if "/events?after=" in r.url else None)
    rita = signed_in(browser, base_url, "rita")
    raised = rita.evaluate(
        """async (train) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const response = await fetch(`/api/v1/trains/${train}/risks`, {method: "POST",
                headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
                body: JSON.stringify({text: "The payment provider's sandbox may be down in I2"})});
            return response.status;
        }""",
        TRAIN,
    )
    assert raised == 201
    ref = card_in(rita, "Orion", 1)
    rita.drag_and_drop(f'[id="card-{ref}"]', cell(rita, "Orion", 3))
    # The move after the risk lands in place on Mia's board: her board took the risk's seq, so no gap, no reading.
    expect(mia.locator(f'{cell(mia, "Orion", 3)} [id="card-{ref}"]')).to_be_visible()
    assert boards == [] and log_reads == []
    mia.context.close()
    rita.context.close()


def test_a_dependency_added_in_the_room_is_drawn_on_every_board_without_reading_the_board_again(
    browser, base_url
) -> None:
    """Each open board reads only the strings and cycles after a dependency changes (the 40-team train's board is
    80 KB gzipped, and would be drawn again from scratch for each person in the room)."""
    mia = signed_in(browser, base_url, "mia")
    boards, strings = [], []
    mia.on("request", lambda r: boards.append(r.url) if r.url.endswith(f"/api/v1/trains/{TRAIN}/board") else None)
    mia.on("request", lambda r: strings.append(r.url) if r.url.endswith("/board/dependencies") else None)
    rita = signed_in(browser, base_url, "rita")
    consumer, provider = card_in(rita, "Orion", 1), card_in(rita, "Phoenix", 3)  # the provider after its consumer
    added = rita.evaluate(
        """async ([train, consumer, provider]) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const response = await fetch(`/api/v1/trains/${train}/dependencies`, {method: "POST",
                headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
                body: JSON.stringify({consumer, provider})});
            return response.status;
        }""",
        [TRAIN, consumer, provider],
    )
    assert added == 201
    string = f'path.string[data-consumer="{consumer}"][data-provider="{provider}"]'
    expect(mia.locator(string)).to_have_class("string broken")  # in trouble: drawn without "All strings"
    trouble = re.compile(f"needs {provider}: broken")
    expect(mia.locator(f'[id="card-{consumer}"]')).to_have_attribute("aria-label", trouble)
    assert boards == [] and strings  # the strings were read, the board was not
    mia.context.close()
    rita.context.close()


def test_a_card_put_on_and_taken_off_in_the_room_shows_and_goes_without_reading_the_board_again(
    browser, base_url
) -> None:
    """A breakout's new card is read alone by each open board, and a card taken off goes from it (its strings read
    again), instead of each board reading and drawing the whole board."""
    mia = signed_in(browser, base_url, "mia")
    boards, read_alone = [], []
    mia.on("request", lambda r: boards.append(r.url) if r.url.endswith(f"/api/v1/trains/{TRAIN}/board") else None)
    mia.on("request", lambda r: read_alone.append(r.url) if "/board/cards?ref=" in r.url else None)
    rita = signed_in(browser, base_url, "rita")
    board = rita.evaluate(f"async () => (await fetch('/api/v1/trains/{TRAIN}/board')).json()")
    carded = {(c["feature"], c["team"]) for c in board["cards"]}
    feature = next(c["feature"] for c in board["cards"] if (c["feature"], "Orion") not in carded)
    ref = f"{feature}@Orion"
    added = rita.evaluate(
        """async ([train, feature]) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const response = await fetch(`/api/v1/trains/${train}/cards`, {method: "POST",
                headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
                body: JSON.stringify({feature, team: "Orion", points: 5, iteration: 2})});
            return [response.status, (await response.json()).id];
        }""",
        [TRAIN, feature],
    )
    assert added[0] == 201
    expect(mia.locator(f'{cell(mia, "Orion", 2)} [id="card-{ref}"]')).to_be_visible()
    removed = rita.evaluate(
        """async (id) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            return (await fetch(`/api/v1/cards/${id}`, {method: "DELETE", headers: {"X-CSRF-Token": csrf}})).status;
        }""",
        added[1],
    )
    assert removed == 200
    expect(mia.locator(f'[id="card-{ref}"]')).to_have_count(0)
    assert boards == [] and read_alone  # the new card was read alone, the board was not
    mia.context.close()
    rita.context.close()


def test_a_burst_of_changes_the_board_must_read_again_for_costs_it_two_reads_not_one_each(browser, base_url) -> None:
    """A WSJF session finished scores five features at once, five events together: each open board reads the board
    once for the first and once more for all that came while it read — not five times."""
    mia = signed_in(browser, base_url, "mia")
    boards = []
    mia.on("request", lambda r: boards.append(r.url) if r.url.endswith(f"/api/v1/trains/{TRAIN}/board") else None)
    rita = signed_in(browser, base_url, "rita")
    board = rita.evaluate(f"async () => (await fetch('/api/v1/trains/{TRAIN}/board')).json()")
    features = list(dict.fromkeys(c["feature"] for c in board["cards"]))[:5]
    finished = rita.evaluate(
        """async ([train, features]) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const send = (method, path, body) => fetch(`/api/v1/trains/${train}/wsjf${path}`, {method,
                headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}, body: JSON.stringify(body)});
            await send("POST", "", {features});
            for (const column of ["ubv", "tc", "rroe", "size"]) {
                const scale = [1, 2, 3, 5, 8];
                const scores = Object.fromEntries(features.map((f, n) => [f, scale[(n + column.length) % 5]]));
                await send("PUT", `/${column}`, {scores});
            }
            return (await send("POST", "/finish", {})).status;
        }""",
        [TRAIN, features],
    )
    assert finished == 200
    made = rita.evaluate(f"async () => (await fetch('/api/v1/trains/{TRAIN}/events?after={board['seq']}')).json()")
    scored = [e for e in made["events"] if e["entity"] == "feature"]
    assert len(scored) >= 3, made  # the finish logs each feature it scored anew, together
    mia.wait_for_function(f"() => performance.getEntriesByName('board-event').length >= {len(made['events'])}")
    mia.wait_for_load_state("networkidle")
    assert 1 <= len(boards) <= 2, boards
    mia.context.close()
    rita.context.close()


def test_a_card_moves_with_the_keyboard(browser, base_url) -> None:
    olga = signed_in(browser, base_url, "olga")
    ref = card_in(olga, "Phoenix", 2)
    card = olga.locator(f'[id="card-{ref}"]')
    card.focus()
    card.press("ArrowRight")
    expect(olga.locator(f'{cell(olga, "Phoenix", 3)} [id="card-{ref}"]')).to_be_focused()
    olga.locator(f'[id="card-{ref}"]').press("u")
    expect(olga.locator(f'{cell(olga, "Phoenix", None)} [id="card-{ref}"]')).to_be_visible()
    olga.context.close()


def test_the_string_turns_red_when_the_provider_moves_after_its_consumer(browser, base_url) -> None:
    rita = signed_in(browser, base_url, "rita")
    vic = signed_in(browser, base_url, "vic")
    for page in (rita, vic):
        page.get_by_label("All strings, on-time ones too").check()  # by default only the strings in trouble
    # A healthy dependency: its string is drawn, and is neither amber nor red.
    path = rita.locator("path.string.ok").first
    consumer, provider = path.get_attribute("data-consumer"), path.get_attribute("data-provider")
    consumer_iteration = int(
        rita.locator(f'[id="card-{consumer}"]').locator("xpath=..").get_attribute("data-iteration")
    )
    provider_team = provider.rsplit("@", 1)[1]
    later = consumer_iteration + 1
    rita.drag_and_drop(f'[id="card-{provider}"]', cell(rita, provider_team, later))
    string = f'path.string[data-consumer="{consumer}"][data-provider="{provider}"]'
    expect(rita.locator(string)).to_have_class("string broken")
    expect(vic.locator(string)).to_have_class("string broken")  # the viewer's board turned red too
    rita.context.close()
    vic.context.close()


def test_cards_a_person_may_not_move_are_not_draggable_and_say_why(browser, base_url) -> None:
    mia = signed_in(browser, base_url, "mia")  # member of Phoenix, not of Atlas
    ref = card_in(mia, "Atlas", 2)
    theirs = mia.locator(f'[id="card-{ref}"]')
    why = "Atlas's card: its team or the RTE moves it"
    expect(theirs).to_have_attribute("draggable", "false")
    expect(theirs).to_have_attribute("title", why)
    expect(mia.locator(f'[id="card-{card_in(mia, "Phoenix", 1)}"]')).to_have_attribute("draggable", "true")
    expect(mia.locator("p.help")).to_contain_text("You move the cards of Phoenix")
    theirs.focus()
    theirs.press("ArrowRight")
    expect(mia.locator("#announce")).to_have_text(why)  # said before anything is sent, not a refusal after
    mia.reload()
    expect(mia.locator(f'{cell(mia, "Atlas", 2)} [id="card-{ref}"]')).to_be_visible()
    mia.context.close()

    vic = signed_in(browser, base_url, "vic")  # a viewer
    expect(vic.locator(".card").first).to_be_visible()
    assert vic.locator('.card[draggable="true"]').count() == 0
    expect(vic.locator("p.help")).to_contain_text("moving cards is for the teams and the RTE")
    vic.context.close()


def test_a_stale_move_shows_what_changed_and_offers_a_retry(browser, base_url) -> None:
    olga = signed_in(browser, base_url, "olga")
    sam = signed_in(browser, base_url, "sam", deaf=True)  # keeps the old version of every card
    ref = card_in(olga, "Phoenix", 1)
    olga.locator(f'[id="card-{ref}"]').focus()
    olga.locator(f'[id="card-{ref}"]').press("ArrowRight")
    expect(olga.locator(f'{cell(olga, "Phoenix", 2)} [id="card-{ref}"]')).to_be_visible()
    sam.locator(f'[id="card-{ref}"]').focus()
    sam.locator(f'[id="card-{ref}"]').press("u")
    toast = sam.locator("#toast")
    expect(toast).to_contain_text("was changed by someone else meanwhile")
    toast.get_by_role("button", name="anyway").click()
    pile = olga.locator(cell(olga, "Phoenix", None)).locator("button.pile")
    expect(pile).to_have_attribute("aria-expanded", "false")  # olga's pile stays closed: the card went into it
    pile.click()
    expect(olga.locator(f'{cell(olga, "Phoenix", None)} [id="card-{ref}"]')).to_be_visible()
    olga.context.close()
    sam.context.close()


def big_plan() -> dict:
    """12 teams × 6 iterations with 200 cards: the size a board must stay usable at."""
    teams = [f"Team{n:02d}" for n in range(1, 13)]
    features = [
        {"key": f"BIG-{n}", "title": f"Feature number {n} with a longish title", "kind": "business",
         "ubv": 5, "tc": 3, "rroe": 2, "size": 5}
        for n in range(1, 101)
    ]  # fmt: skip
    cards = [
        {"feature": f"BIG-{n}", "team": teams[(n + k * 5) % 12], "iteration": (n + k) % 6 or None, "points": 3}
        for n in range(1, 101)
        for k in range(2)
    ]
    return {
        "train": {"key": "BIG", "name": "Big ART"},
        "pi": {"key": "PI-1", "start": "2027-01-04", "iteration_weeks": 2, "iterations": 6, "ip_last": True},
        "teams": [{"key": t, "name": t, "velocity": 40} for t in teams],
        "features": features,
        "cards": cards,
    }


def test_the_board_stays_usable_with_12_teams_6_iterations_and_200_cards(browser, tmp_path) -> None:
    import json

    plan_file = tmp_path / "big.json"
    plan = big_plan()
    plan_file.write_text(json.dumps(plan))
    planned = sum(1 for c in plan["cards"] if c["iteration"] is not None)
    url = f"sqlite:///{tmp_path / 'big.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(plan_file), "--db", url]).exit_code == 0
    added = runner.invoke(
        app, ["user", "add", "rita", "--train", "BIG", "--role", "rte", "--password-stdin", "--db", url], input=PASSWORD
    )
    assert added.exit_code == 0, added.stderr
    with serving(url) as base:
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(f"{base}/login?next=/trains/BIG/board")
        page.get_by_label("User name").fill("rita")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".card")).to_have_count(planned)  # the unplanned wait in their teams' piles
        expect(page.get_by_role("rowheader")).to_have_count(13)  # the milestones and twelve teams
        piles = page.locator("button.pile").all_inner_texts()
        assert len(piles) == 12 and planned + sum(int(p.split()[0]) for p in piles) == 200
        expect(page.get_by_role("columnheader")).to_have_count(8)  # the team column, six iterations, unplanned
        # Every column fits the width of a 1280 px screen: scrolling is only down, never sideways.
        wrap = page.locator(".board-wrap")
        assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth"), "the board scrolls sideways at 1280 px"
        page.screenshot(path=str(tmp_path / "big-board.png"))
        page.context.close()


def test_the_providing_team_commits_to_a_dependency_from_the_card_details(browser, base_url) -> None:
    page = signed_in(browser, base_url, "olga")  # PO of Phoenix
    board = page.evaluate(f"async () => (await fetch('/api/v1/trains/{TRAIN}/board')).json()")
    dep = next(d for d in board["dependencies"] if d["provider"].endswith("@Phoenix") and d["state"] == "requested")
    page.locator(f'.card[data-ref="{dep["provider"]}"]').click()
    details = page.locator("#details")
    details.get_by_role("button", name=f"Commit: {dep['consumer']} needs {dep['provider']}").click()
    expect(details.locator(".state-committed").first).to_be_visible()
    expect(details.get_by_role("button", name=f"Delivered: {dep['consumer']} needs {dep['provider']}")).to_be_visible()
    after = page.evaluate(f"async () => (await fetch('/api/v1/trains/{TRAIN}/board')).json()")
    moved = next(
        d for d in after["dependencies"] if (d["consumer"], d["provider"]) == (dep["consumer"], dep["provider"])
    )
    assert moved["state"] == "committed"
    page.locator(f'.card[data-ref="{dep["provider"]}"]').click()  # the card's history tells the change in words
    expect(details.locator("ol.events li").first).to_have_text(
        re.compile(rf"olga: dependency {re.escape(dep['consumer'])}->{re.escape(dep['provider'])} committed: "
                   r"state requested → committed")
    )  # fmt: skip
    page.context.close()


def test_the_demo_board_fits_three_screens_and_draws_the_strings_in_trouble(browser, base_url) -> None:
    rita = signed_in(browser, base_url, "rita")  # 1280 × 800
    board = rita.locator("#board")
    assert board.evaluate("b => b.scrollHeight") <= 3 * 800, "unplanned piles closed: rows as tall as their plan"
    strings = rita.locator("#strings path.string")
    expect(strings.first).to_be_attached()
    classes = set(strings.evaluate_all("paths => paths.map(p => p.getAttribute('class'))"))
    assert "string ok" not in classes and all(p.startswith("string ") for p in classes)
    assert rita.locator("#strings marker").count() == 4 and strings.first.get_attribute("marker-end")
    rita.get_by_label("All strings, on-time ones too").check()
    expect(rita.locator("#strings path.string.ok").first).to_be_attached()
    rita.context.close()


def test_the_room_narrows_the_board_to_a_team_its_problems_or_one_line_a_card(browser, base_url) -> None:
    rita = signed_in(browser, base_url, "rita")
    flagged = rita.locator(".card.trouble")
    expect(flagged.first).to_be_visible()  # the demo's deliberate problems show on their cards
    said = flagged.first.get_attribute("aria-label")
    assert any(why in said for why in ("needs", "blocked", "over capacity")), said  # the reason, not just a colour
    expect(rita.locator(".card .deps").first).to_be_visible()
    all_cards = rita.locator(".card").count()
    rita.get_by_label("Only problems").check()
    expect(rita.locator(".card:not(.trouble)")).to_have_count(0)
    assert 0 < rita.locator(".card").count() < all_cards
    rita.get_by_label("Only problems").uncheck()
    rita.locator("#board-team").select_option("Phoenix")
    expect(rita.get_by_role("rowheader")).to_have_count(2)  # the milestones and Phoenix
    assert rita.locator(".card:not([data-ref$='@Phoenix'])").count() == 0
    rita.get_by_label("Compact").check()
    expect(rita.locator(".card .title").first).to_be_hidden()
    rita.context.close()


def test_while_a_card_is_dragged_the_cells_say_what_a_drop_would_do(browser, base_url) -> None:
    rita = signed_in(browser, base_url, "rita")
    provider = rita.locator("#strings path.string").first.get_attribute("data-provider")  # a card in trouble
    card = rita.locator(f'[id="card-{provider}"]')
    carried = rita.evaluate_handle("() => new DataTransfer()")
    card.dispatch_event("dragstart", {"dataTransfer": carried})
    warned = rita.locator(".cell.would-overload, .cell.would-break")
    expect(warned.first).to_be_visible()
    assert all(
        t.startswith(f"Moving {provider} here ") for t in warned.evaluate_all("cells => cells.map(c => c.title)")
    )
    assert warned.evaluate_all("cells => cells.every(c => c.dataset.team === cells[0].dataset.team)")
    card.dispatch_event("dragend")
    expect(warned).to_have_count(0)  # said before the drop, cleared after it
    rita.context.close()


def test_a_cycle_shows_on_its_cards_and_each_team_shows_its_objectives_business_value(browser, base_url) -> None:
    rita = signed_in(browser, base_url, "rita")
    board = rita.evaluate(f"async () => (await fetch('/api/v1/trains/{TRAIN}/board')).json()")
    unplanned = {c["ref"] for c in board["cards"] if c["iteration"] is None}
    for ref in board["cycles"][0]:  # the demo's deliberate cycle
        if ref in unplanned:
            rita.locator(cell(rita, ref.split("@")[1], None)).locator("button.pile[aria-expanded=false]").click()
        card = rita.locator(f'[id="card-{ref}"]')
        expect(card.locator(".cycle")).to_be_visible()
        assert "in a cycle with" in card.get_attribute("aria-label")
    phoenix = [o for o in board["objectives"] if o["team"] == "Phoenix"]
    planned = sum(o["planned_bv"] or 0 for o in phoenix if o["committed"])
    button = rita.locator('.rowhead button.objectives[data-team="Phoenix"]')
    expect(button).to_have_text(f"{len(phoenix)} objectives · BV {planned}")
    button.click()
    details = rita.locator("#details")
    expect(details.get_by_role("heading", name="Phoenix objectives")).to_be_visible()
    expect(details.locator("li")).to_have_count(len(phoenix))
    rita.context.close()


def test_find_marks_the_matching_cards_and_a_team_folds_to_its_loads(browser, base_url) -> None:
    rita = signed_in(browser, base_url, "rita")
    ref = card_in(rita, "Orion", 2)
    rita.get_by_label("Find").fill(ref.split("@")[0])
    expect(rita.locator(f'[id="card-{ref}"]')).to_have_class(re.compile(r"\bfound\b"))
    assert rita.locator(".card.found").count() < rita.locator(".card").count()  # the others are dimmed
    rita.get_by_label("Find").fill("")
    expect(rita.locator(".card.found")).to_have_count(0)
    rita.get_by_role("button", name="Orion: fold to its loads").click()
    expect(rita.locator('.card[data-ref$="@Orion"]')).to_have_count(0)
    expect(rita.locator(cell(rita, "Orion", 2)).locator(".load")).to_be_visible()  # the load stays in sight
    rita.get_by_role("button", name="Orion: show its cards").click()
    expect(rita.locator(f'[id="card-{ref}"]')).to_be_visible()
    rita.context.close()


def test_a_move_shows_at_once_changes_only_its_cells_and_is_taken_back_when_refused(browser, base_url) -> None:
    rita = signed_in(browser, base_url, "rita")
    ref = card_in(rita, "Falcon", 1)
    elsewhere = card_in(rita, "Orion", 1)
    rita.locator(f'[id="card-{elsewhere}"]').evaluate("node => { node.dataset.kept = 'yes'; }")
    card = rita.locator(f'[id="card-{ref}"]')
    card.focus()
    card.press("ArrowRight")
    expect(rita.locator(f'{cell(rita, "Falcon", 2)} [id="card-{ref}"]')).to_be_focused()
    # Another team's row was not made again: its card is the very node it was.
    expect(rita.locator(f'[id="card-{elsewhere}"]')).to_have_attribute("data-kept", "yes")
    # The server refuses the next move: the card goes back where it was and the person is told.
    busy = '{"detail": "The database is busy: try again."}'
    rita.route("**/api/v1/cards/*", lambda route: route.fulfill(status=503, content_type="application/json", body=busy))
    rita.locator(f'[id="card-{ref}"]').press("ArrowRight")
    expect(rita.locator("#toast")).to_contain_text("The database is busy")
    expect(rita.locator(f'{cell(rita, "Falcon", 2)} [id="card-{ref}"]')).to_be_visible()
    rita.context.close()
