from __future__ import annotations

import pytest

from artsync.domain.board import DependencyStatus
from artsync.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from artsync.formats.plan_format import parse_plan
from artsync.services.dependencies import add_dependency, remove_dependency, set_dependency_state
from artsync.services.events import list_events
from artsync.services.plans import import_plan
from artsync.services.trains import get_plan
from tests.formats.test_plan_format import minimal
from tests.personas import ADMIN, local, personas


@pytest.fixture
def train(db) -> str:
    doc = minimal()
    doc["teams"].append({"key": "Orion", "name": "Team Orion", "velocity": 20})
    doc["cards"].append({"feature": "F2", "team": "Orion", "iteration": 2, "points": 3})
    import_plan(db, actor=local("alice"), plan=parse_plan(doc))
    return "ART"


def test_adding_a_dependency_reports_where_it_stands_and_logs_it(db, train) -> None:
    added = add_dependency(db, actor=local("bob"), train_key=train, consumer="F2@Orion", provider="F1@Atlas")
    assert added.value.status is DependencyStatus.AT_RISK  # both in iteration 2
    assert "F2@Orion->F1@Atlas" in {d.key for d in get_plan(db, actor=ADMIN, train_key=train).dependencies}
    event = list_events(db, actor=ADMIN, train_key=train)[-1]
    assert (event.entity, event.entity_id, event.action) == ("dependency", "F2@Orion->F1@Atlas", "added")


def test_removing_a_dependency_logs_what_it_was(db, train) -> None:
    remove_dependency(db, actor=local("bob"), train_key=train, consumer="F2@Atlas", provider="F1@Atlas")
    assert get_plan(db, actor=ADMIN, train_key=train).dependencies == ()
    event = list_events(db, actor=ADMIN, train_key=train)[-1]
    assert (event.action, event.before["provider"], event.after) == ("removed", "F1@Atlas", None)


@pytest.mark.parametrize(
    ("call", "consumer", "provider", "error", "message"),
    [
        (add_dependency, "F2@Atlas", "F1@Atlas", ConflictError, "F2@Atlas already needs F1@Atlas"),
        (add_dependency, "F1@Atlas", "F1@Atlas", InvalidInputError, "cannot depend on itself"),
        (add_dependency, "F1@Atlas", "F9@Atlas", NotFoundError, "no card F9@Atlas"),
        (remove_dependency, "F1@Atlas", "F2@Atlas", NotFoundError, "F1@Atlas does not depend on F2@Atlas"),
    ],
    ids=["duplicate", "self", "unknown-provider", "remove-missing"],
)
def test_bad_dependency_changes_are_refused_and_change_nothing(db, train, call, consumer, provider, error, message):
    with pytest.raises(error, match=message):
        call(db, actor=local("bob"), train_key=train, consumer=consumer, provider=provider)
    assert len(get_plan(db, actor=ADMIN, train_key=train).dependencies) == 1
    assert len(list_events(db, actor=ADMIN, train_key=train)) == 1


def test_the_providing_team_commits_and_delivers_and_it_is_logged(db, train) -> None:
    people = personas("ART", "Orion", "Atlas")  # product owner of Orion, the consuming team here
    add_dependency(db, actor=ADMIN, train_key=train, consumer="F2@Orion", provider="F1@Atlas")
    with pytest.raises(ForbiddenError):
        set_dependency_state(
            db, actor=people["product_owner"], train_key=train, consumer="F2@Orion", provider="F1@Atlas",
            state="committed",
        )  # fmt: skip
    atlas_po = personas("ART", "Atlas", "Orion")["product_owner"]
    committed = set_dependency_state(
        db, actor=atlas_po, train_key=train, consumer="F2@Orion", provider="F1@Atlas", state="committed"
    )
    assert (committed.value.dependency.state, committed.version) == ("committed", 2)
    delivered = set_dependency_state(
        db, actor=atlas_po, train_key=train, consumer="F2@Orion", provider="F1@Atlas", state="delivered"
    )
    assert delivered.value.dependency.state == "delivered"
    states = {d.key: d.state for d in get_plan(db, actor=ADMIN, train_key=train).dependencies}
    assert states["F2@Orion->F1@Atlas"] == "delivered"
    assert [e.action for e in list_events(db, actor=ADMIN, train_key=train)][-2:] == ["committed", "delivered"]


def test_a_dependency_cannot_skip_a_step(db, train) -> None:
    with pytest.raises(InvalidInputError, match="a requested dependency cannot become delivered"):
        set_dependency_state(
            db, actor=ADMIN, train_key=train, consumer="F2@Atlas", provider="F1@Atlas", state="delivered"
        )
    assert {d.state for d in get_plan(db, actor=ADMIN, train_key=train).dependencies} == {"requested"}
