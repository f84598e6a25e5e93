"""Signing in: passwords, browser sessions, API tokens, and limiting password guesses.

Secrets handed out (session cookies, API tokens) are random; only their
SHA-256 is stored, so a copy of the database gives no way in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Literal

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from artsync.domain.permissions import Action, Actor, Grant, Role, allowed
from artsync.errors import ArtsyncError, ForbiddenError, NotFoundError, UnauthenticatedError
from artsync.services.people import HASHER, actor_of, check_password_strength, chunks, holders
from artsync.services.transaction import credentials_changed, transaction
from artsync.store.mapping import utc_now
from artsync.store.models import ApiTokenRow, LoginRow, MembershipRow, TeamRow, TrainRow, UserRow, WebSessionRow

FREE_FAILURES = 5  # after this many wrong passwords in a row, each try must wait
FIRST_WAIT = timedelta(seconds=30)  # doubled after every further failure
LONGEST_WAIT = timedelta(minutes=15)
SESSION_IDLE = timedelta(hours=12)
SESSION_LONGEST = timedelta(days=14)
TOKEN_PREFIX = "ast_"


@cache
def dummy_hash() -> str:
    """A real hash to verify against when the user does not exist, which keeps both answers equally slow. Made at
    the first sign-in, not at import: every command and every worker would spend 0.1–0.2 s on it as it starts."""
    return HASHER.hash(secrets.token_urlsafe(16))


class TooManyAttemptsError(ArtsyncError):
    """Too many wrong passwords in a row for this account; ``retry_after`` seconds to wait."""

    code = "rate-limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignedIn:
    """A new browser session: the cookie secret, its CSRF token, and who it is."""

    token: str
    csrf_token: str
    actor: Actor


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utc_now().tzinfo)


def wait_before_next_try(db: Session, name: str, now: datetime) -> timedelta:
    """How long the account must wait: nothing until FREE_FAILURES wrong passwords in a row."""
    recent = db.execute(
        select(LoginRow.outcome, LoginRow.at)
        .where(LoginRow.user_name == name, LoginRow.outcome != "blocked")
        .order_by(LoginRow.id.desc())
        .limit(FREE_FAILURES + 12)
    ).all()
    failures = 0
    for outcome, _ in recent:
        if outcome != "failed":
            break
        failures += 1
    if failures < FREE_FAILURES:
        return timedelta(0)
    wait = min(FIRST_WAIT * (1 << (failures - FREE_FAILURES)), LONGEST_WAIT)
    last_failure: datetime = recent[0][1]
    return max(timedelta(0), aware(last_failure) + wait - now)


def login(db: Session, *, name: str, password: str, source: str | None = None, now: datetime | None = None) -> SignedIn:
    """Check a password and open a browser session; every attempt is recorded."""
    now = now or utc_now()
    with transaction(db):
        wait = wait_before_next_try(db, name, now)
        if wait > timedelta(0):
            db.add(LoginRow(user_name=name[:100], at=now, outcome="blocked", source=source))
            db.commit()
            seconds = int(wait.total_seconds()) + 1
            raise TooManyAttemptsError(
                f"too many wrong passwords for {name}: wait {seconds} seconds before the next try",
                retry_after=seconds,
            )
        user = db.scalars(select(UserRow).where(UserRow.name == name)).first()
        try:
            HASHER.verify(user.password_hash if user and user.password_hash else dummy_hash(), password)
            ok = user is not None and user.password_hash is not None
        except (VerificationError, InvalidHashError):
            ok = False
        db.add(LoginRow(user_name=name[:100], at=now, outcome="success" if ok else "failed", source=source))
        if not ok or user is None:
            db.commit()
            raise UnauthenticatedError("wrong user name or password")
        if HASHER.check_needs_rehash(user.password_hash or ""):
            user.password_hash = HASHER.hash(password)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        db.add(
            WebSessionRow(
                user_id=user.id,
                token_hash=digest(token),
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
                revoked_at=None,
            )
        )
        actor = actor_of(db, user)
    return SignedIn(token, csrf, actor)


def session_actor(db: Session, *, token: str, now: datetime | None = None) -> tuple[Actor, str]:
    """Who a browser session cookie belongs to, and the session's CSRF token."""
    found = identify_all(db, [("session", token)], now=now)[("session", token)]
    if isinstance(found, UnauthenticatedError):
        raise found
    actor, csrf = found
    assert csrf is not None  # a session always has one
    return actor, csrf


