"""The same people in every test: the demo personas of one train, and the local operator."""

from __future__ import annotations

from artsync.domain.permissions import Actor, Grant, Role


def local(name: str = "operator") -> Actor:
    """The operator at the command line, who owns the database."""
    return Actor.local(name)


ADMIN = local()


def personas(train: str, team: str, other_team: str) -> dict[str, Actor]:
    """The RTE, product manager, business owner, a team's PO, SM and member, and a viewer."""
    return {
        "rte": Actor("rita", (Grant(train, Role.RTE),)),
        "product_manager": Actor("pam", (Grant(train, Role.PRODUCT_MANAGER),)),
        "business_owner": Actor("bob", (Grant(train, Role.BUSINESS_OWNER),)),
        "product_owner": Actor("olga", (Grant(train, Role.PRODUCT_OWNER, team),)),
        "scrum_master": Actor("sam", (Grant(train, Role.SCRUM_MASTER, team),)),
        "member": Actor("mia", (Grant(train, Role.MEMBER, team),)),
        "viewer": Actor("vic", (Grant(train, Role.VIEWER),)),
        "other_member": Actor("otto", (Grant(train, Role.MEMBER, other_team),)),
        "stranger": Actor("stan", ()),
    }
