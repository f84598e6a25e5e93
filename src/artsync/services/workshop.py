"""The problem-solving workshop at Inspect & Adapt: problems, root causes, improvements into the backlog."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.events import Entity
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import next_key
from artsync.domain.workshop import Cause, Problem, check_category
from artsync.errors import ConflictError, InvalidInputError, NotFoundError
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.services.writes import writing
from artsync.store.mapping import utc_now
from artsync.store.models import FeatureRow, ProblemRow, TeamRow, TrainRow

IMPROVEMENT_PREFIX = "IMP-"


def problem_value(row: ProblemRow) -> Problem:
    return Problem(
        row.key, row.pi_key, row.text, row.raised_by, row.raised_at, row.team,
        tuple(Cause(c["category"], c["text"]) for c in row.causes or ()), tuple(row.improvements or ()),
    )  # fmt: skip


def find_problem(db: Session, train: TrainRow, key: str) -> ProblemRow:
    row = db.scalars(select(ProblemRow).where(ProblemRow.train_id == train.id, ProblemRow.key == key)).first()
    if row is None:
        raise NotFoundError(f"no problem {key!r} in {train.key}'s workshop")
    return row


def add_problem(db: Session, *, actor: Actor, train_key: str | None, text: str, team: str | None = None) -> Problem:
    """Bring a problem to the workshop (anyone on the train); it belongs to the current PI's I&A."""
    if not text.strip():
        raise InvalidInputError("a problem needs its text: what went wrong, as a fact")
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.REPORT)
        if (
            team is not None
            and not db.scalars(select(TeamRow.id).where(TeamRow.train_id == train.id, TeamRow.key == team)).first()
        ):
            raise NotFoundError(f"no team {team!r} in {train.key}")
        key = next_key("P", db.scalars(select(ProblemRow.key).where(ProblemRow.train_id == train.id)))
        row = ProblemRow(
            train_id=train.id, pi_key=find_current_pi(db, train).key, key=key, text=text.strip(), team=team, causes=[],
            improvements=[], raised_by=actor.name, raised_at=utc_now(), version=1,
        )  # fmt: skip
        db.add(row)
        db.flush()
        w.record(Entity.PROBLEM, key, "raised", before=None, after={"text": row.text, "team": team})
    return problem_value(row)


def add_cause(
    db: Session, *, actor: Actor, train_key: str | None, key: str, text: str, category: str = "why"
) -> Problem:
    """Add a root cause: the next "why?" of the chain, or a cause on a bone of the fishbone."""
    if problem := check_category(category):
        raise InvalidInputError(problem)
    if not text.strip():
        raise InvalidInputError("a root cause needs its text")
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.REPORT)
        row = find_problem(db, train, key)
        row.causes = [*(row.causes or []), {"category": category, "text": text.strip()}]
        row.version += 1
        w.record(Entity.PROBLEM, key, "cause", before=None, after={"category": category, "text": text.strip()})
    return problem_value(row)


def add_improvement(
    db: Session, *, actor: Actor, train_key: str | None, key: str, title: str, feature_key: str | None = None
) -> Problem:
    """Turn what the workshop found into an improvement item of the ART backlog (an enabler, to be scored
    in the next WSJF session), linked to the problem."""
    if not title.strip():
        raise InvalidInputError("an improvement needs its title")
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.EDIT_FEATURE)
        row = find_problem(db, train, key)
        taken = set(db.scalars(select(FeatureRow.key).where(FeatureRow.train_id == train.id)))
        new_key = (feature_key or next_key(IMPROVEMENT_PREFIX, taken)).strip()
        if new_key in taken:
            raise ConflictError(f"{new_key} is already in the backlog")
        db.add(FeatureRow(train_id=train.id, key=new_key, title=title.strip(), kind="enabler", ubv=1, tc=1, rroe=1,
                          size=1, version=1))  # fmt: skip
        row.improvements = [*(row.improvements or []), new_key]
        row.version += 1
        w.record(
            Entity.FEATURE,
            new_key,
            "added",
            before=None,
            after={"title": title.strip(), "kind": "enabler", "from": key},
        )
    return problem_value(row)


def list_problems(db: Session, *, actor: Actor, train_key: str | None, pi_key: str | None = None) -> list[Problem]:
    """The workshop's problems (of one PI, or all), in the order raised."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    query = select(ProblemRow).where(ProblemRow.train_id == train.id)
    if pi_key is not None:
        query = query.where(ProblemRow.pi_key == pi_key)
    return [problem_value(r) for r in db.scalars(query.order_by(ProblemRow.id))]
