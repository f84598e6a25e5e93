"""Every page, as every persona, on the demo train in mid-PI: no console error, no CSP refusal, no failed request,
and no critical or serious accessibility violation that axe-core finds.

The Content-Security-Policy refuses inline scripts and styles; a page that relies on one shows it here
as a console error (Chromium reports each refusal) or a `securitypolicyviolation` event.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page
from typer.testing import CliRunner

from artsync.cli.app import app
from tests.web.browser import serving

TRAIN = "SHOP"
PASSWORD = "artsync-demo"
# One demo person of each role (sam, the scrum master, has the product owner's rights; otto is a member as mia is).
PERSONAS = ("rita", "pam", "bob", "olga", "mia", "vic")  # RTE, product management, business owner, PO, member, viewer
PAGES = (
    "/",
    "/trains/{train}",
    "/trains/{train}/board",
    "/trains/{train}/backlog",
    "/trains/{train}/planning",
    "/trains/{train}/wsjf",
    "/trains/{train}/teams/Phoenix/review",
    "/trains/{train}/roam",
    "/trains/{train}/sync",
    "/trains/{train}/meetings/{meeting}",
    "/trains/{train}/impediments",
    "/trains/{train}/conflicts",
    "/trains/{train}/notifications",
    "/trains/{train}/tracker",
    "/trains/{train}/forecast",
    "/trains/{train}/report",
    "/trains/{train}/findings",
    "/trains/{train}/history",
    "/api/v1/docs",
)
BLOCKING = ("critical", "serious")  # axe-core impacts that fail the page
AXE_PERSONAS = ("rita", "vic")  # the most controls and the fewest: axe takes a second a page
THIRD_PARTY = {"/api/v1/docs"}  # Swagger UI's own markup (colour contrast, nested buttons): not ours to change
READY = {"/trains/{train}/board": ".card", "/api/v1/docs": ".opblock"}
WATCH_CSP = """document.addEventListener("securitypolicyviolation",
    (e) => console.error(`CSP refused ${e.violatedDirective}: ${e.blockedURI || "inline"}`));"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """The small demo train in mid-PI, served; and the id of an ART sync held (it has minutes)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'artsync.db'}"
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "--size", "small", "--db", url])
    assert result.exit_code == 0, result.stderr
    token = runner.invoke(app, ["token", "create", "rita", "--db", url]).stdout.split()[-1]
    with serving(url) as base:
        answer = httpx.get(f"{base}/api/v1/trains/{TRAIN}/meetings", headers={"Authorization": f"Bearer {token}"})
        held = next(m["id"] for m in answer.json()["meetings"] if m["kind"] == "art_sync" and m["state"] == "ended")
        yield base, held


def sign_in(browser: Browser, base: str, name: str) -> tuple[Page, list[str]]:
    """A page signed in as ``name`` whose console errors, warnings and failed requests are collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    trouble: list[str] = []
    page.on("console", lambda m: trouble.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: trouble.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: trouble.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: trouble.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page, trouble


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_loads_clean_for_every_persona(browser: Browser, site: tuple[str, int], persona: str) -> None:
    base, meeting = site
    page, trouble = sign_in(browser, base, persona)
    seen: dict[str, list[str]] = {}
    axe = Axe()
    for path in PAGES:
        url = base + path.format(train=TRAIN, meeting=meeting)
        trouble.clear()
        answer = page.goto(url)  # server-rendered: loaded is done; the board and the docs draw with a fetch
        if path in READY:
            page.locator(READY[path]).first.wait_for()
        assert answer is not None and answer.status == 200, f"{persona} {path}: {answer and answer.status}"
        assert page.locator("main, #swagger-ui").first.inner_text().strip(), f"{persona} {path} is empty"
        bar = page.locator("header.topbar")
        if bar.count():  # the top bar fits one row at 1280 px
            assert bar.bounding_box()["height"] < 56, f"{persona} {path}: the top bar wraps"
        checked = persona in AXE_PERSONAS and path not in THIRD_PARTY
        found = axe.run(page).response["violations"] if checked else []
        trouble += [f"axe {v['impact']}: {v['id']} ({len(v['nodes'])})" for v in found if v["impact"] in BLOCKING]
        if trouble:
            seen[path] = list(trouble)
    page.context.close()
    assert not seen, f"{persona}: {seen}"
