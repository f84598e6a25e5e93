"""People, passwords, sessions and tokens, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from artsync.domain.permissions import Grant, Role
from artsync.errors import ForbiddenError, InvalidInputError, NotFoundError, UnauthenticatedError
from artsync.formats.plan_format import parse_plan
from artsync.services.auth import (
    TooManyAttemptsError,
    create_token,
    login,
    logout,
    revoke_sessions,
    revoke_token,
    session_actor,
    token_actor,
)
from artsync.services.cards import move_card
from artsync.services.people import add_user, list_users
from artsync.services.plans import import_plan
from artsync.store.models import ApiTokenRow, LoginRow, UserRow
from tests.formats.test_plan_format import minimal
from tests.personas import ADMIN

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def train(db) -> str:
    doc = minimal()
    doc["teams"].append({"key": "Orion", "name": "Team Orion", "velocity": 20})
    import_plan(db, actor=ADMIN, plan=parse_plan(doc))
    add_user(db, actor=ADMIN, name="mia", train_key="ART", role="member", team_key="Atlas", password=PASSWORD)
    return "ART"


def test_a_new_user_gets_an_argon2id_hash_and_a_role(db, train) -> None:
    [mia] = list_users(db, actor=ADMIN)
    assert mia.grants == (Grant("ART", Role.MEMBER, "Atlas"),)
    stored = db.scalars(select(UserRow.password_hash).where(UserRow.name == "mia")).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_passwords_are_hashed_with_argon2id_at_the_recommended_costs(quick_password_hashes) -> None:
    from argon2.profiles import RFC_9106_LOW_MEMORY

    real = quick_password_hashes  # the suite hashes with the smallest costs; the product does not
    assert (real.time_cost, real.memory_cost, real.parallelism) == (
        RFC_9106_LOW_MEMORY.time_cost,
        RFC_9106_LOW_MEMORY.memory_cost,
        RFC_9106_LOW_MEMORY.parallelism,
    )
    assert real.hash("a long passphrase").startswith(f"$argon2id$v=19$m={RFC_9106_LOW_MEMORY.memory_cost},")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "member"}, "a member belongs to a team: add --team TEAM"),
        ({"role": "rte", "team_key": "Atlas"}, "a rte is a train role; leave out --team"),
        ({"role": "boss"}, "'boss' is not a role"),
        ({"role": "member", "team_key": "Nova"}, "no team 'Nova' on train ART"),
        ({"role": "viewer", "password": "short"}, "at least 8 characters"),
    ],
    ids=["team-role-without-team", "train-role-with-team", "unknown-role", "unknown-team", "short-password"],
)
def test_bad_user_input_is_refused(db, train, kwargs, message) -> None:
    with pytest.raises((InvalidInputError, NotFoundError), match=message):
        add_user(db, actor=ADMIN, name="zed", train_key="ART", **kwargs)
    assert [p.name for p in list_users(db, actor=ADMIN)] == ["mia"]


def test_login_opens_a_session_that_carries_the_users_roles(db, train) -> None:
    signed_in = login(db, name="mia", password=PASSWORD, source="127.0.0.1", now=T0)
    actor, csrf = session_actor(db, token=signed_in.token, now=T0 + timedelta(minutes=1))
    assert actor.name == "mia" and actor.grants == (Grant("ART", Role.MEMBER, "Atlas"),)
    assert csrf == signed_in.csrf_token
    assert move_card(db, actor=actor, train_key=train, ref="F1@Atlas", to_iteration=1).event.actor == "mia"


def test_every_login_is_recorded(db, train) -> None:
    login(db, name="mia", password=PASSWORD, source="10.0.0.1", now=T0)
    with pytest.raises(UnauthenticatedError, match="wrong user name or password"):
        login(db, name="mia", password="nope", source="10.0.0.2", now=T0)
    with pytest.raises(UnauthenticatedError, match="wrong user name or password"):
        login(db, name="ghost", password="nope", source="10.0.0.3", now=T0)
    rows = db.execute(select(LoginRow.user_name, LoginRow.outcome, LoginRow.source).order_by(LoginRow.id)).all()
    assert [tuple(r) for r in rows] == [
        ("mia", "success", "10.0.0.1"),
        ("mia", "failed", "10.0.0.2"),
        ("ghost", "failed", "10.0.0.3"),
    ]


def test_after_five_wrong_passwords_the_account_must_wait(db, train) -> None:
    for i in range(5):
        with pytest.raises(UnauthenticatedError):
            login(db, name="mia", password="wrong", now=T0 + timedelta(seconds=i))
    with pytest.raises(TooManyAttemptsError, match=r"wait 3[01] seconds") as caught:
        login(db, name="mia", password=PASSWORD, now=T0 + timedelta(seconds=5))
    assert 25 <= caught.value.retry_after <= 31
    # Once the wait is over, the right password works again.
    assert login(db, name="mia", password=PASSWORD, now=T0 + timedelta(seconds=40)).actor.name == "mia"


def test_the_wait_doubles_with_every_further_failure(db, train) -> None:
    for i in range(5):
        with pytest.raises(UnauthenticatedError):
            login(db, name="mia", password="wrong", now=T0 + timedelta(seconds=i))
    with pytest.raises(UnauthenticatedError):
        login(db, name="mia", password="wrong", now=T0 + timedelta(seconds=40))  # sixth failure
    with pytest.raises(TooManyAttemptsError, match=r"wait (59|60|61) seconds"):
        login(db, name="mia", password=PASSWORD, now=T0 + timedelta(seconds=41))


def test_logout_and_revocation_end_sessions(db, train) -> None:
    first = login(db, name="mia", password=PASSWORD, now=T0)
    second = login(db, name="mia", password=PASSWORD, now=T0)
    logout(db, token=first.token)
    with pytest.raises(UnauthenticatedError, match="sign in again"):
        session_actor(db, token=first.token, now=T0)
    assert session_actor(db, token=second.token, now=T0)[0].name == "mia"
    assert revoke_sessions(db, actor=ADMIN, user_name="mia") == 1
    with pytest.raises(UnauthenticatedError):
        session_actor(db, token=second.token, now=T0)


def test_an_idle_session_ends(db, train) -> None:
    signed_in = login(db, name="mia", password=PASSWORD, now=T0)
    with pytest.raises(UnauthenticatedError):
        session_actor(db, token=signed_in.token, now=T0 + timedelta(hours=13))


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(db, train) -> None:
    new = create_token(db, actor=ADMIN, user_name="mia", label="ci")
    assert new.token.startswith("ast_") and new.prefix == new.token[:12]
    stored = db.scalars(select(ApiTokenRow.token_hash)).one()
    assert new.token not in stored and len(stored) == 64
    assert token_actor(db, token=new.token).name == "mia"
    assert revoke_token(db, actor=ADMIN, prefix=new.prefix) == "mia"
    with pytest.raises(UnauthenticatedError, match="unknown or revoked"):
        token_actor(db, token=new.token)


def test_a_user_cannot_make_tokens_for_someone_else(db, train) -> None:
    mia = login(db, name="mia", password=PASSWORD, now=T0).actor
    add_user(db, actor=ADMIN, name="otto", train_key="ART", role="member", team_key="Orion")
    with pytest.raises(ForbiddenError):
        create_token(db, actor=mia, user_name="otto")
    with pytest.raises(ForbiddenError):
        add_user(db, actor=mia, name="eve", train_key="ART", role="rte")


def test_an_unknown_name_is_checked_against_a_real_hash_as_slowly_as_a_wrong_password(db, train, monkeypatch) -> None:
    from artsync.services import auth
    from artsync.services.people import HASHER

    checked: list[str] = []

    class Spy:  # the hasher, noting what each password is checked against
        def __getattr__(self, name: str):
            return getattr(HASHER, name)

        def verify(self, hash: str, password: str) -> bool:
            checked.append(hash)
            return HASHER.verify(hash, password)

    monkeypatch.setattr(auth, "HASHER", Spy())
    for name in ("ghost", "mia"):
        with pytest.raises(UnauthenticatedError):
            login(db, name=name, password="nope", source="10.0.0.3", now=T0)
    ghost, mia = checked
    assert ghost.startswith("$argon2id$") and ghost.split("$")[3] == mia.split("$")[3]  # the same cost parameters


def test_credentials_read_together_are_who_each_one_alone_is_and_each_refusal_its_own(db, train) -> None:
    """A room's handshakes after a restart are looked up together: each credential is found or refused exactly as
    on its own, in a few statements however many, and their last use written once."""
    from sqlalchemy import event

    from artsync.services.auth import identify_all

    add_user(db, actor=ADMIN, name="ola", train_key="ART", role="rte", password=PASSWORD)
    mia, ola = (login(db, name=n, password=PASSWORD, now=T0) for n in ("mia", "ola"))
    ended = login(db, name="mia", password=PASSWORD, now=T0)
    logout(db, token=ended.token)
    token = create_token(db, actor=ADMIN, user_name="ola").token
    revoked = create_token(db, actor=ADMIN, user_name="mia")
    revoke_token(db, actor=ADMIN, prefix=revoked.prefix)
    asked = [("session", mia.token), ("session", ola.token), ("session", ended.token), ("session", "forged"),
             ("token", token), ("token", revoked.token), ("token", "ast_forged"), ("token", "not-a-token")]  # fmt: skip
    statements: list[str] = []
    record = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.get_bind(), "before_cursor_execute", record)
    try:
        found = identify_all(db, asked, now=T0 + timedelta(minutes=10))
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", record)
    reads = [s for s in statements if "token_hash IN" in s.replace("\n", " ")]
    assert len(reads) == 2  # one for the tokens, one for the sessions (and the last uses written after)
    for kind, secret in asked:
        one = token_actor if kind == "token" else session_actor
        try:
            alone = one(db, token=secret, now=T0 + timedelta(minutes=10))
        except UnauthenticatedError as refused:
            assert isinstance(found[kind, secret], UnauthenticatedError)
            assert str(found[kind, secret]) == str(refused), (kind, secret)
        else:
            expected = (alone, None) if kind == "token" else alone
            assert found[kind, secret] == expected, (kind, secret)
    assert found["session", mia.token][0].grants == (Grant("ART", Role.MEMBER, "Atlas"),)
    assert found["session", ola.token][0].grants == (Grant("ART", Role.RTE, None),)
