"""The ART events as meetings: schedule, start (the agenda is generated), record, end (the minutes are written).

The ART sync's agenda comes from the event log since the previous ART sync ended (or since the plan
was committed); what the RTE records during the meeting is logged too, and falls before the next window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from artsync.domain.agenda import Agenda, build_agenda
from artsync.domain.events import Entity, Event
from artsync.domain.findings import Finding, analyze
from artsync.domain.meetings import (
    KINDS,
    ActionItem,
    Decision,
    Meeting,
    check_kind,
    check_team_status,
)
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Plan, next_key
from artsync.errors import ForbiddenError, InvalidInputError, NotFoundError
from artsync.formats.agenda import agenda_json, minutes_markdown
from artsync.services.baselines import baseline_plan, find_baseline_row
from artsync.services.events import events_after
from artsync.services.forecast import standing_findings
from artsync.services.impediments import impediment_value
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.services.writes import Changed, Write, writing
from artsync.store.mapping import load_plan, pi_value, utc_now
from artsync.store.models import (
    ActionItemRow,
    DecisionRow,
    ImpedimentRow,
    MeetingRow,
    TeamRow,
    TrainRow,
)

SYNC_KINDS = ("art_sync", "po_sync", "scrum_of_scrums")  # the weekly syncs: agenda from the log
PI_PLANNING_AGENDA = (
    "Business context",
    "Product and solution vision",
    "Architecture vision and development practices",
    "Planning context and lunch",
    "Team breakouts #1",
    "Draft plan review",
    "Management review and problem solving",
    "Planning adjustments",
    "Team breakouts #2",
    "Final plan review and lunch",
    "ART PI risks (ROAM)",
    "Confidence vote",
    "Plan rework if needed",
    "Planning retrospective and moving forward",
)
INSPECT_ADAPT_AGENDA = (
    "PI system demo",
    "Quantitative and qualitative measurement: actual business value of each objective, predictability",
    "Retrospective",
    "Problem-solving workshop: root causes and improvement backlog items for the next PI",
)


@dataclass(frozen=True)
class MeetingItems:
    """A meeting with the action items and decisions agreed in it."""

    meeting: Meeting
    actions: tuple[ActionItem, ...] = ()
    decisions: tuple[Decision, ...] = ()


def meeting_value(row: MeetingRow) -> Meeting:
    return Meeting(
        row.id, row.kind, row.title, row.day, row.state, row.pi_key, row.iteration, row.started_at, row.ended_at,
        dict(row.team_status or {}), tuple(row.outcomes or ()), row.agenda, row.minutes,
    )  # fmt: skip


def action_value(row: ActionItemRow) -> ActionItem:
    return ActionItem(row.key, row.text, row.owner, row.due, row.state, row.meeting_id)


def decision_value(row: DecisionRow) -> Decision:
    return Decision(
        row.key, row.question, row.state, row.decision, row.rationale, tuple(row.links or ()), row.conflict_key,
        row.meeting_id, row.decided_by, row.decided_at,
    )  # fmt: skip


def meeting_state(row: MeetingRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "title": row.title,
        "day": row.day.isoformat(),
        "iteration": row.iteration,
        "state": row.state,
        "version": row.version,
    }


def find_meeting(db: Session, train: TrainRow, meeting_id: int) -> MeetingRow:
    row = db.get(MeetingRow, meeting_id)
    if row is None or row.train_id != train.id:
        raise NotFoundError(f"no meeting {meeting_id} in {train.key}")
    return row


def view_of(db: Session, row: MeetingRow, event: Event | None = None) -> Changed[MeetingItems]:
    actions = db.scalars(select(ActionItemRow).where(ActionItemRow.meeting_id == row.id).order_by(ActionItemRow.id))
    decisions = db.scalars(select(DecisionRow).where(DecisionRow.meeting_id == row.id).order_by(DecisionRow.id))
    items = MeetingItems(
        meeting_value(row), tuple(action_value(a) for a in actions), tuple(decision_value(d) for d in decisions)
    )
    return Changed(items, row.version, event)


# --- meetings -----------------------------------------------------------------------------------


def schedule_meeting(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    kind: str,
    day: date,
    title: str | None = None,
    iteration: int | None = None,
) -> Changed[MeetingItems]:
    """The RTE puts an ART event on the train's calendar; a system demo names the iteration it shows."""
    if problem := check_kind(kind):
        raise InvalidInputError(problem)
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.FACILITATE)
        pi = pi_value(find_current_pi(db, train))
        if iteration is not None and not 1 <= iteration <= pi.iteration_count:
            raise InvalidInputError(f"iteration {iteration} is out of range: {pi.key} has 1 to {pi.iteration_count}")
        if kind == "system_demo" and iteration is None:
            iteration = next((it.index for it in pi.iterations if it.start <= day <= it.end), None)
        label = KINDS[kind] + (f" — iteration {iteration}" if kind == "system_demo" and iteration else "")
        row = MeetingRow(
            train_id=train.id, pi_key=pi.key, kind=kind, title=(title or f"{label} {day:%d %b %Y}").strip(), day=day,
            iteration=iteration, state="planned", created_by=actor.name, team_status={}, outcomes=[], version=1,
        )  # fmt: skip
        db.add(row)
        db.flush()
        event = w.record(Entity.MEETING, str(row.id), "scheduled", before=None, after=meeting_state(row))
    return view_of(db, row, event)


