"""Who may do what on a train: the one permission matrix, as plain values.

Roles are per train; team roles (product owner, scrum master, member) are held
for one team. ``allowed`` answers one question — may this person do this
action, on items of these teams — and every service asks it through
``services.permissions.authorize``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    RTE = "rte"
    PRODUCT_MANAGER = "product_manager"
    BUSINESS_OWNER = "business_owner"
    PRODUCT_OWNER = "product_owner"
    SCRUM_MASTER = "scrum_master"
    MEMBER = "member"
    VIEWER = "viewer"


TEAM_ROLES = frozenset({Role.PRODUCT_OWNER, Role.SCRUM_MASTER, Role.MEMBER})


class Action(StrEnum):
    READ = "read"
    MOVE_CARD = "move_card"  # place a team's card on the board
    EDIT_CARD = "edit_card"  # points, status
    EDIT_FEATURE = "edit_feature"  # title, kind, WSJF inputs
    SET_BUSINESS_VALUE = "set_business_value"  # planned and actual BV of objectives
    EDIT_OBJECTIVE = "edit_objective"  # text, committed, linked features
    RAISE_RISK = "raise_risk"
    ROAM_RISK = "roam_risk"
    CHANGE_DEPENDENCY = "change_dependency"  # add, remove, change state
    EDIT_MILESTONE = "edit_milestone"
    PLAN_CAPACITY = "plan_capacity"  # team size, people's leave, capacity adjustments
    VOTE = "vote"  # the confidence vote
    REPORT = "report"  # raise an impediment, report a conflict
    MANAGE_IMPEDIMENT = "manage_impediment"  # own, escalate, resolve an impediment
    FACILITATE = "facilitate"  # open and close votes, commit the plan, run the ART events
    ADMINISTER = "administer"  # import, replace, people and roles


@dataclass(frozen=True)
class Grant:
    """One role a person holds on one train (for team roles, in one team)."""

    train: str
    role: Role
    team: str | None = None


@dataclass(frozen=True)
class Actor:
    """The person (or program) making a change, with the roles they hold."""

    name: str
    grants: tuple[Grant, ...] = ()
    local_admin: bool = False  # the operator at the command line owns the database
    user_id: int | None = None

    @classmethod
    def local(cls, name: str) -> Actor:
        """The operator running the CLI on the database it owns: may do everything."""
        return cls(name=name, local_admin=True)

    def roles_on(self, train: str) -> list[Grant]:
        """The grants this actor holds on ``train``."""
        return [g for g in self.grants if g.train == train]

    def team_on(self, train: str) -> str | None:
        """The team this actor works in on ``train`` (their first team role's), for forms to start from."""
        return next((g.team for g in self.roles_on(train) if g.team is not None), None)


# What each train-wide role may do, on any team's items. Business value is the business owners'
# word alone (DOMAIN.md): not even the RTE sets it.
TRAIN_RIGHTS: dict[Role, frozenset[Action]] = {
    Role.RTE: frozenset(Action) - {Action.SET_BUSINESS_VALUE},
    Role.PRODUCT_MANAGER: frozenset(
        {Action.READ, Action.EDIT_FEATURE, Action.RAISE_RISK, Action.EDIT_MILESTONE, Action.VOTE, Action.REPORT}
    ),
    Role.BUSINESS_OWNER: frozenset(
        {Action.READ, Action.SET_BUSINESS_VALUE, Action.RAISE_RISK, Action.VOTE, Action.REPORT}
    ),
    Role.VIEWER: frozenset({Action.READ}),
}
# What each team role may do on its own team's items (and read everything). The PO and the SM
# own their team's cards, objectives, risks and the dependencies it requests or provides.
TEAM_OWNER_RIGHTS = frozenset(
    {
        Action.READ,
        Action.MOVE_CARD,
        Action.EDIT_CARD,
        Action.EDIT_OBJECTIVE,
        Action.RAISE_RISK,
        Action.ROAM_RISK,
        Action.CHANGE_DEPENDENCY,
        Action.PLAN_CAPACITY,
        Action.VOTE,
        Action.REPORT,
        Action.MANAGE_IMPEDIMENT,
    }
)
TEAM_RIGHTS: dict[Role, frozenset[Action]] = {
    Role.PRODUCT_OWNER: TEAM_OWNER_RIGHTS,
    Role.SCRUM_MASTER: TEAM_OWNER_RIGHTS,
    Role.MEMBER: frozenset({Action.READ, Action.MOVE_CARD, Action.RAISE_RISK, Action.VOTE, Action.REPORT}),
}
# What a team role may do whatever team the item belongs to.
ANY_TEAM = frozenset({Action.READ, Action.RAISE_RISK, Action.VOTE, Action.REPORT})


@dataclass(frozen=True)
class Decision:
    """The answer of ``allowed``, with the reason when it is no."""

    ok: bool
    reason: str = ""


def allowed(actor: Actor, train: str, action: Action, teams: Iterable[str | None] = ()) -> Decision:
    """May ``actor`` do ``action`` on ``train``, on items that belong to ``teams``?

    For a dependency, pass both teams: the PO or SM of either side may change it.
    Items of no team (a train risk) need a train-wide right.
    """
    if actor.local_admin:
        return Decision(True)
    grants = actor.roles_on(train)
    if not grants:
        return Decision(False, f"{actor.name} has no role on train {train}")
    for grant in grants:
        if grant.role in TRAIN_RIGHTS and action in TRAIN_RIGHTS[grant.role]:
            return Decision(True)
    wanted = {t for t in teams if t is not None}
    for grant in grants:
        if grant.role in TEAM_RIGHTS and action in TEAM_RIGHTS[grant.role]:
            if action in ANY_TEAM:
                return Decision(True)
            if grant.team in wanted:
                return Decision(True)
    roles = ", ".join(f"{g.role.value}" + (f" of {g.team}" if g.team else "") for g in grants)
    whose = f" on items of {', '.join(sorted(wanted))}" if wanted else ""
    return Decision(False, f"{actor.name} ({roles}) may not {action.value.replace('_', ' ')}{whose}")
