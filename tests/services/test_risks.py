from __future__ import annotations

import pytest

from artsync.errors import InvalidInputError, NotFoundError, StaleVersionError
from artsync.formats.plan_format import parse_plan
from artsync.services.events import list_events
from artsync.services.findings import list_findings
from artsync.services.plans import import_plan
from artsync.services.risks import roam_risk
from artsync.services.trains import get_plan
from tests.formats.test_plan_format import minimal
from tests.personas import ADMIN, local


@pytest.fixture
def train(db) -> str:
    doc = minimal()
    doc["risks"].append({"key": "R2", "text": "Test rig late", "roam": "unroamed", "owner": None, "team": "Atlas"})
    import_plan(db, actor=local("alice"), plan=parse_plan(doc))
    return "ART"


def test_roaming_a_risk_as_owned_records_the_owner_and_clears_the_finding(db, train) -> None:
    assert [f.kind for f in list_findings(db, actor=ADMIN, train_key=train)].count("risk-unroamed") == 1
    roamed = roam_risk(
        db, actor=local("rte"), train_key=train, key="R2", roam="owned", owner="Dana", note="Dana chases it"
    )
    assert (roamed.value.roam, roamed.value.owner, roamed.version) == ("owned", "Dana", 2)
    assert "risk-unroamed" not in {f.kind for f in list_findings(db, actor=ADMIN, train_key=train)}
    event = list_events(db, actor=ADMIN, train_key=train)[-1]
    assert (event.entity_id, event.before["roam"], event.after["roam"], event.after["note"]) == (
        "R2",
        "unroamed",
        "owned",
        "Dana chases it",
    )


def test_an_owned_risk_needs_an_owner(db, train) -> None:
    with pytest.raises(InvalidInputError, match="an owned risk needs an owner"):
        roam_risk(db, actor=local("rte"), train_key=train, key="R2", roam="owned")
    assert {r.key: r.roam for r in get_plan(db, actor=ADMIN, train_key=train).risks}["R2"] == "unroamed"


def test_roaming_with_a_stale_version_is_refused(db, train) -> None:
    roam_risk(db, actor=local("rte"), train_key=train, key="R2", roam="accepted", version=1)
    with pytest.raises(StaleVersionError) as caught:
        roam_risk(db, actor=local("po"), train_key=train, key="R2", roam="mitigated", version=1)
    assert caught.value.current["roam"] == "accepted"


@pytest.mark.parametrize(
    ("key", "roam", "error", "message"),
    [("R9", "owned", NotFoundError, "no risk 'R9'"), ("R2", "ignored", InvalidInputError, "not a ROAM state")],
    ids=["unknown-risk", "unknown-state"],
)
def test_bad_roam_is_refused(db, train, key, roam, error, message) -> None:
    with pytest.raises(error, match=message):
        roam_risk(db, actor=local("rte"), train_key=train, key=key, roam=roam, owner="Dana")
    assert len(list_events(db, actor=ADMIN, train_key=train)) == 1