def list_meetings(
    db: Session, *, actor: Actor, train_key: str | None, kind: str | None = None, pi_key: str | None = None
) -> list[Meeting]:
    """The train's meetings by day, of one kind or all."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    query = select(MeetingRow).where(MeetingRow.train_id == train.id)
    if kind is not None:
        if problem := check_kind(kind):
            raise InvalidInputError(problem)
        query = query.where(MeetingRow.kind == kind)
    if pi_key is not None:
        query = query.where(MeetingRow.pi_key == pi_key)
    return [meeting_value(r) for r in db.scalars(query.order_by(MeetingRow.day, MeetingRow.id))]


def get_meeting(db: Session, *, actor: Actor, train_key: str | None, meeting_id: int) -> Changed[MeetingItems]:
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    return view_of(db, find_meeting(db, train, meeting_id))


def start_meeting(
    db: Session, *, actor: Actor, train_key: str | None, meeting_id: int, today: date | None = None
) -> Changed[MeetingItems]:
    """Open the meeting; its agenda is generated now and kept with it."""
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.FACILITATE)
        row = find_meeting(db, train, meeting_id)
        if row.state != "planned":
            raise InvalidInputError(f"meeting {meeting_id} is {row.state}: only a planned meeting starts")
        today = today or row.day
        before = meeting_state(row)
        if row.kind in SYNC_KINDS:
            agenda = generate_agenda(db, train, row.kind, today)
            row.from_seq, row.agenda = agenda.since_seq, agenda_json(agenda)
        else:
            row.from_seq, row.agenda = train.last_seq, fixed_agenda(db, train, row)
        row.state, row.started_at = "running", utc_now()
        row.version += 1
        event = w.record(Entity.MEETING, str(row.id), "started", before=before, after=meeting_state(row))
    return view_of(db, row, event)


def fixed_agenda(db: Session, train: TrainRow, row: MeetingRow) -> dict[str, Any]:
    """The agenda of an event that is not a sync: PI planning's two days, a system demo, I&A."""
    if row.kind == "pi_planning":
        return {"kind": row.kind, "items": list(PI_PLANNING_AGENDA)}
    if row.kind == "inspect_adapt":
        return {"kind": row.kind, "items": list(INSPECT_ADAPT_AGENDA)}
    plan = load_plan(db, train, find_current_pi(db, train))
    done = sorted(c.ref for c in plan.cards if c.iteration == row.iteration and c.status == "done")
    items = [f"Demo {ref}: {plan.features_by_key[ref.partition('@')[0]].title}" for ref in done]
    return {"kind": row.kind, "iteration": row.iteration, "items": items or ["No card of this iteration is done yet"]}


