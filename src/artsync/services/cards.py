"""Placing one team's card on the ART planning board."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.orm import Session

from artsync.domain import limits
from artsync.domain.events import Entity, Event
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import CARD_STATUSES, Card, card_ref, split_card_ref
from artsync.errors import ArtsyncError, ConflictError, InvalidInputError, NotFoundError
from artsync.services.card_memory import CardMemory
from artsync.services.permissions import authorize
from artsync.services.transaction import transaction
from artsync.services.writes import Changed, State, Unconfirmed, Write, writing
from artsync.store.mapping import current_pi
from artsync.store.models import CardRow, DependencyRow, FeatureRow, PIRow, TeamRow, TrainRow


def find_card(db: Session, train: TrainRow, pi: PIRow, ref: str) -> CardRow:
    """The card ``FEATURE@TEAM`` of the train's current PI."""
    try:
        feature_key, team_key = split_card_ref(ref)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    card = db.scalars(
        select(CardRow)
        .join(FeatureRow, CardRow.feature_id == FeatureRow.id)
        .join(TeamRow, CardRow.team_id == TeamRow.id)
        .where(CardRow.pi_id == pi.id, FeatureRow.key == feature_key, TeamRow.key == team_key)
    ).first()
    if card is None:
        raise NotFoundError(f"no card {ref} in {train.key} {pi.key}: check the feature key and the team key")
    return card


@dataclass(frozen=True)
class CardView:
    """One card as the API shows it."""

    id: int
    train: str
    card: Card
    version: int


def get_card(db: Session, *, actor: Actor, card_id: int) -> CardView:
    """A card by its id, on any train the actor may read."""
    found = db.execute(CARD_BY_ID, {"card_id": card_id}).first()
    if found is None:
        raise NotFoundError(f"no card with id {card_id}")
    row, feature, team, _, train = found
    authorize(actor, train.key, Action.READ)
    return CardView(row.id, train.key, Card(feature, team, row.iteration, row.points, row.status), row.version)


# One statement for all a read or an edit of a card by id needs: the card, its feature and team keys, PI and train.
# Built once: on the path of every edit, building the statement anew cost more than running it.
CARD_BY_ID = (
    select(CardRow, FeatureRow.key, TeamRow.key, PIRow, TrainRow)
    .join(FeatureRow, CardRow.feature_id == FeatureRow.id)
    .join(TeamRow, CardRow.team_id == TeamRow.id)
    .join(PIRow, CardRow.pi_id == PIRow.id)
    .join(TrainRow, PIRow.train_id == TrainRow.id)
    .where(CardRow.id == bindparam("card_id"))
)


@contextmanager
def card_write(db: Session, *, actor: Actor, card_id: int) -> Iterator[tuple[Write, CardRow, str]]:
    """The Write of an edit to the card ``card_id``: one read of the card, its PI and train, and one write.

    On SQLite the write transaction holds every other writer off. On PostgreSQL the edit is two statements and
    no transaction around them: the read, then the change with its event (``Write.single``), whose UPDATE holds
    only if the card is still at the version read — a change made in between leaves it stale (412), as a lock
    would have, and nothing is held meanwhile. BEGIN and COMMIT were two of the four round trips an edit waited for.
    """
    with transaction(db):
        single = db.get_bind().dialect.name == "postgresql"
        if single:
            db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        found = db.execute(CARD_BY_ID, {"card_id": card_id}).first()
        if found is None:
            raise NotFoundError(f"no card with id {card_id}")
        row, feature, team, pi, train = found
        w = Write(db, actor, train, pi=pi, single=single)
        w.locked.add(id(row))  # current as read; the write checks its version
        yield w, row, card_ref(feature, team)


@contextmanager
def remembered_write(
    db: Session, *, actor: Actor, memory: CardMemory, card_id: int, version: int
) -> Iterator[tuple[Write, CardRow, str] | None]:
    """The Write of an edit to the card ``card_id`` as ``memory`` has it at ``version``, on PostgreSQL: no read, and
    one statement that holds only where the database still has what the memory had (``card_memory``). None when
    the memory cannot stand in for the read; ``Unconfirmed`` when the database did not have it."""
    found = memory.rows(card_id, version) if db.get_bind().dialect.name == "postgresql" else None
    if found is None:
        yield None
        return
    row, pi, train, feature, team = found
    with transaction(db):
        db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        w = Write(db, actor, train, pi=pi, single=True, assumed=memory.vouching(row, pi, train, feature, team))
        w.locked.add(id(row))
        yield w, row, card_ref(feature, team)


