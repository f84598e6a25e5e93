"""A real `artsync serve` process and Debian's Chromium driven by Playwright, for browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_train_with_rte(database_url: str) -> str:
    """Set up the small demo train in an empty database with rita as its RTE; returns rita's API token."""
    from sqlalchemy.orm import Session

    from artsync.domain.permissions import Actor
    from artsync.formats.demo import demo_plan
    from artsync.services.auth import create_token
    from artsync.services.people import add_user
    from artsync.services.plans import import_plan
    from artsync.store.db import make_engine, migrate

    operator = Actor.local("operator")
    engine = make_engine(database_url)
    try:
        migrate(engine)
        with Session(engine) as db:
            import_plan(db, actor=operator, plan=demo_plan("small"))
            add_user(db, actor=operator, name="rita", train_key="SHOP", role="rte")
            return create_token(db, actor=operator, user_name="rita").token
    finally:
        engine.dispose()


class Server(str):
    """The base URL of a running `artsync serve`, with its process."""

    process: subprocess.Popen[bytes]


@contextmanager
def serving(database_url: str, *, workers: int = 1, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Run `artsync serve` on a free port until the block ends; yields its base URL (with ``.process``)."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "artsync",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--db",
            database_url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        cwd=Path(__file__).parent,
    )
    base = Server(f"http://127.0.0.1:{port}")
    base.process = process
    try:
        wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_until_up(base: str, process: subprocess.Popen[bytes], limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"artsync serve exited early:\n{output}")
        try:
            if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # polling for readiness, not timing anything
    raise RuntimeError(f"artsync serve did not answer on {base} within {limit:.0f} s")


def planning_demo(directory: Path) -> str:
    """A SQLite URL holding the small demo train on the eve of its PI planning (`artsync demo --stage planning`)."""
    from typer.testing import CliRunner

    from artsync.cli.app import app

    url = f"sqlite:///{directory / 'artsync.db'}"
    result = CliRunner().invoke(app, ["demo", "--size", "small", "--stage", "planning", "--db", url])
    assert result.exit_code == 0, result.stderr
    return url


def sign_in(browser: Any, base: str, name: str, path: str, *, height: int = 800) -> Any:
    """A new browser context of ``name`` (password artsync-demo) on ``path``, at 1280 px; its requests go to
    ``base`` too."""
    page = browser.new_context(viewport={"width": 1280, "height": height}, base_url=base).new_page()
    page.goto(f"{base}/login?next={path}")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill("artsync-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{path}")
    return page