def record_team_status(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    meeting_id: int,
    team: str,
    status: str,
    note: str | None = None,
) -> Changed[MeetingItems]:
    """The RTE records what a team reports in the meeting: on track, at risk or off track, with a note."""
    return record_team_statuses(
        db, actor=actor, train_key=train_key, meeting_id=meeting_id, reports={team: (status, note)}
    )


def record_team_statuses(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    meeting_id: int,
    reports: Mapping[str, tuple[str, str | None]],
) -> Changed[MeetingItems]:
    """What several teams report, recorded at once (all or none): team → (status, note). A team whose
    report is what the meeting holds already is left alone, so sending the whole form twice adds nothing."""
    for status, _ in reports.values():
        if problem := check_team_status(status):
            raise InvalidInputError(problem)
    if not reports:
        raise InvalidInputError("give at least one team's status")
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.FACILITATE)
        row = running(db, train, meeting_id)
        known = set(db.scalars(select(TeamRow.key).where(TeamRow.train_id == train.id)))
        if strangers := sorted(set(reports) - known):
            raise NotFoundError(f"no team {', '.join(map(repr, strangers))} in {train.key}")
        event = None
        for team, (status, note) in reports.items():
            before = dict(row.team_status or {})
            report = {"status": status, "note": note or ""}
            if before.get(team) == report:
                continue
            row.team_status = {**before, team: report}
            row.version += 1
            was = {"team": team, **before.get(team, {})}
            event = w.record(Entity.MEETING, str(row.id), "team status", before=was, after={"team": team, **report})
    return view_of(db, row, event)


def record_outcome(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    meeting_id: int,
    text: str,
    item: str | None = None,
    team: str | None = None,
    feedback: str | None = None,
) -> Changed[MeetingItems]:
    """An outcome of the meeting: what a system demo showed and the feedback, an I&A result, a PO sync choice."""
    if not text.strip():
        raise InvalidInputError("an outcome needs its text")
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.FACILITATE)
        row = running(db, train, meeting_id)
        outcome = {"text": text.strip(), "item": item, "team": team, "feedback": feedback}
        row.outcomes = [*(row.outcomes or []), outcome]
        row.version += 1
        event = w.record(Entity.MEETING, str(row.id), "outcome", before=None, after=outcome)
    return view_of(db, row, event)


def running(db: Session, train: TrainRow, meeting_id: int) -> MeetingRow:
    row = find_meeting(db, train, meeting_id)
    if row.state != "running":
        raise InvalidInputError(f"meeting {meeting_id} is {row.state}: record during the meeting (start it first)")
    return row


def end_meeting(db: Session, *, actor: Actor, train_key: str | None, meeting_id: int) -> Changed[MeetingItems]:
    """Close the meeting: its window of the log ends here, and the minutes are written and kept."""
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.FACILITATE)
        row = running(db, train, meeting_id)
        before = meeting_state(row)
        row.state, row.ended_at = "ended", utc_now()
        pi_row = find_current_pi(db, train)
        row.findings = [f.id for f in standing_findings(db, train, load_plan(db, train, pi_row), today=row.day)]
        row.version += 1
        done = view_of(db, row)
        row.minutes = minutes_markdown(meeting_value(row), list(done.value.actions), list(done.value.decisions))
        event = w.record(Entity.MEETING, str(row.id), "ended", before=before, after=meeting_state(row))
        row.to_seq = event.seq
    return view_of(db, row, event)


# --- the ART sync agenda --------------------------------------------------------------------------


