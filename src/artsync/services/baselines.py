"""Committing the PI plan: the baseline, frozen once and kept forever."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.baseline import commit_blockers
from artsync.domain.confidence import COMMIT_AVERAGE, tally
from artsync.domain.events import Entity, Event
from artsync.domain.findings import analyze
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Plan
from artsync.errors import ConflictError, InvalidInputError, NotFoundError
from artsync.formats.plan_format import dump_plan, parse_plan
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.services.votes import latest_vote
from artsync.services.writes import writing
from artsync.store.mapping import load_plan, utc_now
from artsync.store.models import BallotRow, BaselineRow, TrainRow


@dataclass(frozen=True)
class Committed:
    """When, by whom and on which vote a PI's plan was committed: its baseline without the plan."""

    pi: str
    committed_by: str
    committed_at: datetime
    seq: int
    vote_round: int | None
    vote_average: float | None
    override_reason: str | None


@dataclass(frozen=True)
class Baseline(Committed):
    """The committed plan of a PI, with who committed it, when, on which vote, and any override."""

    plan: Plan
    overridden: tuple[str, ...] = ()
    event: Event | None = None


def commitment(row: BaselineRow) -> dict[str, Any]:
    """What ``row`` says of its commit, as ``Committed``'s fields."""
    return {
        "pi": row.pi_key,
        "committed_by": row.committed_by,
        "committed_at": row.committed_at,
        "seq": row.seq,
        "vote_round": row.vote_round,
        "vote_average": row.vote_average,
        "override_reason": row.override_reason,
    }


PARSED_KEPT = 4  # baselines' plans kept parsed per process (a 40-team plan holds ~2 MiB)
_parsed: OrderedDict[tuple[object, ...], Plan] = OrderedDict()
_parsed_lock = threading.Lock()


def baseline_plan(db: Session, row: BaselineRow) -> Plan:
    """The plan ``row`` holds, parsed once per process. A baseline is written once and never changed, so its plan
    is known by the row: the database, its id, the event that committed it and when — its document (megabytes on a
    large train) is read and parsed only the first time (the measures, the ART sync agenda, the baseline itself)."""
    at = row.committed_at  # as written (aware) or as read back (naive on SQLite): the same UTC instant
    key = (str(db.get_bind().engine.url), row.id, row.seq, at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at)
    with _parsed_lock:
        if key in _parsed:
            _parsed.move_to_end(key)
            return _parsed[key]
    plan = parse_plan(row.plan)
    with _parsed_lock:
        _parsed[key] = plan
        while len(_parsed) > PARSED_KEPT:
            _parsed.popitem(last=False)
    return plan


def baseline_value(
    db: Session, row: BaselineRow, event: Event | None = None, overridden: tuple[str, ...] = ()
) -> Baseline:
    return Baseline(**commitment(row), plan=baseline_plan(db, row), overridden=overridden, event=event)


def find_baseline_row(db: Session, train: TrainRow, pi_key: str) -> BaselineRow | None:
    """The baseline the train committed for PI ``pi_key``, if it did."""
    return db.scalars(select(BaselineRow).where(BaselineRow.train_id == train.id, BaselineRow.pi_key == pi_key)).first()


def commit_pi(db: Session, *, actor: Actor, train_key: str | None, override_reason: str | None = None) -> Baseline:
    """Commit the current PI's plan as its baseline and start executing it.

    Needs a closed confidence vote averaging 3 or more. Unroamed risks and error findings
    refuse the commit unless the RTE overrides them with a written reason, which is kept.
    """
    reason = (override_reason or "").strip() or None
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.FACILITATE)
        pi = find_current_pi(db, train)
        if find_baseline_row(db, train, pi.key):
            raise ConflictError(f"PI {pi.key} is already committed: a baseline is never changed")
        if pi.state != "planning":
            raise InvalidInputError(f"PI {pi.key} is {pi.state}: only a PI in planning is committed")
        vote = latest_vote(db, pi)
        if vote is None or vote.state != "closed":
            raise InvalidInputError("the train commits after the confidence vote: open it, let everyone vote, close it")
        result = tally(db.scalars(select(BallotRow.value).where(BallotRow.vote_id == vote.id)))
        if not result.passes:
            raise InvalidInputError(
                f"the confidence vote averaged {result.average} (below {COMMIT_AVERAGE:g}): rework the plan and "
                "open another round"
            )
        plan = load_plan(db, train, pi)
        blockers = commit_blockers(plan, analyze(plan))
        if blockers and reason is None:
            shown = "; ".join(blockers[:3]) + (f" (and {len(blockers) - 3} more)" if len(blockers) > 3 else "")
            raise InvalidInputError(
                f"the plan cannot be committed yet: {shown}. ROAM the risks and fix the errors, or override "
                "with a written reason"
            )
        pi.state, pi.version = "executing", pi.version + 1
        event = w.record(
            Entity.PI,
            pi.key,
            "committed",
            before={"state": "planning"},
            after={
                "state": "executing",
                "vote_round": vote.round,
                "vote_average": result.average,
                "override_reason": reason,
                "overridden": blockers if reason else [],
            },
        )
        row = BaselineRow(
            train_id=train.id,
            pi_key=pi.key,
            committed_by=actor.name,
            committed_at=utc_now(),
            seq=event.seq,
            vote_round=vote.round,
            vote_average=result.average,
            override_reason=reason,
            plan=dump_plan(plan),
        )
        db.add(row)
    return baseline_value(db, row, event, tuple(blockers) if reason else ())


def get_baseline(db: Session, *, actor: Actor, train_key: str | None, pi_key: str | None = None) -> Baseline:
    """The committed baseline of a PI (the current one by default)."""
    return baseline_value(db, committed_row(db, actor, train_key, pi_key))


def get_committed(db: Session, *, actor: Actor, train_key: str | None) -> Committed:
    """How the current PI's plan was committed (what the PI planning page says of its baseline): the plan itself is
    not read."""
    return Committed(**commitment(committed_row(db, actor, train_key, None)))


def committed_row(db: Session, actor: Actor, train_key: str | None, pi_key: str | None) -> BaselineRow:
    """The baseline row of a PI (the current one with no key), for a caller who may read the train."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    key = pi_key or find_current_pi(db, train).key
    row = find_baseline_row(db, train, key)
    if row is None:
        raise NotFoundError(f"PI {key} has no baseline yet: it is set when the train commits its plan")
    return row