def remember_current_cards(db: Session, memory: CardMemory) -> int:
    """Remember the cards of every train's current PI, as a server process starting up does: a room's first move of
    each card is then one statement, as every move after it (the memory vouches for nothing the database does not
    confirm in that statement, so a card changed since is read and edited the plain way). How many were remembered;
    none off PostgreSQL, where the memory is not used."""
    if db.get_bind().dialect.name != "postgresql":
        return 0
    remembered = 0
    for train in db.scalars(select(TrainRow).order_by(TrainRow.id)):
        pi = current_pi(db, train)
        if pi is None:
            continue
        rows = db.execute(
            select(*CardRow.__table__.columns, FeatureRow.key.label("feature"), TeamRow.key.label("team"))
            .join(FeatureRow, CardRow.feature_id == FeatureRow.id)
            .join(TeamRow, CardRow.team_id == TeamRow.id)
            .where(CardRow.pi_id == pi.id)
            .order_by(CardRow.id)
            .limit(memory.limit - remembered)
        )
        for card in rows:  # its columns, not mapped rows: a 40-team train's 3,300 cards in a tenth of a second
            memory.remember(card, pi, train, card.feature, card.team)
            remembered += 1
        if remembered >= memory.limit:
            break
    return remembered


def edit_card(
    db: Session,
    *,
    actor: Actor,
    card_id: int,
    version: int | None,
    iteration: int | None = None,
    status: str | None = None,
    move: bool = False,
    memory: CardMemory | None = None,
) -> tuple[str, Changed[Card]]:
    """Move the card ``card_id`` (``move``: to ``iteration``, None unplans it) or set its ``status``; the train's key
    and the card as it is now. What the API's PATCH of a card does, in one read and one write — or, with the card
    in ``memory`` at the version the caller had (``version``), in the write alone."""
    if not move:
        check_status(status)

    def change(w: Write, row: CardRow, ref: str) -> Event | None:
        if move:
            w.check_iteration(iteration)
            return moved_to(w, row, ref, iteration, version)
        return marked(w, row, ref, str(status), version)

    if memory is not None and version is not None:
        made = edit_remembered(db, memory, actor=actor, card_id=card_id, version=version, change=change)
        if made is not None:
            return made
    with card_write(db, actor=actor, card_id=card_id) as (w, row, ref):
        event = change(w, row, ref)
    if memory is not None and w.single:
        memory.remember(row, w.pi, w.train, *split_card_ref(ref))
    return w.train.key, Changed(card_value(ref, row), row.version, event)


def edit_remembered(
    db: Session,
    memory: CardMemory,
    *,
    actor: Actor,
    card_id: int,
    version: int,
    change: Callable[[Write, CardRow, str], Event | None],
) -> tuple[str, Changed[Card]] | None:
    """``edit_card`` from the memory: the train's key and the card as it is now, or None when the edit must be made
    the plain way — the card not remembered at ``version``, the database not as remembered, nothing to change as
    remembered, or a check refusing it (made again on what the database holds, so the refusal is the true one)."""
    try:
        with remembered_write(db, actor=actor, memory=memory, card_id=card_id, version=version) as found:
            if found is None:
                return None
            w, row, ref = found
            event = change(w, row, ref)
            if event is None:
                raise Unconfirmed(f"card {ref}: nothing to change as remembered")
    except (Unconfirmed, ArtsyncError):
        memory.forget(card_id)
        return None
    memory.remember(row, w.pi, w.train, *split_card_ref(ref))
    return w.train.key, Changed(card_value(ref, row), row.version, event)


def card_value(ref: str, row: CardRow) -> Card:
    """The card ``ref`` as its row has it now."""
    feature, team = split_card_ref(ref)
    return Card(feature, team, row.iteration, row.points, row.status)