def generate_agenda(
    db: Session,
    train: TrainRow,
    kind: str,
    today: date,
    plan: Plan | None = None,
    findings: list[Finding] | None = None,
) -> Agenda:
    pi_row = find_current_pi(db, train)
    plan = plan or load_plan(db, train, pi_row)
    previous = db.scalars(
        select(MeetingRow)
        .where(MeetingRow.train_id == train.id, MeetingRow.kind == kind, MeetingRow.state == "ended")
        .order_by(MeetingRow.to_seq.desc())
    ).first()
    baseline_row = find_baseline_row(db, train, pi_row.key)
    baseline = baseline_plan(db, baseline_row) if baseline_row else None
    if previous is not None and previous.to_seq is not None:
        since, known = previous.to_seq, set(previous.findings or ())
    elif baseline_row is not None and baseline is not None:
        since, known = baseline_row.seq, {f.id for f in analyze(baseline)}
    else:
        since, known = 0, set()
    rows = db.scalars(select(ImpedimentRow).where(ImpedimentRow.train_id == train.id, ImpedimentRow.state == "open"))
    actions = db.scalars(select(ActionItemRow).where(ActionItemRow.train_id == train.id, ActionItemRow.state == "open"))
    decisions = db.scalars(select(DecisionRow).where(DecisionRow.train_id == train.id, DecisionRow.state == "pending"))
    next_sync = db.scalars(
        select(func.min(MeetingRow.day)).where(
            MeetingRow.train_id == train.id, MeetingRow.kind == kind, MeetingRow.day > today
        )
    ).first()
    return build_agenda(
        events=events_after(db, train, since),
        since_seq=since,
        plan=plan,
        baseline=baseline,
        findings=standing_findings(db, train, plan, today=today) if findings is None else findings,
        known_findings=known,
        impediments=[impediment_value(r) for r in rows],
        actions=[action_value(a) for a in actions],
        decisions=[decision_value(d) for d in decisions],
        today=today,
        horizon=next_sync or today + timedelta(days=7),
    )


def art_sync_agenda(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    today: date | None = None,
    kind: str = "art_sync",
    plan: Plan | None = None,
    findings: list[Finding] | None = None,
) -> Agenda:
    """What the next ART sync must cover, from the log since the previous one; ``today`` by default the date.
    ``plan``: the current PI's plan when the caller has read it already; ``findings``: its standing findings, when
    the caller has found them already."""
    if kind not in SYNC_KINDS:
        raise InvalidInputError(f"an agenda is generated for {', '.join(SYNC_KINDS)}, not {kind!r}")
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    return generate_agenda(db, train, kind, today or date.today(), plan, findings)


# --- action items ---------------------------------------------------------------------------------


def add_action(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    text: str,
    owner: str,
    due: date,
    meeting_id: int | None = None,
) -> ActionItem:
    """An action item with its owner and due date, agreed in a meeting (or outside one)."""
    if not text.strip() or not owner.strip():
        raise InvalidInputError("an action item needs its text and its owner")
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.FACILITATE)
        if meeting_id is not None:
            find_meeting(db, train, meeting_id)
        key = next_key("A", db.scalars(select(ActionItemRow.key).where(ActionItemRow.train_id == train.id)))
        row = ActionItemRow(
            train_id=train.id, key=key, meeting_id=meeting_id, text=text.strip(), owner=owner.strip(), due=due,
            state="open", created_by=actor.name, created_at=utc_now(), version=1,
        )  # fmt: skip
        db.add(row)
        db.flush()
        w.record(Entity.ACTION, key, "added", before=None, after=action_state(row))
    return action_value(row)


def action_state(row: ActionItemRow) -> dict[str, Any]:
    return {"text": row.text, "owner": row.owner, "due": row.due.isoformat(), "state": row.state}


