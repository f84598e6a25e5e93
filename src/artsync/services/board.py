"""The ART planning board as one read: the plan plus the ids, versions and seq a live client needs."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from artsync.domain.events import CARD_CHANGES_IN_PLACE, OFF_THE_BOARD, Entity, Event
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Card, Plan, card_ref, split_card_ref
from artsync.services.events import events_after
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.store.mapping import load_dependencies, load_objectives, load_plan, load_risks, plan_keys
from artsync.store.models import CardRow, FeatureRow, TeamRow


@dataclass(frozen=True)
class CardHandle:
    """How a card is addressed over the API, and the version an edit must name."""

    id: int
    version: int


@dataclass(frozen=True)
class Board:
    """The plan as of event ``seq``, with each card's id and version by ref."""

    plan: Plan
    seq: int
    cards: dict[str, CardHandle]


def get_board(db: Session, *, actor: Actor, train_key: str | None) -> Board:
    """The whole board of the train's current PI, consistent with the log up to ``seq``."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    pi = find_current_pi(db, train)
    seq = train.last_seq  # read in the same transaction as the plan: the board is exactly as of this seq
    plan = load_plan(db, train, pi)
    rows = db.execute(
        select(CardRow.id, CardRow.version, FeatureRow.key, TeamRow.key)
        .join(FeatureRow, CardRow.feature_id == FeatureRow.id)
        .join(TeamRow, CardRow.team_id == TeamRow.id)
        .where(CardRow.pi_id == pi.id)
    )
    handles = {card_ref(feature, team): CardHandle(card_id, version) for card_id, version, feature, team in rows}
    return Board(plan, seq, handles)


CARDS_IN_OR_OUT = ("added", "removed")  # what breakouts do besides moving cards: the board is brought up from them
CATCH_UP_MOST = 500  # events after which a board is made anew rather than brought up to date


def board_now(
    db: Session, *, actor: Actor, train_key: str, since: Board | None = None
) -> tuple[Board, set[str] | None]:
    """The board as it is now, and the refs of the cards that changed since ``since`` (None when made anew).

    With ``since``, and only card moves, status changes, estimates, dependency and objective changes and changes the
    board does not show (risks ROAMed, votes, meetings…) logged after it — what a room planning together does
    most —, the board is brought up to date from those cards' rows and the PI's dependencies and objectives instead
    of loading the whole plan again (a tenth of a second on a 40-team train). Anything else — a card added, a
    feature, a new PI, too many events — and it is made anew.
    """
    if since is not None:
        train = find_train(db, train_key)
        authorize(actor, train.key, Action.READ)
        pi = find_current_pi(db, train)
        if train.last_seq - since.seq <= CATCH_UP_MOST and pi.key == since.plan.pi.key:
            events = events_after(db, train, since.seq)
            if all(in_place(e) for e in events):
                cards = {e.entity_id for e in events if e.entity == Entity.CARD}
                again = {e.entity for e in events} & {Entity.DEPENDENCY, Entity.OBJECTIVE, Entity.RISK}
                if any(e.entity == Entity.CARD and e.action == "removed" for e in events):
                    again |= {Entity.DEPENDENCY}  # a card goes with its dependencies, which log nothing of their own
                found = brought_up(db, since, events[-1].seq if events else since.seq, cards, train.id, pi.id, again)
                if found is not None:
                    return found
    return get_board(db, actor=actor, train_key=train_key), None


def in_place(event: Event) -> bool:
    """A change a board is brought up from without loading the plan again: a card added, moved, marked, estimated
    anew or removed; a dependency added, removed or moved to another state; an objective written, edited or valued;
    anything the board does not show (``OFF_THE_BOARD``)."""
    if event.entity == Entity.CARD:
        return event.action in (*CARD_CHANGES_IN_PLACE, *CARDS_IN_OR_OUT)
    return event.entity in (Entity.DEPENDENCY, Entity.OBJECTIVE) or event.entity in OFF_THE_BOARD


def brought_up(
    db: Session,
    board: Board,
    seq: int,
    refs: set[str],
    train_id: int,
    pi_id: int,
    again: AbstractSet[str] = frozenset(),
) -> tuple[Board, set[str]] | None:
    """``board`` with the cards ``refs`` as their rows are now — added, changed or gone (a ref with no row in the
    PI — another PI's card — changes nothing) — and the PI's dependencies, objectives and risks read again when
    ``again`` names them, as of ``seq``; None when a card's feature or team, or a dependency's card, is not on it.
    The board's page shows no risks, but its plan is the plan the other pages show (``web/routes/trains.BoardCache``).
    """
    plan = board.plan
    handles = dict(board.cards)
    known = {handles[ref].id: ref for ref in refs if ref in handles}
    cards: dict[str, Card] = {}
    for card_id, iteration, points, status, version in db.execute(
        select(CardRow.id, CardRow.iteration, CardRow.points, CardRow.status, CardRow.version).where(
            CardRow.id.in_(known)
        )
    ):
        ref = known.pop(card_id)
        cards[ref] = replace(plan.cards_by_ref[ref], iteration=iteration, points=points, status=status)
        handles[ref] = CardHandle(card_id, version)
    gone = set(known.values())  # removed since (and perhaps added again, as a new row)
    if gone or not refs <= handles.keys():
        added = added_cards(db, pi_id, (refs - handles.keys()) | gone)
        if any(c.feature not in plan.features_by_key or c.team not in plan.teams_by_key for c, _ in added.values()):
            return None  # a feature or team the board does not have: made anew
        for ref in gone:
            handles.pop(ref)
        kept = [cards.get(c.ref, c) for c in plan.cards if c.ref not in gone]
        for ref, (card, handle) in added.items():
            kept.append(card)
            cards[ref] = card
            handles[ref] = handle
        plan = replace(plan, cards=tuple(sorted(kept, key=lambda c: (c.feature, c.team))))
    else:
        plan = plan.with_cards(cards)
    if Entity.DEPENDENCY in again:
        try:
            found = load_dependencies(db, pi_id, {handle.id: ref for ref, handle in handles.items()})
        except KeyError:
            return None
        plan = replace(plan, dependencies=found)
    if again & {Entity.OBJECTIVE, Entity.RISK}:
        team_key, feature_key = plan_keys(db, train_id)
        if Entity.OBJECTIVE in again:
            plan = replace(plan, objectives=load_objectives(db, pi_id, team_key, feature_key))
        if Entity.RISK in again:
            plan = replace(plan, risks=load_risks(db, pi_id, team_key))
    return Board(plan, seq, handles), set(cards)


def added_cards(db: Session, pi_id: int, refs: AbstractSet[str]) -> dict[str, tuple[Card, CardHandle]]:
    """The cards ``refs`` of the PI ``pi_id`` as their rows are now, with their handles (a ref with no row: none)."""
    if not refs:
        return {}
    rows = db.execute(
        select(FeatureRow.key, TeamRow.key, CardRow.iteration, CardRow.points, CardRow.status, CardRow.id,
               CardRow.version)
        .join(FeatureRow, CardRow.feature_id == FeatureRow.id)
        .join(TeamRow, CardRow.team_id == TeamRow.id)
        .where(CardRow.pi_id == pi_id, tuple_(FeatureRow.key, TeamRow.key).in_([split_card_ref(r) for r in refs]))
    )  # fmt: skip
    return {
        card_ref(feature, team): (Card(feature, team, iteration, points, status), CardHandle(card_id, version))
        for feature, team, iteration, points, status, card_id, version in rows
    }
