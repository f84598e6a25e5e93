"""The WSJF session: product management scores the backlog relatively, one column at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.events import Entity, Event
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Feature
from artsync.domain.wsjf import COLUMNS, WsjfInputs, check_column, rank
from artsync.errors import ConflictError, InvalidInputError, NotFoundError
from artsync.services.features import feature_value
from artsync.services.permissions import authorize
from artsync.services.trains import find_train
from artsync.services.writes import writing
from artsync.store.mapping import utc_now
from artsync.store.models import FeatureRow, TrainRow, WsjfSessionRow


@dataclass(frozen=True)
class WsjfSession:
    """A scoring session: the features in it, the columns scored so far and by whom, and the resulting order."""

    id: int
    state: str
    features: tuple[str, ...]
    scores: dict[str, dict[str, int]]
    scorers: dict[str, dict[str, str]]
    ranking: tuple[dict[str, Any], ...]
    started_by: str
    started_at: datetime
    finished_by: str | None
    finished_at: datetime | None
    event: Event | None = None

    @property
    def remaining(self) -> tuple[str, ...]:
        """The columns still to score, in order."""
        return tuple(c for c in COLUMNS if c not in self.scores)


def session_value(row: WsjfSessionRow, event: Event | None = None) -> WsjfSession:
    return WsjfSession(
        row.id,
        row.state,
        tuple(row.features),
        dict(row.scores),
        dict(row.scorers),
        tuple(row.ranking or ()),
        row.started_by,
        row.started_at,
        row.finished_by,
        row.finished_at,
        event,
    )


def open_session(db: Session, train: TrainRow) -> WsjfSessionRow | None:
    return db.scalars(
        select(WsjfSessionRow).where(WsjfSessionRow.train_id == train.id, WsjfSessionRow.state == "open")
    ).first()


def get_wsjf_session(db: Session, *, actor: Actor, train_key: str | None) -> WsjfSession:
    """The train's latest WSJF session, open or finished."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    row = db.scalars(
        select(WsjfSessionRow).where(WsjfSessionRow.train_id == train.id).order_by(WsjfSessionRow.id.desc())
    ).first()
    if row is None:
        raise NotFoundError(f"train {train.key} has had no WSJF session yet: product management starts one")
    return session_value(row)


def start_wsjf_session(
    db: Session, *, actor: Actor, train_key: str | None, features: list[str] | None = None
) -> WsjfSession:
    """Open a session over ``features`` (by default the whole ART backlog)."""
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.EDIT_FEATURE)
        if open_session(db, train) is not None:
            raise ConflictError("a WSJF session is already open: finish it first")
        backlog = list(
            db.scalars(select(FeatureRow.key).where(FeatureRow.train_id == train.id).order_by(FeatureRow.key))
        )
        scope = list(dict.fromkeys(features)) if features else backlog
        unknown = sorted(set(scope) - set(backlog))
        if unknown:
            raise InvalidInputError(f"no feature {', '.join(unknown)} in the backlog")
        if len(scope) < 2:
            raise InvalidInputError("relative scoring needs at least two features")
        row = WsjfSessionRow(
            train_id=train.id,
            state="open",
            features=scope,
            scores={},
            scorers={},
            started_by=actor.name,
            started_at=utc_now(),
        )
        db.add(row)
        db.flush()
        event = w.record(Entity.WSJF, f"session-{row.id}", "started", before=None, after={"features": len(scope)})
    return session_value(row, event)


def score_wsjf_column(
    db: Session, *, actor: Actor, train_key: str | None, column: str, scores: dict[str, int]
) -> WsjfSession:
    """Score one column for every feature of the open session; the smallest must be 1. Scoring again replaces it."""
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.EDIT_FEATURE)
        row = open_session(db, train)
        if row is None:
            raise InvalidInputError("no WSJF session is open: start one first")
        problems = check_column(column, scores, row.features)
        if problems:
            raise InvalidInputError(
                "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
            )
        row.scores = {**row.scores, column: dict(scores)}
        row.scorers = {**row.scorers, column: {"by": actor.name, "at": utc_now().isoformat(timespec="seconds")}}
        row.version += 1
        event = w.record(
            Entity.WSJF, f"session-{row.id}", "scored", before=None, after={"column": column, "scores": dict(scores)}
        )
    return session_value(row, event)


def finish_wsjf_session(db: Session, *, actor: Actor, train_key: str | None) -> WsjfSession:
    """Apply the four scored columns to the features and record the resulting order with who scored it."""
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.EDIT_FEATURE)
        row = open_session(db, train)
        if row is None:
            raise InvalidInputError("no WSJF session is open")
        missing = [COLUMNS[c] for c in COLUMNS if c not in row.scores]
        if missing:
            raise InvalidInputError(f"score every column before finishing: {', '.join(missing)} still to score")
        features = {
            f.key: f
            for f in db.scalars(
                select(FeatureRow).where(FeatureRow.train_id == train.id, FeatureRow.key.in_(row.features))
            )
        }
        scored: list[Feature] = []
        for key in row.features:
            f = features[key]
            before = {"key": key, "ubv": f.ubv, "tc": f.tc, "rroe": f.rroe, "size": f.size, "version": f.version}
            new = WsjfInputs(*(row.scores[c][key] for c in COLUMNS))
            if (new.ubv, new.tc, new.rroe, new.size) != (f.ubv, f.tc, f.rroe, f.size):
                f.ubv, f.tc, f.rroe, f.size = new.ubv, new.tc, new.rroe, new.size
                f.version += 1
                after = {"key": key, "ubv": f.ubv, "tc": f.tc, "rroe": f.rroe, "size": f.size, "version": f.version}
                w.record(Entity.FEATURE, key, "scored", before=before, after=after)
            scored.append(feature_value(f))
        row.ranking = [
            {
                "rank": n,
                "key": f.key,
                "title": f.title,
                "cost_of_delay": f.wsjf.cost_of_delay,
                "size": f.wsjf.size,
                "wsjf": round(f.wsjf.score, 2),
            }
            for n, f in enumerate(rank(scored), start=1)
        ]
        row.state, row.finished_by, row.finished_at = "finished", actor.name, utc_now()
        row.version += 1
        event = w.record(
            Entity.WSJF,
            f"session-{row.id}",
            "finished",
            before=None,
            after={"order": [r["key"] for r in row.ranking], "scorers": row.scorers},
        )
    return session_value(row, event)