def card_state(ref: str, row: CardRow) -> dict[str, Any]:
    """How a card is shown in the event log and in a stale-version refusal."""
    return {"ref": ref, "iteration": row.iteration, "points": row.points, "status": row.status, "version": row.version}


def move_card(
    db: Session, *, actor: Actor, train_key: str | None, ref: str, to_iteration: int | None, version: int | None = None
) -> Changed[Card]:
    """Move one team's card to another iteration of the board, or unplan it (``to_iteration=None``)."""
    with writing(db, actor=actor, train_key=train_key) as w:
        w.check_iteration(to_iteration)
        row = find_card(db, w.train, w.pi, ref)
        event = moved_to(w, row, ref, to_iteration, version)
    return Changed(card_value(ref, row), row.version, event)


def set_card_status(
    db: Session, *, actor: Actor, train_key: str | None, ref: str, status: str, version: int | None = None
) -> Changed[Card]:
    """Mark a team's card not started, in progress, done or blocked."""
    check_status(status)
    with writing(db, actor=actor, train_key=train_key) as w:
        row = find_card(db, w.train, w.pi, ref)
        event = marked(w, row, ref, status, version)
    return Changed(card_value(ref, row), row.version, event)


def set_card_points(
    db: Session, *, actor: Actor, train_key: str | None, ref: str, points: int, version: int | None = None
) -> Changed[Card]:
    """Estimate a team's card anew: its points (its PO or SM may, while the PI is open)."""
    if points not in limits.POINTS:
        raise InvalidInputError(f"points: a card's points are {limits.POINTS.words()}, not {points}")
    with writing(db, actor=actor, train_key=train_key) as w:
        row = find_card(db, w.train, w.pi, ref)
        w.authorize(Action.EDIT_CARD, [split_card_ref(ref)[1]])
        w.check_open("board")
        event = update_card(w, row, ref, "estimated", version, points=points)
    return Changed(card_value(ref, row), row.version, event)


def check_status(status: str | None) -> None:
    if status not in CARD_STATUSES:
        raise InvalidInputError(f"{status!r} is not a card status; use one of {', '.join(CARD_STATUSES)}")


def moved_to(w: Write, row: CardRow, ref: str, iteration: int | None, version: int | None) -> Event | None:
    """Move the claimed card ``ref``, found by ref or by id: its team may, while the PI is open."""
    w.authorize(Action.MOVE_CARD, [split_card_ref(ref)[1]])
    w.check_open("board")
    return update_card(w, row, ref, "moved", version, iteration=iteration)


def marked(w: Write, row: CardRow, ref: str, status: str, version: int | None) -> Event | None:
    """Set the status of the claimed card ``ref``, found by ref or by id: its PO or SM may, while the PI is open."""
    w.authorize(Action.EDIT_CARD, [split_card_ref(ref)[1]])
    w.check_open("board")
    return update_card(w, row, ref, "status", version, status=status)


def update_card(w: Write, row: CardRow, ref: str, action: str, version: int | None, **changes: Any) -> Event | None:
    state: State[CardRow] = lambda row: card_state(ref, row)  # noqa: E731
    return w.update(
        row, entity=Entity.CARD, entity_id=ref, action=action, expected=version, state=state, changes=changes
    )


def add_card(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    feature: str,
    team: str,
    points: int,
    iteration: int | None = None,
) -> Changed[Card]:
    """A team takes on its part of a feature: a new card on the board (in ``iteration``, or unplanned)."""
    if points not in limits.POINTS:
        raise InvalidInputError(f"points: a card's points are {limits.POINTS.words()}, not {points}")
    with writing(db, actor=actor, train_key=train_key) as w:
        ref, row, event = new_card(w, feature, team, points, iteration)
    return Changed(card_value(ref, row), row.version, event, row.id)