def logout(db: Session, *, token: str) -> None:
    """End a browser session."""
    with transaction(db):
        db.execute(
            update(WebSessionRow)
            .where(WebSessionRow.token_hash == digest(token), WebSessionRow.revoked_at.is_(None))
            .values(revoked_at=utc_now())
        )
        credentials_changed(db)


def revoke_sessions(db: Session, *, actor: Actor, user_name: str) -> int:
    """End every session of a user (an administrator's action); returns how many were open."""
    if not actor.local_admin and actor.name != user_name:
        raise ForbiddenError(f"{actor.name} may not end the sessions of {user_name}")
    with transaction(db):
        user = find_user(db, user_name)
        result = db.execute(
            update(WebSessionRow)
            .where(WebSessionRow.user_id == user.id, WebSessionRow.revoked_at.is_(None))
            .values(revoked_at=utc_now())
        )
        credentials_changed(db)
    return int(getattr(result, "rowcount", 0) or 0)


def find_user(db: Session, name: str) -> UserRow:
    user = db.scalars(select(UserRow).where(UserRow.name == name)).first()
    if user is None:
        raise NotFoundError(f"no user {name!r}: add one with `artsync user add`")
    return user


@dataclass(frozen=True)
class NewToken:
    """An API token, shown once; ``prefix`` identifies it afterwards."""

    token: str
    prefix: str
    user: str


