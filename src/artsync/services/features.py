"""Editing the ART backlog: a feature's title, kind and WSJF inputs (product management's job)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.events import Entity
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import FEATURE_KINDS, Feature
from artsync.domain.wsjf import WsjfInputs
from artsync.errors import ConflictError, InvalidInputError, NotFoundError
from artsync.services.permissions import authorize
from artsync.services.trains import find_train
from artsync.services.writes import Changed, writing
from artsync.store.models import FeatureRow

EDITABLE = ("title", "kind", "ubv", "tc", "rroe", "size")


def feature_value(row: FeatureRow) -> Feature:
    return Feature(row.key, row.title, row.kind, WsjfInputs(row.ubv, row.tc, row.rroe, row.size))


def find_feature(db: Session, train_id: int, key: str) -> FeatureRow:
    row = db.scalars(select(FeatureRow).where(FeatureRow.train_id == train_id, FeatureRow.key == key)).first()
    if row is None:
        raise NotFoundError(f"no feature {key!r} in the backlog")
    return row


def get_feature(db: Session, *, actor: Actor, train_key: str, key: str) -> Changed[Feature]:
    """One feature of the backlog, with its version."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    row = find_feature(db, train.id, key)
    return Changed(feature_value(row), row.version)


def edit_feature(
    db: Session, *, actor: Actor, train_key: str, key: str, changes: dict[str, Any], version: int | None
) -> Changed[Feature]:
    """Change a feature's title, kind or WSJF inputs (each input on 1, 2, 3, 5, 8, 13, 20)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInputError(f"cannot change {', '.join(sorted(unknown))}; editable: {', '.join(EDITABLE)}")
    with writing(db, actor=actor, train_key=train_key, may=Action.EDIT_FEATURE) as w:
        row = find_feature(db, w.train.id, key)

        def edited(row: FeatureRow) -> dict[str, Any]:
            merged = {name: changes.get(name, getattr(row, name)) for name in EDITABLE}
            if not isinstance(merged["title"], str) or not merged["title"].strip():
                raise InvalidInputError("title: give the feature a title")
            if merged["kind"] not in FEATURE_KINDS:
                raise InvalidInputError(f"kind: {merged['kind']!r} must be one of {', '.join(FEATURE_KINDS)}")
            try:
                WsjfInputs(merged["ubv"], merged["tc"], merged["rroe"], merged["size"])
            except ValueError as exc:
                raise InvalidInputError(str(exc)) from None
            return merged | {"title": merged["title"].strip()}

        event = w.update(
            row,
            entity=Entity.FEATURE,
            entity_id=key,
            action="edited",
            expected=version,
            state=feature_state,
            changes=edited,
        )
    return Changed(feature_value(row), row.version, event)


def import_features(db: Session, *, actor: Actor, train_key: str, features: Sequence[Feature]) -> int:
    """Features brought from the team tracker into the backlog, in one change (one event each)."""
    if not features:
        return 0
    with writing(db, actor=actor, train_key=train_key, may=Action.EDIT_FEATURE) as w:
        keys = [f.key for f in features]
        taken = set(db.scalars(select(FeatureRow.key).where(FeatureRow.train_id == w.train.id,
                                                             FeatureRow.key.in_(keys))))  # fmt: skip
        if taken or len(set(keys)) != len(keys):
            raise ConflictError(f"{', '.join(sorted(taken) or keys)} in the backlog already")
        rows = []
        for feature in features:
            if feature.kind not in FEATURE_KINDS:
                raise InvalidInputError(
                    f"{feature.key}: kind {feature.kind!r} must be one of {', '.join(FEATURE_KINDS)}"
                )
            s = feature.wsjf
            rows.append(FeatureRow(train_id=w.train.id, key=feature.key, title=feature.title.strip() or feature.key,
                                   kind=feature.kind, ubv=s.ubv, tc=s.tc, rroe=s.rroe, size=s.size))  # fmt: skip
        db.add_all(rows)
        db.flush()
        w.record_many([(Entity.FEATURE, row.key, "imported", None, feature_state(row)) for row in rows])
    return len(rows)


def feature_state(row: FeatureRow) -> dict[str, Any]:
    """How a feature is shown in the event log and in a stale-version refusal."""
    return {"key": row.key, **{name: getattr(row, name) for name in EDITABLE}, "version": row.version}