def new_card(w: Write, feature: str, team: str, points: int, iteration: int | None) -> tuple[str, CardRow, Event]:
    """Add the card ``feature@team`` to the write's PI: its team's PO or SM may, while the PI is open."""
    db, ref = w.db, card_ref(feature, team)
    w.check_iteration(iteration)
    feature_row = db.scalars(
        select(FeatureRow).where(FeatureRow.train_id == w.train.id, FeatureRow.key == feature)
    ).first()
    if feature_row is None:
        raise NotFoundError(f"no feature {feature!r} in the backlog")
    team_row = db.scalars(select(TeamRow).where(TeamRow.train_id == w.train.id, TeamRow.key == team)).first()
    if team_row is None:
        raise NotFoundError(f"no team {team!r} in {w.train.key}")
    w.authorize(Action.EDIT_CARD, [team])
    w.check_open("board")
    exists = db.scalars(
        select(CardRow.id).where(
            CardRow.pi_id == w.pi.id, CardRow.feature_id == feature_row.id, CardRow.team_id == team_row.id
        )
    ).first()
    if exists is not None:
        raise ConflictError(f"{ref} is already on the board: move it instead")
    row = CardRow(pi_id=w.pi.id, feature_id=feature_row.id, team_id=team_row.id, iteration=iteration, points=points,
                  status="not started")  # fmt: skip
    db.add(row)
    db.flush()
    return ref, row, w.record(Entity.CARD, ref, "added", before=None, after=card_state(ref, row))


def add_cards(db: Session, *, actor: Actor, train_key: str | None, cards: Sequence[Card]) -> int:
    """Many teams take on their parts of features at once (a pull from the tracker): new cards, each in its
    iteration (or unplanned) with its status, in one change (one event each)."""
    if not cards:
        return 0
    for card in cards:
        if card.points not in limits.POINTS:
            raise InvalidInputError(f"{card.ref}: a card's points are {limits.POINTS.words()}, not {card.points}")
        check_status(card.status)
    with writing(db, actor=actor, train_key=train_key) as w:
        w.authorize(Action.EDIT_CARD, sorted({c.team for c in cards}))
        w.check_open("board")
        for card in cards:
            w.check_iteration(card.iteration)
        features = {key: id_ for key, id_ in db.execute(select(FeatureRow.key, FeatureRow.id).where(
            FeatureRow.train_id == w.train.id, FeatureRow.key.in_({c.feature for c in cards})))}  # fmt: skip
        teams = {
            key: id_ for key, id_ in db.execute(select(TeamRow.key, TeamRow.id).where(TeamRow.train_id == w.train.id))
        }
        missing = sorted({c.feature for c in cards} - set(features)) + sorted({c.team for c in cards} - set(teams))
        if missing:
            raise NotFoundError(f"not in {w.train.key}: {', '.join(missing)}")
        there = {
            (f, t) for f, t in db.execute(select(CardRow.feature_id, CardRow.team_id).where(CardRow.pi_id == w.pi.id))
        }
        rows = []
        for card in cards:
            if (features[card.feature], teams[card.team]) in there:
                raise ConflictError(f"{card.ref} is already on the board: move it instead")
            there.add((features[card.feature], teams[card.team]))
            rows.append(CardRow(pi_id=w.pi.id, feature_id=features[card.feature], team_id=teams[card.team],
                                iteration=card.iteration, points=card.points, status=card.status))  # fmt: skip
        db.add_all(rows)
        db.flush()
        added = zip(cards, rows, strict=True)
        w.record_many([(Entity.CARD, c.ref, "added", None, card_state(c.ref, row)) for c, row in added])
    return len(rows)


def remove_card(db: Session, *, actor: Actor, train_key: str | None, ref: str, version: int | None = None) -> Event:
    """Take a team's card off the board, with the dependencies on it."""
    with writing(db, actor=actor, train_key=train_key) as w:
        row = find_card(db, w.train, w.pi, ref)
        w.authorize(Action.EDIT_CARD, [split_card_ref(ref)[1]])
        w.check_open("board")
        before = w.claim(row, what=f"card {ref}", expected=version, state=lambda row: card_state(ref, row))
        db.execute(
            delete(DependencyRow).where(or_(DependencyRow.consumer_id == row.id, DependencyRow.provider_id == row.id))
        )
        db.delete(row)
        db.flush()
        event = w.record(Entity.CARD, ref, "removed", before=before, after=None)
    return event
