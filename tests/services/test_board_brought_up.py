"""A board brought up from the changes a room makes is the board made anew from the whole plan: for any sequence of
cards added, moved, marked, estimated and removed, dependencies added, moved and removed, objectives written and
valued, and risks raised (which the board does not show, but its plan holds), on SQLite and PostgreSQL."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artsync.errors import ArtsyncError
from artsync.formats.demo import demo_plan
from artsync.services.board import board_now, get_board
from artsync.services.cards import add_card, move_card, remove_card, set_card_points, set_card_status
from artsync.services.dependencies import add_dependency, remove_dependency, set_dependency_state
from artsync.services.objectives import add_objective, set_business_value
from artsync.services.plans import import_plan
from artsync.services.risks import raise_risk
from artsync.views.board import Board
from tests.personas import ADMIN, local

TRAIN = "SHOP"
STATUSES = ("not started", "in progress", "done", "blocked")
STATES = ("requested", "committed", "delivered", "broken")
CHANGES = st.lists(
    st.one_of(
        st.tuples(st.just("move"), st.integers(0, 59), st.sampled_from([None, 1, 2, 3, 4])),
        st.tuples(st.just("status"), st.integers(0, 59), st.sampled_from(STATUSES)),
        st.tuples(st.just("estimate"), st.integers(0, 59), st.integers(1, 13)),
        st.tuples(st.just("depend"), st.integers(0, 59), st.integers(0, 59)),
        st.tuples(st.just("state"), st.integers(0, 200), st.sampled_from(STATES)),
        st.tuples(st.just("drop"), st.integers(0, 200), st.none()),
        st.tuples(st.just("risk"), st.integers(0, 59), st.none()),
        st.tuples(st.just("objective"), st.integers(0, 59), st.booleans()),
        st.tuples(st.just("value"), st.integers(0, 200), st.integers(1, 10)),
        st.tuples(st.just("add"), st.integers(0, 200), st.integers(0, 200)),
        st.tuples(st.just("remove"), st.integers(0, 59), st.none()),
    ),
    min_size=1,
    max_size=6,
)


def change(db, board, what: str, first, second) -> None:
    """One change a room makes, through the services; a change they refuse (a card done, a dependency that is
    there already or is not) changes nothing, as in the room."""
    operator = local("rte-alice")
    cards, dependencies = board.plan.cards, board.plan.dependencies
    try:
        if what == "move":
            move_card(db, actor=operator, train_key=TRAIN, ref=cards[first % len(cards)].ref, to_iteration=second)
        elif what == "status":
            set_card_status(db, actor=operator, train_key=TRAIN, ref=cards[first % len(cards)].ref, status=second)
        elif what == "objective":
            card = cards[first % len(cards)]
            add_objective(db, actor=operator, train_key=TRAIN, team=card.team, text=f"Ship {card.feature}",
                          committed=second, features=[card.feature])  # fmt: skip
        elif what == "value":
            objectives = board.plan.objectives
            if objectives:
                key = objectives[first % len(objectives)].key
                set_business_value(db, actor=operator, train_key=TRAIN, key=key, planned=second)
        elif what == "risk":
            raise_risk(db, actor=operator, train_key=TRAIN, text=f"{cards[first % len(cards)].ref} may slip")
        elif what == "add":  # a breakout's new card: a feature and a team, not on the board together yet
            feature = board.plan.features[first % len(board.plan.features)].key
            team = board.plan.teams[second % len(board.plan.teams)].key
            add_card(db, actor=operator, train_key=TRAIN, feature=feature, team=team, points=3, iteration=1 + first % 4)
        elif what == "remove":
            remove_card(db, actor=operator, train_key=TRAIN, ref=cards[first % len(cards)].ref)
        elif what == "estimate":
            set_card_points(db, actor=operator, train_key=TRAIN, ref=cards[first % len(cards)].ref, points=second)
        elif what == "depend":
            consumer, provider = cards[first % len(cards)].ref, cards[second % len(cards)].ref
            add_dependency(db, actor=operator, train_key=TRAIN, consumer=consumer, provider=provider)
        elif dependencies:
            dependency = dependencies[first % len(dependencies)]
            ends = {"consumer": dependency.consumer, "provider": dependency.provider}
            if what == "state":
                set_dependency_state(db, actor=operator, train_key=TRAIN, state=second, **ends)
            else:
                remove_dependency(db, actor=operator, train_key=TRAIN, **ends)
    except ArtsyncError:
        db.rollback()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=CHANGES)
def test_a_board_brought_up_from_the_rooms_changes_is_the_board_made_anew(db, changes) -> None:
    if db.info.get("shop") is None:  # the same database for every example: the changes pile up, as in a room
        import_plan(db, actor=local("rte-alice"), plan=demo_plan("small"))
        db.info["shop"] = True
    before = get_board(db, actor=ADMIN, train_key=TRAIN)
    shown = Board.of(before)
    db.commit()
    for what, first, second in changes:
        change(db, get_board(db, actor=ADMIN, train_key=TRAIN), what, first, second)
        db.commit()
    now, changed = board_now(db, actor=ADMIN, train_key=TRAIN, since=before)
    assert changed is not None, "card and dependency changes bring the board up, they do not make it anew"
    brought = shown.brought_up(now, changed).model_dump(mode="json")
    anew = get_board(db, actor=ADMIN, train_key=TRAIN)
    fresh = Board.of(anew).model_dump(mode="json")
    db.commit()
    assert brought == fresh
    assert now.plan == anew.plan  # the other pages show the board's plan: its risks too


def test_a_card_taken_off_and_put_back_is_brought_up_as_the_new_card_it_is(db) -> None:
    import_plan(db, actor=local("rte-alice"), plan=demo_plan("small"))
    before = get_board(db, actor=ADMIN, train_key=TRAIN)
    shown = Board.of(before)
    db.commit()
    card = before.plan.cards_by_ref[before.plan.dependencies[0].consumer]
    operator = local("rte-alice")
    remove_card(db, actor=operator, train_key=TRAIN, ref=card.ref)  # with its dependencies
    add_card(db, actor=operator, train_key=TRAIN, feature=card.feature, team=card.team, points=13, iteration=None)
    now, changed = board_now(db, actor=ADMIN, train_key=TRAIN, since=before)
    assert changed is not None, "cards taken off and put on bring the board up, they do not make it anew"
    anew = get_board(db, actor=ADMIN, train_key=TRAIN)
    assert now.cards[card.ref].id != before.cards[card.ref].id and now.cards == anew.cards
    assert now.plan == anew.plan and now.plan.cards_by_ref[card.ref].points == 13
    assert shown.brought_up(now, changed).model_dump(mode="json") == Board.of(anew).model_dump(mode="json")
