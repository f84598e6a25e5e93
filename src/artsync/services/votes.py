"""The confidence vote: the RTE opens it, every participant votes 1–5 (and may change it), the RTE closes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.confidence import Tally, check_fingers, tally
from artsync.domain.events import Entity, Event
from artsync.domain.permissions import Action, Actor
from artsync.errors import ConflictError, InvalidInputError, NotFoundError
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.services.writes import writing
from artsync.store.mapping import utc_now
from artsync.store.models import BallotRow, ConfidenceVoteRow, PIRow


@dataclass(frozen=True)
class VoteView:
    """One round of the vote: its state, who voted (not how, while it is open) and, once closed, the tally."""

    pi: str
    round: int
    state: str
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    voters: tuple[str, ...]
    tally: Tally | None  # shown once the vote is closed, so nobody is swayed while it is open
    mine: int | None  # the asking person's own vote
    event: Event | None = None


def latest_vote(db: Session, pi: PIRow) -> ConfidenceVoteRow | None:
    """The PI's latest round, open or closed."""
    return db.scalars(
        select(ConfidenceVoteRow).where(ConfidenceVoteRow.pi_id == pi.id).order_by(ConfidenceVoteRow.round.desc())
    ).first()


def vote_view(db: Session, pi: PIRow, vote: ConfidenceVoteRow, actor: Actor, event: Event | None = None) -> VoteView:
    ballots = db.scalars(select(BallotRow).where(BallotRow.vote_id == vote.id).order_by(BallotRow.voter)).all()
    mine = next((b.value for b in ballots if b.voter == actor.name), None)
    return VoteView(
        pi=pi.key,
        round=vote.round,
        state=vote.state,
        opened_by=vote.opened_by,
        opened_at=vote.opened_at,
        closed_at=vote.closed_at,
        voters=tuple(b.voter for b in ballots),
        tally=tally(b.value for b in ballots) if vote.state == "closed" else None,
        mine=mine,
        event=event,
    )


def get_vote(db: Session, *, actor: Actor, train_key: str | None) -> VoteView:
    """The current PI's latest confidence vote."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    pi = find_current_pi(db, train)
    vote = latest_vote(db, pi)
    if vote is None:
        raise NotFoundError(f"no confidence vote yet in {pi.key}: the RTE opens one at the end of PI planning")
    return vote_view(db, pi, vote, actor)


def open_vote(db: Session, *, actor: Actor, train_key: str | None) -> VoteView:
    """Open the next round of the confidence vote (the first, or a rework round after a closed one)."""
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.FACILITATE)
        pi = find_current_pi(db, train)
        if pi.state != "planning":
            raise InvalidInputError(f"PI {pi.key} is {pi.state}: the confidence vote ends PI planning")
        last = latest_vote(db, pi)
        if last is not None and last.state == "open":
            raise InvalidInputError(f"round {last.round} of the vote is still open: close it first")
        vote = ConfidenceVoteRow(
            pi_id=pi.id, round=(last.round + 1) if last else 1, state="open", opened_by=actor.name, opened_at=utc_now()
        )
        db.add(vote)
        db.flush()
        event = w.record(
            Entity.VOTE, f"{pi.key}#{vote.round}", "opened", before=None, after={"round": vote.round, "state": "open"}
        )
    return vote_view(db, pi, vote, actor, event)


def cast_vote(db: Session, *, actor: Actor, train_key: str | None, fingers: int) -> VoteView:
    """Vote 1–5 in the open round; voting again changes your vote."""
    problem = check_fingers(fingers)
    if problem:
        raise InvalidInputError(problem)
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.VOTE)
        pi = find_current_pi(db, train)
        vote = latest_vote(db, pi)
        if vote is None or vote.state != "open":
            raise ConflictError(f"there is no open confidence vote in {pi.key}; the RTE opens one")
        ballot = db.scalars(
            select(BallotRow).where(BallotRow.vote_id == vote.id, BallotRow.voter == actor.name)
        ).first()
        if ballot is not None and ballot.value == fingers:
            return vote_view(db, pi, vote, actor)
        if ballot is None:
            db.add(BallotRow(vote_id=vote.id, voter=actor.name, value=fingers, cast_at=utc_now()))
        else:
            ballot.value, ballot.cast_at = fingers, utc_now()
        db.flush()
        # The log records that someone voted, not how: the vote is secret until the tally.
        event = w.record(
            Entity.VOTE,
            f"{pi.key}#{vote.round}",
            "changed" if ballot else "cast",
            before=None,
            after={"voter": actor.name},
        )
    return vote_view(db, pi, vote, actor, event)


def close_vote(db: Session, *, actor: Actor, train_key: str | None) -> VoteView:
    """Close the open round and publish its tally: histogram and average; it passes at 3 or more."""
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.FACILITATE)
        pi = find_current_pi(db, train)
        vote = latest_vote(db, pi)
        if vote is None or vote.state != "open":
            raise ConflictError(f"there is no open confidence vote in {pi.key} to close")
        values = db.scalars(select(BallotRow.value).where(BallotRow.vote_id == vote.id)).all()
        if not values:
            raise InvalidInputError("nobody has voted yet: a vote with no votes cannot be closed")
        vote.state, vote.closed_by, vote.closed_at = "closed", actor.name, utc_now()
        result = tally(values)
        event = w.record(
            Entity.VOTE,
            f"{pi.key}#{vote.round}",
            "closed",
            before={"state": "open"},
            after={
                "state": "closed",
                "round": vote.round,
                "average": result.average,
                "votes": result.count,
                "histogram": {str(k): v for k, v in result.histogram.items()},
                "passes": result.passes,
            },
        )
    return vote_view(db, pi, vote, actor, event)
