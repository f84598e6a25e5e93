"""Each web worker's PostgreSQL connections fit the server: as many as its threads when they fit, fewer when the
server's max_connections cannot hold that many for every worker, and a clear refusal when not even a few fit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from artsync.errors import InvalidInputError
from artsync.store.db import HEADROOM, LEAST_POOL, POSTGRES_POOL, connections_allowed, make_engine, pool_per_worker


def test_two_workers_keep_their_whole_pool_on_a_stock_server() -> None:
    assert pool_per_worker(allowed=97, workers=2) == POSTGRES_POOL


def test_four_workers_share_what_a_stock_server_takes() -> None:
    assert pool_per_worker(allowed=97, workers=4) == 20  # (97 - 10) // 4, less each worker's listener


def test_a_smaller_pool_asked_for_is_kept() -> None:
    assert pool_per_worker(allowed=97, workers=2, wanted=8) == 8


def test_too_many_workers_for_the_server_is_refused_naming_the_way_out() -> None:
    with pytest.raises(InvalidInputError, match=r"takes 97 connections: not enough for 20 workers.*max_connections"):
        pool_per_worker(allowed=97, workers=20)


@given(allowed=st.integers(20, 5_000), workers=st.integers(1, 64), wanted=st.none() | st.integers(1, 200))
def test_the_workers_never_ask_for_more_than_the_server_takes(allowed: int, workers: int, wanted: int | None) -> None:
    try:
        pool = pool_per_worker(allowed, workers, wanted)
    except InvalidInputError:
        assert (allowed - HEADROOM) // workers - 1 < LEAST_POOL
        return
    assert workers * (pool + 1) + HEADROOM <= allowed
    assert pool == min(wanted or POSTGRES_POOL, (allowed - HEADROOM) // workers - 1)


def test_the_connections_allowed_are_the_servers_less_its_reserved_slots(postgres_url) -> None:
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            most, reserved = connection.execute(
                text(
                    "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')"
                    "::int + coalesce(current_setting('reserved_connections', true)::int, 0)"  # from PostgreSQL 16
                )
            ).one()
        assert connections_allowed(engine) == most - reserved
    finally:
        engine.dispose()


def test_an_engine_keeps_the_pool_it_is_given(postgres_url) -> None:
    engine = make_engine(postgres_url, pool_size=7)
    try:
        assert engine.pool.size() == 7  # type: ignore[attr-defined]
    finally:
        engine.dispose()
