"""Importing a whole plan: whole or nothing, refused over an existing train unless replacing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from artsync.domain.plan import Card
from artsync.errors import ConflictError, InvalidInputError, NotFoundError
from artsync.formats.demo import demo_plan
from artsync.formats.plan_format import dumps_plan
from artsync.services.events import list_events
from artsync.services.plans import import_pi_plan, import_plan
from artsync.services.trains import get_plan, list_trains
from artsync.store.models import CardRow, FeatureRow, TrainRow
from tests.personas import ADMIN, local


def test_imported_plan_reads_back_identical(db) -> None:
    plan = demo_plan("small", 5)
    import_plan(db, actor=local("alice"), plan=plan)
    assert dumps_plan(get_plan(db, actor=ADMIN, train_key="SHOP")) == dumps_plan(plan)


def test_import_appends_one_event_with_the_counts(db) -> None:
    result = import_plan(db, actor=local("alice"), plan=demo_plan("small"))
    [event] = list_events(db, actor=ADMIN, train_key="SHOP")
    assert (event.seq, event.actor, event.entity, event.action) == (1, "alice", "train", "imported")
    assert event.after["features"] == 60 == result.counts["features"]


def test_reimporting_a_train_is_refused_and_changes_nothing(db) -> None:
    plan = demo_plan("small")
    import_plan(db, actor=local("alice"), plan=plan)
    changed = replace(plan, cards=tuple(replace(c, iteration=None) for c in plan.cards))
    with pytest.raises(ConflictError, match="exists already; import with --replace"):
        import_plan(db, actor=local("alice"), plan=changed)
    assert dumps_plan(get_plan(db, actor=ADMIN, train_key="SHOP")) == dumps_plan(plan)
    assert len(list_events(db, actor=ADMIN, train_key="SHOP")) == 1


def test_replace_overwrites_the_plan_and_keeps_the_event_log(db) -> None:
    plan = demo_plan("small")
    import_plan(db, actor=local("alice"), plan=plan)
    smaller = replace(plan, cards=plan.cards[:10], dependencies=(), milestones=(), objectives=())
    result = import_plan(db, actor=local("bob"), plan=smaller, replace=True)
    assert result.replaced
    assert len(get_plan(db, actor=ADMIN, train_key="SHOP").cards) == 10
    assert [(e.seq, e.action) for e in list_events(db, actor=ADMIN, train_key="SHOP")] == [
        (1, "imported"),
        (2, "replaced"),
    ]


def test_an_import_that_fails_in_the_database_leaves_nothing_behind(db) -> None:
    plan = demo_plan("small")
    # Two cards with the same FEATURE@TEAM pass no parser, but a program could hand them in directly.
    duplicate = Card(plan.cards[0].feature, plan.cards[0].team, None, 3)
    with pytest.raises(ConflictError):
        import_plan(db, actor=local("alice"), plan=replace(plan, cards=(*plan.cards, duplicate)))
    assert db.scalar(select(func.count()).select_from(TrainRow)) == 0
    assert db.scalar(select(func.count()).select_from(FeatureRow)) == 0
    assert db.scalar(select(func.count()).select_from(CardRow)) == 0


def test_several_trains_need_a_key_to_choose(db) -> None:
    import_plan(db, actor=local("alice"), plan=demo_plan("small"))
    import_plan(db, actor=local("alice"), plan=demo_plan("art"))
    assert [t.key for t in list_trains(db, actor=ADMIN)] == ["PAY", "SHOP"]
    with pytest.raises(NotFoundError, match="several trains \\(PAY, SHOP\\): choose one with --train"):
        get_plan(db, actor=ADMIN, train_key=None)
    with pytest.raises(NotFoundError, match="no train 'NOPE' \\(trains: PAY, SHOP\\)"):
        get_plan(db, actor=ADMIN, train_key="NOPE")


def next_pi_of(plan, *, weeks: int = 10, key: str = "PI-2027.1"):
    from datetime import timedelta

    pi = replace(plan.pi, key=key, start=plan.pi.start + timedelta(weeks=weeks))
    extra = replace(plan.features[0], key="SHOP-900", title="Brand-new feature")
    return replace(plan, pi=pi, features=(*plan.features, extra), cards=(*plan.cards, Card("SHOP-900", "Atlas", 1, 3)))


def test_the_next_pi_joins_the_train_keeping_the_pis_before(db) -> None:
    from artsync.services.pis import list_pis

    plan = demo_plan("small")
    import_plan(db, actor=ADMIN, plan=plan)
    result = import_pi_plan(db, actor=local("rita"), plan=next_pi_of(plan))
    assert (result.event.entity, result.event.entity_id, result.event.action) == ("pi", "PI-2027.1", "imported")
    assert [(p.pi.key, p.current) for p in list_pis(db, actor=ADMIN, train_key="SHOP")] == [
        ("PI-2026.4", False),
        ("PI-2027.1", True),
    ]
    now = get_plan(db, actor=ADMIN, train_key="SHOP")
    assert "SHOP-900@Atlas" in now.cards_by_ref and "SHOP-900" in now.features_by_key
    assert db.scalar(select(func.count()).select_from(FeatureRow)) == len(plan.features) + 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: next_pi_of(p, weeks=4), "overlaps PI-2026.4"),
        (lambda p: next_pi_of(p, key="PI-2026.4"), "already has a PI PI-2026.4"),
        (lambda p: replace(next_pi_of(p), teams=(*p.teams, replace(p.teams[0], key="Ghost"))), "has no team Ghost"),
        (lambda p: replace(next_pi_of(p), pi=replace(next_pi_of(p).pi, state="executing")), "draft or planning"),
    ],
)
def test_a_next_pi_that_does_not_fit_is_refused_and_changes_nothing(db, change, message) -> None:
    plan = demo_plan("small")
    import_plan(db, actor=ADMIN, plan=plan)
    cards = db.scalar(select(func.count()).select_from(CardRow))
    with pytest.raises((ConflictError, InvalidInputError), match=message):
        import_pi_plan(db, actor=ADMIN, plan=change(plan))
    assert db.scalar(select(func.count()).select_from(CardRow)) == cards
    assert dumps_plan(get_plan(db, actor=ADMIN, train_key="SHOP")) == dumps_plan(plan)
