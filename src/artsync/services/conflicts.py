"""The conflict log: conflicts reported by anyone or drawn from a finding, mediated to a decision.

Deciding a conflict records a decision (``D<n>``) linked to it and to the items it changed, so the
decision log and the conflict log tell the same story.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.conflicts import Conflict, check_kind, check_status, from_finding
from artsync.domain.events import Entity
from artsync.domain.findings import analyze
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import next_key
from artsync.errors import ConflictError, InvalidInputError, NotFoundError
from artsync.services.meetings import decide_row, new_decision
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.services.writes import Changed, Write, writing
from artsync.store.mapping import load_plan, utc_now
from artsync.store.models import ConflictRow, TeamRow, TrainRow


def conflict_value(row: ConflictRow) -> Conflict:
    return Conflict(
        row.key, row.kind, row.summary, tuple(row.parties), row.status, row.raised_by, row.raised_at,
        tuple(row.options or ()), tuple(row.items or ()), row.finding_id, row.mediator, row.decision, row.rationale,
        tuple(row.links or ()), row.decided_at,
    )  # fmt: skip


def conflict_state(row: ConflictRow) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "summary": row.summary,
        "parties": list(row.parties),
        "options": list(row.options or ()),
        "mediator": row.mediator,
        "status": row.status,
        "decision": row.decision,
        "rationale": row.rationale,
        "links": list(row.links or ()),
        "version": row.version,
    }


def find_conflict(db: Session, train: TrainRow, key: str) -> ConflictRow:
    row = db.scalars(select(ConflictRow).where(ConflictRow.train_id == train.id, ConflictRow.key == key)).first()
    if row is None:
        raise NotFoundError(f"no conflict {key!r} in {train.key}")
    return row


def add_row(
    w: Write, kind: str, summary: str, parties: list[str], options: list[str], items: list[str], finding: str | None
) -> Changed[Conflict]:
    key = next_key("C", w.db.scalars(select(ConflictRow.key).where(ConflictRow.train_id == w.train.id)))
    row = ConflictRow(
        train_id=w.train.id, key=key, kind=kind, summary=summary, parties=parties, options=options, items=items,
        finding_id=finding, links=[], status="open", raised_by=w.actor.name, raised_at=utc_now(), version=1,
    )  # fmt: skip
    w.db.add(row)
    w.db.flush()
    event = w.record(Entity.CONFLICT, key, "reported", before=None, after=conflict_state(row))
    return Changed(conflict_value(row), row.version, event)


def report_conflict(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    kind: str,
    summary: str,
    parties: list[str],
    options: list[str] | None = None,
    items: list[str] | None = None,
) -> Changed[Conflict]:
    """Anyone on the train reports a conflict between teams or people."""
    if problem := check_kind(kind):
        raise InvalidInputError(problem)
    if not summary.strip():
        raise InvalidInputError("a conflict needs its summary: who disagrees about what")
    named = [p.strip() for p in parties if p.strip()]
    if len(named) < 2:
        raise InvalidInputError("a conflict has two parties or more (teams or people)")
    with writing(db, actor=actor, train_key=train_key) as w:
        w.authorize(Action.REPORT)
        return add_row(w, kind, summary.strip(), named, list(options or []), list(items or []), None)


def conflict_from_finding(db: Session, *, actor: Actor, train_key: str | None, finding_id: str) -> Changed[Conflict]:
    """One click from a finding: the conflict starts with its kind, message, teams, items and suggested fix."""
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.REPORT)
        plan = load_plan(db, train, find_current_pi(db, train))
        finding = next((f for f in analyze(plan) if f.id == finding_id), None)
        if finding is None:
            raise NotFoundError(f"no finding {finding_id!r} stands on {train.key}: it may have been fixed already")
        already = db.scalars(
            select(ConflictRow).where(
                ConflictRow.train_id == train.id, ConflictRow.finding_id == finding_id, ConflictRow.status != "closed"
            )
        ).first()
        if already is not None:
            raise ConflictError(f"conflict {already.key} is already open on this finding")
        teams = set(db.scalars(select(TeamRow.key).where(TeamRow.train_id == train.id)))
        draft = from_finding(finding, teams)
        parties = list(draft.parties) or ["product management"]
        return add_row(w, draft.kind, draft.summary, parties, list(draft.options), list(draft.items), finding_id)


def get_conflict(db: Session, *, actor: Actor, train_key: str | None, key: str) -> Changed[Conflict]:
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    row = find_conflict(db, train, key)
    return Changed(conflict_value(row), row.version)


def search_conflicts(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    query: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    party: str | None = None,
) -> list[Conflict]:
    """The conflict log, newest first: every word of ``query`` must appear somewhere in the conflict."""
    if status is not None and (problem := check_status(status)):
        raise InvalidInputError(problem)
    if kind is not None and (problem := check_kind(kind)):
        raise InvalidInputError(problem)
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    select_rows = select(ConflictRow).where(ConflictRow.train_id == train.id)
    if status is not None:
        select_rows = select_rows.where(ConflictRow.status == status)
    if kind is not None:
        select_rows = select_rows.where(ConflictRow.kind == kind)
    found = [conflict_value(r) for r in db.scalars(select_rows.order_by(ConflictRow.id.desc()))]
    if party:
        found = [c for c in found if party.lower() in (p.lower() for p in c.parties)]
    words = (query or "").lower().split()
    return [c for c in found if all(w in c.text() for w in words)]


def mediate_conflict(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    key: str,
    mediator: str | None = None,
    options: list[str] | None = None,
    status: str | None = None,
    version: int | None = None,
) -> Changed[Conflict]:
    """The RTE takes up a conflict: names the mediator, writes down the options, moves its status on."""
    if status is not None and (problem := check_status(status)):
        raise InvalidInputError(problem)
    if status == "decided":
        raise InvalidInputError("a conflict is decided by recording the decision and its rationale")
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.FACILITATE)
        row = find_conflict(db, train, key)
        before = w.claim(row, what=f"conflict {key}", expected=version, state=conflict_state)
        if mediator is not None:
            row.mediator = mediator
        if options is not None:
            row.options = list(options)
        if status is not None:
            row.status = status
        elif mediator is not None and row.status == "open":
            row.status = "mediating"
        if conflict_state(row) == before:
            return Changed(conflict_value(row), row.version)
        row.version += 1
        action = row.status if row.status != before["status"] else "updated"
        event = w.record(Entity.CONFLICT, key, action, before=before, after=conflict_state(row))
    return Changed(conflict_value(row), row.version, event)


def decide_conflict(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    key: str,
    decision: str,
    rationale: str,
    links: list[str] | None = None,
    version: int | None = None,
) -> Changed[Conflict]:
    """Record the mediated decision and its rationale, linked to the items it changed; the decision log gets it too."""
    if not decision.strip() or not rationale.strip():
        raise InvalidInputError("a conflict is decided with the decision and its rationale")
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.FACILITATE)
        row = find_conflict(db, train, key)
        before = w.claim(row, what=f"conflict {key}", expected=version, state=conflict_state)
        if row.status in ("decided", "closed"):
            raise ConflictError(f"conflict {key} is {row.status} already")
        row.decision, row.rationale, row.links = decision.strip(), rationale.strip(), list(links or [])
        row.status, row.decided_at = "decided", utc_now()
        row.mediator = row.mediator or actor.name
        row.version += 1
        event = w.record(Entity.CONFLICT, key, "decided", before=before, after=conflict_state(row))
        record = new_decision(w, f"{key}: {row.summary}", None, key)
        decide_row(w, record, row.decision, row.rationale, row.links)
    return Changed(conflict_value(row), row.version, event)
