"""The ART planning board as one read: the plan plus the ids, versions and seq a live client needs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Plan, card_ref
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.store.mapping import load_plan
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
