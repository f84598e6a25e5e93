"""The screenshots of docs/web.md, made from the demo train: `.venv/bin/python scripts/screenshots.py`.

Loads the art demo (today in iteration 3 of its PI) into a throw-away SQLite database, serves it, signs
in as rita (the RTE) in Debian's Chromium and saves the board and the ART sync at 1440×900 under
docs/images/.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/web/browser.py serves and knows Chromium's flags

from tests.web.browser import chromium, serving  # noqa: E402

from artsync.cli.app import app  # noqa: E402

SHOTS = {"board": "/trains/PAY/board", "art-sync": "/trains/PAY/sync"}


def main() -> None:
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'demo.db'}"
        loaded = CliRunner().invoke(app, ["demo", "--size", "art", "--db", url])
        if loaded.exit_code != 0:
            raise SystemExit(f"the demo did not load: {loaded.stderr}")
        with serving(url) as base, chromium() as browser:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(f"{base}/login")
            page.get_by_label("User name").fill("rita")
            page.get_by_label("Password").fill("artsync-demo")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda u: "/login" not in u)
            for name, path in SHOTS.items():
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=out / f"{name}.png")
                print(f"wrote {out / f'{name}.png'}")


if __name__ == "__main__":
    main()
