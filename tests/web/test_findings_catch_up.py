"""A findings page open while the train changes: the server finds the findings again at most once per
`ARTSYNC_FINDINGS_LAG_SECONDS`, and the page, shown older ones, reads itself again when they are due — so it is not
left behind once the room is quiet, though no further change comes to wake it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect
from typer.testing import CliRunner

from artsync.cli.app import app
from tests.web.browser import planning_demo, serving, sign_in

TRAIN = "SHOP"
LAG = 5  # seconds: wide enough that the page's first read after the change comes within it on a slow machine


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, str]]:
    url = planning_demo(tmp_path_factory.mktemp("catch-up"))
    token = CliRunner().invoke(app, ["token", "create", "rita", "--db", url]).stdout.split()[-1]
    with serving(url, env={"ARTSYNC_FINDINGS_LAG_SECONDS": str(LAG)}) as base:
        yield base, token


def test_a_findings_page_shown_older_findings_reads_itself_again_when_they_are_due(browser, site) -> None:
    base, token = site
    page = sign_in(browser, base, "rita", f"/trains/{TRAIN}/findings")
    expect(page.locator("#live-state")).to_have_text("live")
    behind: list[str] = []
    page.on("response", lambda r: behind.append(r.headers["x-behind"]) if "x-behind" in r.headers else None)
    shown = page.locator("#main").inner_text()
    headers = {"Authorization": f"Bearer {token}"}
    cards = httpx.get(f"{base}/api/v1/trains/{TRAIN}/board", headers=headers).json()["cards"]
    consumer = next(c for c in cards if c["team"] == "Atlas" and c["iteration"] is not None)
    provider = next(c for c in cards if c["team"] != "Atlas" and c["iteration"] is None and c["ref"] not in shown)
    added = httpx.post(
        f"{base}/api/v1/trains/{TRAIN}/dependencies",
        json={"consumer": consumer["ref"], "provider": provider["ref"]},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    # The change's event makes the page read itself at once: its findings are still those found on load (the lag
    # has not passed), and it is told when they are due; it reads again then, with nothing else to wake it.
    expect(page.locator("#main")).to_contain_text(provider["ref"], timeout=3 * LAG * 1000)
    assert behind and all(0 < int(ms) <= LAG * 1000 for ms in behind)
