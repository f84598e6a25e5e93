"""The permission matrix, as one table: persona × action → allowed."""

from __future__ import annotations

import pytest

from artsync.domain.permissions import Action, Actor, Grant, Role, allowed
from tests.personas import personas

PEOPLE = personas("ART", "Atlas", "Orion")

# (action, teams of the items it touches)
CASES = {
    "read": (Action.READ, ()),
    "move own card": (Action.MOVE_CARD, ("Atlas",)),
    "move other team's card": (Action.MOVE_CARD, ("Orion",)),
    "edit feature / WSJF": (Action.EDIT_FEATURE, ()),
    "set business value": (Action.SET_BUSINESS_VALUE, ("Atlas",)),
    "edit own objective": (Action.EDIT_OBJECTIVE, ("Atlas",)),
    "roam own team's risk": (Action.ROAM_RISK, ("Atlas",)),
    "roam a train risk": (Action.ROAM_RISK, (None,)),
    "raise a risk": (Action.RAISE_RISK, ()),
    "dependency own team provides or needs": (Action.CHANGE_DEPENDENCY, ("Orion", "Atlas")),
    "dependency between two other teams": (Action.CHANGE_DEPENDENCY, ("Orion", "Nova")),
    "plan own team's capacity": (Action.PLAN_CAPACITY, ("Atlas",)),
    "vote": (Action.VOTE, ()),
    "raise an impediment, report a conflict": (Action.REPORT, ()),
    "manage own team's impediment": (Action.MANAGE_IMPEDIMENT, ("Atlas",)),
    "manage a train impediment": (Action.MANAGE_IMPEDIMENT, (None,)),
    "facilitate": (Action.FACILITATE, ()),
    "administer": (Action.ADMINISTER, ()),
}

Y, N = True, False
#                                   rte pm  bo  po  sm  mem view other stranger
MATRIX = {
    "read":                                  (Y, Y, Y, Y, Y, Y, Y, Y, N),
    "move own card":                         (Y, N, N, Y, Y, Y, N, N, N),
    "move other team's card":                (Y, N, N, N, N, N, N, Y, N),
    "edit feature / WSJF":                   (Y, Y, N, N, N, N, N, N, N),
    "set business value":                    (N, N, Y, N, N, N, N, N, N),
    "edit own objective":                    (Y, N, N, Y, Y, N, N, N, N),
    "roam own team's risk":                  (Y, N, N, Y, Y, N, N, N, N),
    "roam a train risk":                     (Y, N, N, N, N, N, N, N, N),
    "raise a risk":                          (Y, Y, Y, Y, Y, Y, N, Y, N),
    "dependency own team provides or needs": (Y, N, N, Y, Y, N, N, N, N),
    "dependency between two other teams":    (Y, N, N, N, N, N, N, N, N),
    "plan own team's capacity":              (Y, N, N, Y, Y, N, N, N, N),
    "vote":                                  (Y, Y, Y, Y, Y, Y, N, Y, N),
    "raise an impediment, report a conflict": (Y, Y, Y, Y, Y, Y, N, Y, N),
    "manage own team's impediment":          (Y, N, N, Y, Y, N, N, N, N),
    "manage a train impediment":             (Y, N, N, N, N, N, N, N, N),
    "facilitate":                            (Y, N, N, N, N, N, N, N, N),
    "administer":                            (Y, N, N, N, N, N, N, N, N),
}  # fmt: skip
COLUMNS = ("rte", "product_manager", "business_owner", "product_owner", "scrum_master", "member", "viewer",
           "other_member", "stranger")  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "case", "expected"),
    [(persona, case, row[i]) for case, row in MATRIX.items() for i, persona in enumerate(COLUMNS)],
    ids=lambda v: str(v).replace(" ", "-") if not isinstance(v, bool) else ("allowed" if v else "refused"),
)
def test_permission_matrix(persona: str, case: str, expected: bool) -> None:
    action, teams = CASES[case]
    decision = allowed(PEOPLE[persona], "ART", action, teams)
    assert decision.ok is expected, decision.reason
    if not expected:
        assert PEOPLE[persona].name in decision.reason


def test_roles_on_one_train_give_nothing_on_another() -> None:
    assert not allowed(PEOPLE["rte"], "OTHER", Action.READ).ok


def test_the_local_operator_may_do_everything() -> None:
    assert all(allowed(Actor.local("ops"), "ANY", action).ok for action in Action)


def test_a_persons_team_on_a_train_is_their_first_team_roles() -> None:
    mia = Actor(
        "mia", (Grant("PAY", Role.VIEWER), Grant("SHOP", Role.MEMBER, "Orion"), Grant("PAY", Role.MEMBER, "Atlas"))
    )
    assert (mia.team_on("PAY"), mia.team_on("SHOP"), mia.team_on("OTHER")) == ("Atlas", "Orion", None)
    assert Actor("rita", (Grant("PAY", Role.RTE),)).team_on("PAY") is None
