"""A server process keeps the PostgreSQL connections its settings give it (`serve` sets them for its workers)."""

from __future__ import annotations

from artsync.settings import Settings
from artsync.store.db import POSTGRES_POOL
from artsync.web.app import create_app


def test_a_worker_keeps_the_pool_serve_gave_it(postgres_url) -> None:
    app = create_app(Settings(database_url=postgres_url, database_pool=6))
    try:
        assert app.state.engine.pool.size() == 6
    finally:
        app.state.engine.dispose()


def test_without_a_setting_a_worker_keeps_one_connection_per_thread(postgres_url) -> None:
    app = create_app(Settings(database_url=postgres_url))
    try:
        assert app.state.engine.pool.size() == POSTGRES_POOL
    finally:
        app.state.engine.dispose()
