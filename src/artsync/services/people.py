"""People and their roles on trains."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any, TypeVar

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.events import Entity
from artsync.domain.permissions import TEAM_ROLES, Action, Actor, Grant, Role
from artsync.errors import InvalidInputError, NotFoundError
from artsync.services.transaction import credentials_changed
from artsync.services.writes import writing
from artsync.store.mapping import utc_now
from artsync.store.models import ApiTokenRow, MembershipRow, TeamRow, TrainRow, UserRow, WebSessionRow

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


@dataclass(frozen=True)
class Person:
    """A user and the roles they hold."""

    id: int
    name: str
    has_password: bool
    grants: tuple[Grant, ...]


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short to resist guessing."""
    if len(password) < 8:
        raise InvalidInputError("a password needs at least 8 characters")


def parse_role(role: str) -> Role:
    """A role by its name, or a message listing the roles there are."""
    try:
        return Role(role)
    except ValueError:
        raise InvalidInputError(f"{role!r} is not a role; use one of {', '.join(r.value for r in Role)}") from None


def add_user(
    db: Session,
    *,
    actor: Actor,
    name: str,
    train_key: str,
    role: str,
    team_key: str | None = None,
    password: str | None = None,
) -> Person:
    """Create the user if new (setting the password when given) and give them a role on a train."""
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise InvalidInputError(f"{name!r} is not a user name: one word, at most 100 characters")
    role_value = parse_role(role)
    if role_value in TEAM_ROLES and team_key is None:
        raise InvalidInputError(f"a {role_value.value} belongs to a team: add --team TEAM")
    if role_value not in TEAM_ROLES and team_key is not None:
        raise InvalidInputError(f"a {role_value.value} is a train role; leave out --team")
    if password is not None:
        check_password_strength(password)
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.ADMINISTER)
        team_id = None
        if team_key is not None:
            team = db.scalars(select(TeamRow).where(TeamRow.train_id == train.id, TeamRow.key == team_key)).first()
            if team is None:
                raise NotFoundError(f"no team {team_key!r} on train {train.key}")
            team_id = team.id
        user = db.scalars(select(UserRow).where(UserRow.name == name)).first()
        if user is None:
            user = UserRow(name=name, password_hash=None, created_at=utc_now(), version=1)
            db.add(user)
            db.flush()
        if password is not None:
            user.password_hash = HASHER.hash(password)
        exists = db.scalars(
            select(MembershipRow.id).where(
                MembershipRow.user_id == user.id,
                MembershipRow.train_id == train.id,
                MembershipRow.role == role_value.value,
                MembershipRow.team_id.is_(None) if team_id is None else MembershipRow.team_id == team_id,
            )
        ).first()
        if exists is None:
            db.add(MembershipRow(user_id=user.id, train_id=train.id, role=role_value.value, team_id=team_id))
            w.record(Entity.MEMBER, name, "granted", before=None, after={"role": role_value.value, "team": team_key})
            credentials_changed(db)
    return person(db, user)


def remove_role(
    db: Session, *, actor: Actor, name: str, train_key: str, role: str, team_key: str | None = None
) -> Person:
    """Take a role on a train away from a user; their open live connections to the train close soon after."""
    role_value = parse_role(role)
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.ADMINISTER)
        user = db.scalars(select(UserRow).where(UserRow.name == name)).first()
        if user is None:
            raise NotFoundError(f"no user {name!r}: `artsync user list` shows who there is")
        query = select(MembershipRow).where(
            MembershipRow.user_id == user.id, MembershipRow.train_id == train.id, MembershipRow.role == role_value.value
        )
        if team_key is not None:
            query = query.join(TeamRow, MembershipRow.team_id == TeamRow.id).where(TeamRow.key == team_key)
        held = db.scalars(query).all()
        if not held:
            where = f" of {team_key}" if team_key else ""
            raise NotFoundError(f"{name} is not {role_value.value}{where} on {train.key}")
        for membership in held:
            db.delete(membership)
        w.record(Entity.MEMBER, name, "revoked", before={"role": role_value.value, "team": team_key}, after=None)
        credentials_changed(db)
    return person(db, user)


def grants_of(db: Session, user_id: int) -> tuple[Grant, ...]:
    """Every role the user holds, on every train."""
    rows = db.execute(
        select(TrainRow.key, MembershipRow.role, TeamRow.key)
        .join(TrainRow, MembershipRow.train_id == TrainRow.id)
        .outerjoin(TeamRow, MembershipRow.team_id == TeamRow.id)
        .where(MembershipRow.user_id == user_id)
        .order_by(TrainRow.key, MembershipRow.role, TeamRow.key)
    )
    return tuple(Grant(train, Role(role), team) for train, role, team in rows)


Credential = TypeVar("Credential", ApiTokenRow, WebSessionRow)


def chunks(values: list[Any], size: int = 500) -> Iterator[list[Any]]:
    """Keep IN lists to a size every database takes."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def holders(db: Session, kind: type[Credential], token_hashes: Collection[str]) -> dict[str, tuple[Credential, Actor]]:
    """The token or session rows with these hashes, each with its user as an actor with every role: one statement
    per 500 of them, read on every request (and for a room's handshakes at once, together)."""
    found: dict[str, tuple[Credential, Actor]] = {}
    for chunk in chunks(sorted(set(token_hashes))):
        rows = db.execute(
            select(kind, UserRow.id, UserRow.name, TrainRow.key, MembershipRow.role, TeamRow.key)
            .join(UserRow, UserRow.id == kind.user_id)
            .outerjoin(MembershipRow, MembershipRow.user_id == UserRow.id)
            .outerjoin(TrainRow, MembershipRow.train_id == TrainRow.id)
            .outerjoin(TeamRow, MembershipRow.team_id == TeamRow.id)
            .where(kind.token_hash.in_(chunk))
            .order_by(kind.token_hash, TrainRow.key, MembershipRow.role, TeamRow.key)
        ).all()
        for _, same in groupby(rows, key=lambda row: row[0].token_hash):
            held = list(same)
            credential, user_id, name = held[0][0], held[0][1], held[0][2]
            grants = tuple(Grant(train, Role(role), team) for *_, train, role, team in held if train is not None)
            found[credential.token_hash] = credential, Actor(name=name, grants=grants, user_id=user_id)
    return found


def person(db: Session, user: UserRow) -> Person:
    return Person(user.id, user.name, user.password_hash is not None, grants_of(db, user.id))


def actor_of(db: Session, user: UserRow) -> Actor:
    """The user as the actor of a change, with the roles they hold now."""
    return Actor(name=user.name, grants=grants_of(db, user.id), user_id=user.id)


def list_users(db: Session, *, actor: Actor) -> list[Person]:
    """Every user with their roles (for people who may administer; others see themselves)."""
    users = db.scalars(select(UserRow).order_by(UserRow.name)).all()
    people = [person(db, u) for u in users]
    if actor.local_admin:
        return people
    administered = {g.train for g in actor.grants if g.role is Role.RTE}
    return [p for p in people if p.name == actor.name or any(g.train in administered for g in p.grants)]