def complete_action(
    db: Session, *, actor: Actor, train_key: str | None, key: str, done: bool = True, version: int | None = None
) -> ActionItem:
    """Its owner (or the RTE) marks an action item done, or open again."""
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.READ)
        row = db.scalars(
            select(ActionItemRow).where(ActionItemRow.train_id == train.id, ActionItemRow.key == key)
        ).first()
        if row is None:
            raise NotFoundError(f"no action item {key!r} in {train.key}")
        if actor.name != row.owner:
            try:
                w.authorize(Action.FACILITATE)
            except ForbiddenError:
                raise ForbiddenError(f"action item {key} is {row.owner}'s: only they or the RTE close it") from None
        before = w.claim(row, what=f"action item {key}", expected=version, state=action_state)
        state = "done" if done else "open"
        if row.state != state:
            row.state, row.done_at = state, utc_now() if done else None
            row.version += 1
            w.record(Entity.ACTION, key, state, before=before, after=action_state(row))
    return action_value(row)


def list_actions(db: Session, *, actor: Actor, train_key: str | None, state: str | None = "open") -> list[ActionItem]:
    """Action items by due date (open ones by default)."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    query = select(ActionItemRow).where(ActionItemRow.train_id == train.id)
    if state is not None:
        query = query.where(ActionItemRow.state == state)
    return [action_value(r) for r in db.scalars(query.order_by(ActionItemRow.due, ActionItemRow.id))]


# --- decisions ------------------------------------------------------------------------------------


def add_decision(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    question: str,
    meeting_id: int | None = None,
    conflict: str | None = None,
) -> Decision:
    """A decision the train needs: it stays pending, and on every ART sync agenda, until it is taken."""
    if not question.strip():
        raise InvalidInputError("a decision needs its question")
    with writing(db, actor=actor, train_key=train_key) as w:
        w.authorize(Action.FACILITATE)
        row = new_decision(w, question.strip(), meeting_id, conflict)
    return decision_value(row)


def new_decision(w: Write, question: str, meeting_id: int | None, conflict: str | None) -> DecisionRow:
    if meeting_id is not None:
        find_meeting(w.db, w.train, meeting_id)
    key = next_key("D", w.db.scalars(select(DecisionRow.key).where(DecisionRow.train_id == w.train.id)))
    row = DecisionRow(
        train_id=w.train.id, key=key, meeting_id=meeting_id, conflict_key=conflict, question=question, links=[],
        state="pending", created_by=w.actor.name, created_at=utc_now(), version=1,
    )  # fmt: skip
    w.db.add(row)
    w.db.flush()
    w.record(Entity.DECISION, key, "pending", before=None, after={"question": question, "conflict": conflict})
    return row


def decide(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    key: str,
    decision: str,
    rationale: str | None = None,
    links: list[str] | None = None,
) -> Decision:
    """Take a pending decision: what was decided, why, and the items it changed."""
    if not decision.strip():
        raise InvalidInputError("write what was decided")
    with writing(db, actor=actor, train_key=train_key) as w:
        train = w.train
        w.authorize(Action.FACILITATE)
        row = db.scalars(select(DecisionRow).where(DecisionRow.train_id == train.id, DecisionRow.key == key)).first()
        if row is None:
            raise NotFoundError(f"no decision {key!r} in {train.key}")
        decide_row(w, row, decision.strip(), rationale, links or [])
    return decision_value(row)


def decide_row(w: Write, row: DecisionRow, decision: str, rationale: str | None, links: list[str]) -> None:
    before = {"state": row.state, "decision": row.decision}
    row.decision, row.rationale, row.links = decision, rationale, list(links)
    row.state, row.decided_by, row.decided_at = "decided", w.actor.name, utc_now()
    row.version += 1
    after = {"state": row.state, "decision": decision, "rationale": rationale, "links": list(links)}
    w.record(Entity.DECISION, row.key, "decided", before=before, after=after)


def list_decisions(db: Session, *, actor: Actor, train_key: str | None, state: str | None = None) -> list[Decision]:
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    query = select(DecisionRow).where(DecisionRow.train_id == train.id)
    if state is not None:
        query = query.where(DecisionRow.state == state)
    return [decision_value(r) for r in db.scalars(query.order_by(DecisionRow.id))]
