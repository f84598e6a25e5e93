"""The version counter under every versioned row: a write based on an old read fails, whoever forgot to check."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from artsync.errors import StaleVersionError
from artsync.formats.demo import demo_plan
from artsync.services.cards import move_card
from artsync.services.plans import import_plan
from artsync.services.transaction import transaction
from artsync.store.models import CardRow, FeatureRow, TeamRow
from tests.personas import ADMIN


@pytest.fixture
def stale_card(engine) -> tuple[Session, CardRow, int]:
    """A card read by one session, then moved by another: the first holds an old copy."""
    with Session(engine, expire_on_commit=False) as db:
        import_plan(db, actor=ADMIN, plan=demo_plan("small"))
    stale = Session(engine, expire_on_commit=False)
    row = stale.scalars(select(CardRow).where(CardRow.iteration == 2)).first()
    assert row is not None
    stale.commit()  # the read is over; the object keeps what it read
    with Session(engine, expire_on_commit=False) as fresh:
        feature, team = fresh.get(FeatureRow, row.feature_id), fresh.get(TeamRow, row.team_id)
        assert feature is not None and team is not None
        moved = move_card(fresh, actor=ADMIN, train_key="SHOP", ref=f"{feature.key}@{team.key}", to_iteration=1)
    yield stale, row, moved.version
    stale.close()


def test_an_update_from_an_old_read_matches_no_row(stale_card, engine) -> None:
    stale, row, version = stale_card
    row.iteration = 3
    with pytest.raises(StaleDataError):
        stale.flush()  # UPDATE … WHERE id = :id AND version = <the old version>
    stale.rollback()
    with Session(engine) as db:
        assert (db.get(CardRow, row.id).iteration, db.get(CardRow, row.id).version) == (1, version)  # type: ignore[union-attr]


def test_a_service_transaction_refuses_a_write_from_an_old_read_as_stale(stale_card, engine) -> None:
    stale, row, version = stale_card
    with pytest.raises(StaleVersionError, match="changed while your change was being made"):  # noqa: SIM117
        with transaction(stale):
            stale.expire_all = lambda: None  # type: ignore[method-assign]  (keep the old copy, as a careless service would)
            row.iteration = 3
    with Session(engine) as db:
        assert db.get(CardRow, row.id).version == version  # type: ignore[union-attr]
