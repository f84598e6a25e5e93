"""`artsync serve` on PostgreSQL sizes each worker's connections to what the server takes (the server itself is
not started here: the process it becomes is replaced by a stand-in that keeps what it was asked)."""

from __future__ import annotations

import os

import pytest

from tests.cli.conftest import run


@pytest.fixture
def postgres_url(postgres_url) -> str:
    """An artsync database on PostgreSQL (`serve` starts on one that exists)."""
    code, _, err = run(postgres_url, "init")
    assert code == 0, err
    return postgres_url


@pytest.fixture
def started(monkeypatch) -> dict[str, object]:
    """What `serve` handed uvicorn, and the workers' environment; nothing it sets outlives the test."""
    for name in ("ARTSYNC_DATABASE_POOL", "ARTSYNC_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    asked: dict[str, object] = {}

    def become(host: str, port: int, workers: int) -> None:
        asked.update(host=host, port=port, workers=workers, pool=os.environ.get("ARTSYNC_DATABASE_POOL"))

    monkeypatch.setattr("artsync.cli.app.become_server", become)
    return asked


def test_two_workers_keep_their_whole_pool(postgres_url, started) -> None:
    code, _, err = run(postgres_url, "serve", "--workers", "2")
    assert code == 0, err
    assert started["workers"] == 2 and started["pool"] == "40"
    assert "connections" not in err


def test_more_workers_than_the_server_holds_at_40_each_get_fewer_and_are_told(postgres_url, started) -> None:
    code, _, err = run(postgres_url, "serve", "--workers", "5")
    assert code == 0, err
    pool = int(str(started["pool"]))
    assert started["workers"] == 5 and 4 <= pool < 40
    assert f"each of the 5 workers keeps up to {pool}, not 40" in " ".join(err.split())


def test_too_many_workers_for_the_server_is_one_red_line(postgres_url, started) -> None:
    code, _, err = run(postgres_url, "serve", "--workers", "64")
    assert code != 0
    assert "not enough for 64 workers" in " ".join(err.split()) and "Traceback" not in err
    assert started == {}  # nothing was started
