from __future__ import annotations

import pytest

from artsync.errors import ForbiddenError, InvalidInputError
from artsync.formats.plan_format import parse_plan
from artsync.services.events import list_events
from artsync.services.pis import advance_pi
from artsync.services.plans import import_plan
from artsync.services.trains import get_plan
from tests.formats.test_plan_format import minimal
from tests.personas import ADMIN, personas


@pytest.fixture
def train(db) -> str:
    import_plan(db, actor=ADMIN, plan=parse_plan(minimal()))  # imported in planning
    return "ART"


def test_the_rte_moves_the_pi_on_and_it_is_logged(db, train) -> None:
    rte = personas("ART", "Atlas", "Orion")["rte"]
    moved = advance_pi(db, actor=rte, train_key=train)
    assert (moved.value.state, moved.version) == ("executing", 2)
    assert get_plan(db, actor=ADMIN, train_key=train).pi.state == "executing"
    event = list_events(db, actor=ADMIN, train_key=train)[-1]
    assert (event.entity, event.action, event.before["state"], event.after["state"]) == (
        "pi",
        "advanced",
        "planning",
        "executing",
    )


def test_skipping_a_step_is_refused_and_changes_nothing(db, train) -> None:
    with pytest.raises(InvalidInputError, match="one step at a time"):
        advance_pi(db, actor=ADMIN, train_key=train, to="closed")
    assert get_plan(db, actor=ADMIN, train_key=train).pi.state == "planning"


@pytest.mark.parametrize("persona", ["product_owner", "product_manager", "viewer"])
def test_only_the_rte_moves_the_pi_on(db, train, persona) -> None:
    with pytest.raises(ForbiddenError):
        advance_pi(db, actor=personas("ART", "Atlas", "Orion")[persona], train_key=train)
    assert get_plan(db, actor=ADMIN, train_key=train).pi.state == "planning"
