"""The cards a server process edited or heard edited lately, so that the next edit of one need not read it first.

A card's move is the room's most frequent write. Done plainly it is two round trips to PostgreSQL: the read of
the card with its PI, train, feature and team (what the edit checks: who may, whether the PI is open, whether
the iteration exists, which version it is at), then the write. With the card remembered, the checks run on what
this process last saw of those rows, and the write's one statement holds only where the database still has
every value they were made on (``vouching``) — the card's own columns, all of its PI's, the train's, feature's
and team's keys. Where it does not (someone else moved the card, the PI was closed, the database was replaced),
nothing is written and the edit is made again the plain way, which reads and answers as it always did.

So a remembered row never decides anything the database does not confirm in the same statement; it only saves
the read. The memory learns from this process's own edits and from the events its live hub hears (a card moved
through another process), and forgets what it cannot keep up with.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Row

from artsync.domain.plan import card_ref
from artsync.services.writes import Assumed
from artsync.store.models import CardRow, PIRow, TrainRow

LIMIT = 20_000  # cards remembered per process; the oldest are forgotten first (about 500 bytes each)
CARD_COLUMNS = tuple(CardRow.__table__.columns.keys())
PI_COLUMNS = tuple(PIRow.__table__.columns.keys())
CARD_STATE = ("iteration", "points", "status", "version")  # what a card's event carries of it, after the change

# The write's UPDATE of the card holds only where the database has what the edit's checks were made on.
VOUCHING = (
    "".join(f" AND {c} IS NOT DISTINCT FROM :_was_{c}" for c in CARD_COLUMNS if c not in ("id", "version"))
    + " AND EXISTS (SELECT 1 FROM pis JOIN trains ON trains.id = pis.train_id"
    " JOIN features ON features.id = cards.feature_id JOIN teams ON teams.id = cards.team_id"
    " WHERE pis.id = cards.pi_id"
    + "".join(f" AND pis.{c} = :_pi_{c}" for c in PI_COLUMNS)
    + " AND trains.key = :_train_key AND features.key = :_feature AND teams.key = :_team)"
)


@dataclass(frozen=True, slots=True)
class Remembered:
    """One card as this process last saw it: its columns, its feature's and team's keys, its train's id and key;
    its PI's columns are kept once per PI (``CardMemory.pis``)."""

    card: tuple[Any, ...]  # CARD_COLUMNS' values
    feature: str
    team: str
    train: tuple[int, str]

    def with_state(self, state: Mapping[str, Any]) -> Remembered:
        """The card at the state an event left it in (``CARD_STATE`` keys)."""
        values = dict(zip(CARD_COLUMNS, self.card, strict=True))
        values.update({name: state[name] for name in CARD_STATE})
        return replace(self, card=tuple(values[c] for c in CARD_COLUMNS))

    @property
    def version(self) -> int:
        return int(self.card[CARD_COLUMNS.index("version")])


class CardMemory:
    """Per process: card id → ``Remembered``, safe to use from the request threads and the event loop at once."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.cards: dict[int, Remembered] = {}
        self.pis: dict[int, tuple[Any, ...]] = {}  # PI_COLUMNS' values, by PI id
        self.ids: dict[tuple[str, str], int] = {}  # (train key, card ref) → card id, for the events heard
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.cards)

    def rows(self, card_id: int, version: int) -> tuple[CardRow, PIRow, TrainRow, str, str] | None:
        """The card ``card_id`` as remembered at ``version`` — its row, its PI's and its train's (new, detached), its
        feature's and team's keys — or None when it is not remembered at that version."""
        with self.lock:
            seen = self.cards.get(card_id)
            pi = self.pis.get(seen.card[CARD_COLUMNS.index("pi_id")]) if seen is not None else None
        if seen is None or pi is None or seen.version != version:
            return None
        card = CardRow(**dict(zip(CARD_COLUMNS, seen.card, strict=True)))
        train_id, train_key = seen.train
        train = TrainRow(id=train_id, key=train_key)
        return card, PIRow(**dict(zip(PI_COLUMNS, pi, strict=True))), train, seen.feature, seen.team

    def remember(
        self, card: CardRow | Row[*tuple[Any, ...]], pi: PIRow, train: TrainRow, feature: str, team: str
    ) -> None:
        """Keep the card as it now is (after a write, or as read: its row, or a row of its columns), with its PI as
        read. Its strings are interned: a train's cards share a few statuses and team keys (~500 bytes a card)."""
        values = tuple(sys.intern(v) if isinstance(v, str) else v for v in (getattr(card, c) for c in CARD_COLUMNS))
        seen = Remembered(values, sys.intern(feature), sys.intern(team), (train.id, sys.intern(train.key)))
        with self.lock:
            self.cards.pop(card.id, None)  # to the end: the most recently seen is forgotten last
            self.cards[card.id] = seen
            self.pis[pi.id] = tuple(getattr(pi, c) for c in PI_COLUMNS)
            self.ids[train.key, card_ref(feature, team)] = card.id
            while len(self.cards) > self.limit:
                forgotten = next(iter(self.cards))
                self.drop(forgotten)

    def forget(self, card_id: int) -> None:
        with self.lock:
            self.drop(card_id)

    def drop(self, card_id: int) -> None:
        seen = self.cards.pop(card_id, None)
        if seen is not None:
            self.ids.pop((seen.train[1], card_ref(seen.feature, seen.team)), None)

    def heard(self, train: str, event: Mapping[str, Any]) -> None:
        """An event of ``train`` (as the live channel sends it): a card changed elsewhere is remembered as it is now;
        a card removed, or any change to a PI, is forgotten."""
        entity = event.get("entity")
        if entity == "pi":
            with self.lock:
                self.pis.clear()  # rare: each card's next edit reads its PI again
            return
        if entity != "card":
            return
        after = event.get("after")
        with self.lock:
            card_id = self.ids.get((train, str(event.get("entity_id"))), 0)
            seen = self.cards.get(card_id)
            if seen is None:
                return
            if not isinstance(after, Mapping) or any(name not in after for name in CARD_STATE):
                self.drop(card_id)
            elif int(after["version"]) > seen.version:
                self.cards[card_id] = seen.with_state(after)

    @staticmethod
    def vouching(card: CardRow, pi: PIRow, train: TrainRow, feature: str, team: str) -> Assumed:
        """The conditions under which an edit of ``card`` made from these remembered rows holds, and their values."""
        values: dict[str, Any] = {f"_was_{c}": getattr(card, c) for c in CARD_COLUMNS if c not in ("id", "version")}
        values.update({f"_pi_{c}": getattr(pi, c) for c in PI_COLUMNS})
        values.update(_train_key=train.key, _feature=feature, _team=team)
        return VOUCHING, values