def create_token(db: Session, *, actor: Actor, user_name: str, label: str | None = None) -> NewToken:
    """Make an API token for a user; only its hash is kept."""
    if not actor.local_admin and actor.name != user_name:
        raise ForbiddenError(f"{actor.name} may not create tokens for {user_name}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(30)
    prefix = token[: len(TOKEN_PREFIX) + 8]
    with transaction(db):
        user = find_user(db, user_name)
        db.add(
            ApiTokenRow(
                user_id=user.id,
                prefix=prefix,
                token_hash=digest(token),
                label=label,
                created_at=utc_now(),
                last_used_at=None,
                revoked_at=None,
            )
        )
    return NewToken(token, prefix, user_name)


def revoke_token(db: Session, *, actor: Actor, prefix: str) -> str:
    """Revoke the token whose shown prefix is ``prefix``; returns its user's name."""
    with transaction(db):
        row = db.scalars(select(ApiTokenRow).where(ApiTokenRow.prefix == prefix[: len(TOKEN_PREFIX) + 8])).first()
        if row is None:
            raise NotFoundError(f"no token {prefix!r}: `artsync token list` shows the prefixes")
        user = db.get(UserRow, row.user_id)
        assert user is not None
        if not actor.local_admin and actor.name != user.name:
            raise ForbiddenError(f"{actor.name} may not revoke the tokens of {user.name}")
        if row.revoked_at is None:
            row.revoked_at = utc_now()
            credentials_changed(db)
    return user.name


def token_actor(db: Session, *, token: str, now: datetime | None = None) -> Actor:
    """Who an API token belongs to; revoked or unknown tokens are refused."""
    found = identify_all(db, [("token", token)], now=now)[("token", token)]
    if isinstance(found, UnauthenticatedError):
        raise found
    return found[0]


Presented = tuple[Literal["token", "session"], str]  # what a request carries: an API token or a session cookie
Identified = tuple[Actor, str | None]  # who holds it, and a session's CSRF token


def identify_all(
    db: Session, presented: Iterable[Presented], *, now: datetime | None = None
) -> dict[Presented, Identified | UnauthenticatedError]:
    """Who holds each of these tokens and session cookies, read together — a statement per kind, however many
    (a room's handshakes after a restart come at once) — and for each one refused, why. A token's or a session's
    last use is written at most every few minutes, for all of them in one transaction."""
    now = now or utc_now()
    asked = set(presented)
    found: dict[Presented, Identified | UnauthenticatedError] = {}
    for kind, secret in asked:
        if kind == "token" and not secret.startswith(TOKEN_PREFIX):
            found[kind, secret] = UnauthenticatedError("that is not an artsync API token (they start with ast_)")
    tokens = holders(db, ApiTokenRow, {digest(s) for k, s in asked if k == "token" and (k, s) not in found})
    sessions = holders(db, WebSessionRow, {digest(s) for k, s in asked if k == "session"})
    used: list[ApiTokenRow | WebSessionRow] = []
    for kind, secret in asked - found.keys():
        if kind == "token":
            token = tokens.get(digest(secret))
            if token is None or token[0].revoked_at is not None:
                found[kind, secret] = UnauthenticatedError("the API token is unknown or revoked")
                continue
            row, actor = token
            if row.last_used_at is None or now - aware(row.last_used_at) > timedelta(minutes=5):
                used.append(row)
            found[kind, secret] = actor, None
        else:
            session = sessions.get(digest(secret))
            if session is None or session[0].revoked_at is not None or session_expired(session[0], now):
                found[kind, secret] = UnauthenticatedError("your session has ended: sign in again")
                continue
            web, actor = session
            if now - aware(web.last_seen_at) > timedelta(minutes=5):  # write at most every few minutes
                used.append(web)
            found[kind, secret] = actor, web.csrf_token
    if used:
        with transaction(db):
            for touched in used:
                if isinstance(touched, ApiTokenRow):
                    touched.last_used_at = now
                else:
                    touched.last_seen_at = now
    return found


@dataclass(frozen=True)
class Credential:
    """What a connection signed in with: an API token or a browser session, by the digest of its secret."""

    kind: Literal["token", "session"]
    digest: str

    @classmethod
    def of(cls, kind: Literal["token", "session"], secret: str) -> Credential:
        return cls(kind, digest(secret))


Lapse = Literal["signed out", "no access"]


def lapsed(
    db: Session, *, watched: Iterable[tuple[Credential, str]], now: datetime | None = None
) -> dict[tuple[Credential, str], Lapse]:
    """Which of these (credential, train) pairs no longer let their holder read the train, and why.

    "signed out": the token or session was revoked, ended or has expired; "no access": the
    person's last role on the train was taken away. The live channel closes those
    connections. A few queries, however many are watched.
    """
    now = now or utc_now()
    pairs = set(watched)
    tokens = {c.digest for c, _ in pairs if c.kind == "token"}
    sessions = {c.digest for c, _ in pairs if c.kind == "session"}
    holder: dict[Credential, int] = {}  # credential → user id, for the ones still valid
    for chunk in chunks(sorted(tokens)):
        for token in db.scalars(select(ApiTokenRow).where(ApiTokenRow.token_hash.in_(chunk))):
            if token.revoked_at is None:
                holder[Credential("token", token.token_hash)] = token.user_id
    for chunk in chunks(sorted(sessions)):
        for web in db.scalars(select(WebSessionRow).where(WebSessionRow.token_hash.in_(chunk))):
            if web.revoked_at is None and not session_expired(web, now):
                holder[Credential("session", web.token_hash)] = web.user_id
    grants: dict[int, list[Grant]] = {}
    for chunk in chunks(sorted(set(holder.values()))):
        rows = db.execute(
            select(MembershipRow.user_id, TrainRow.key, MembershipRow.role, TeamRow.key)
            .join(TrainRow, MembershipRow.train_id == TrainRow.id)
            .outerjoin(TeamRow, MembershipRow.team_id == TeamRow.id)
            .where(MembershipRow.user_id.in_(chunk))
        )
        for member, train_key, role, team in rows:
            grants.setdefault(member, []).append(Grant(train_key, Role(role), team))
    gone: dict[tuple[Credential, str], Lapse] = {}
    for credential, train in pairs:
        user_id = holder.get(credential)
        if user_id is None:
            gone[credential, train] = "signed out"
        elif not allowed(Actor(name="", grants=tuple(grants.get(user_id, ()))), train, Action.READ).ok:
            gone[credential, train] = "no access"
    return gone


def session_expired(row: WebSessionRow, now: datetime) -> bool:
    """A session ends after SESSION_IDLE without use, and SESSION_LONGEST after it began, whatever happens."""
    return now - aware(row.last_seen_at) > SESSION_IDLE or now - aware(row.created_at) > SESSION_LONGEST


def set_password(db: Session, *, actor: Actor, user_name: str, password: str) -> None:
    """Set a user's password (the user themself or the local operator)."""
    if not actor.local_admin and actor.name != user_name:
        raise ForbiddenError(f"{actor.name} may not set the password of {user_name}")
    check_password_strength(password)
    with transaction(db):
        find_user(db, user_name).password_hash = HASHER.hash(password)
