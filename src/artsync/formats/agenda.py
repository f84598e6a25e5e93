"""Agendas and minutes of the ART events: typed records (kept with the meeting, served by the API) and Markdown."""

from __future__ import annotations

import datetime as dt
from typing import Any

from artsync.domain.agenda import Agenda
from artsync.domain.conflicts import Conflict
from artsync.domain.impediments import Impediment
from artsync.domain.meetings import KINDS, ActionItem, Decision, Meeting
from artsync.domain.text import markdown_text
from artsync.formats.fields import Instant, Record


class ImpedimentRecord(Record):
    key: str
    text: str
    team: str | None
    level: str
    owner: str | None
    state: str
    note: str | None
    raised_by: str
    raised_at: Instant
    resolved_at: Instant | None
    age_days: int | None = None  # as of today, where a day is given
    aging: bool | None = None

    @classmethod
    def of(cls, i: Impediment, today: dt.date | None = None) -> ImpedimentRecord:
        age, aging = (i.age(today), i.aging(today)) if today is not None else (None, None)
        return cls(key=i.key, text=i.text, team=i.team, level=i.level, owner=i.owner, state=i.state, note=i.note,
                   raised_by=i.raised_by, raised_at=i.raised_at, resolved_at=i.resolved_at, age_days=age,
                   aging=aging)  # fmt: skip


class ActionRecord(Record):
    key: str
    text: str
    owner: str
    due: dt.date
    state: str
    meeting: int | None
    overdue: bool | None = None  # as of today, where a day is given

    @classmethod
    def of(cls, a: ActionItem, today: dt.date | None = None) -> ActionRecord:
        late = a.overdue(today) if today is not None else None
        return cls(key=a.key, text=a.text, owner=a.owner, due=a.due, state=a.state, meeting=a.meeting, overdue=late)


class DecisionRecord(Record):
    key: str
    question: str
    state: str
    decision: str | None
    rationale: str | None
    links: list[str]
    conflict: str | None
    meeting: int | None
    decided_by: str | None
    decided_at: Instant | None

    @classmethod
    def of(cls, d: Decision) -> DecisionRecord:
        return cls(key=d.key, question=d.question, state=d.state, decision=d.decision, rationale=d.rationale,
                   links=list(d.links), conflict=d.conflict, meeting=d.meeting, decided_by=d.decided_by,
                   decided_at=d.decided_at)  # fmt: skip


class Slip(Record):
    ref: str
    planned: int | None
    now: int | None
    removed: bool


class TeamNews(Record):
    team: str
    finished: list[str]
    slipped: list[Slip]
    blocked: list[str]


class DependencyNews(Record):
    consumer: str
    provider: str
    status: str
    talk: list[str]  # the two teams who need to talk


class FindingNews(Record):
    id: str
    kind: str
    severity: str
    message: str
    fix: str


class ItemChanges(Record):
    key: str
    text: str
    changes: list[str]


class AgendaRecord(Record):
    """The ART sync agenda: what changed since the last sync, what is due, what waits for a decision."""

    kind: str = "art_sync"
    since_seq: int
    until_seq: int
    today: dt.date
    horizon: dt.date
    teams: list[TeamNews]
    dependencies: list[DependencyNews]
    findings: list[FindingNews]
    risks: list[ItemChanges]
    impediments_changed: list[ItemChanges]
    impediments_aging: list[ImpedimentRecord]
    actions_overdue: list[ActionRecord]
    actions_due: list[ActionRecord]
    decisions_pending: list[DecisionRecord]

    @classmethod
    def of(cls, a: Agenda) -> AgendaRecord:
        return cls(
            since_seq=a.since_seq,
            until_seq=a.until_seq,
            today=a.today,
            horizon=a.horizon,
            teams=[
                TeamNews(
                    team=t.team,
                    finished=list(t.finished),
                    slipped=[Slip(ref=s.ref, planned=s.planned, now=s.now, removed=s.removed) for s in t.slipped],
                    blocked=list(t.blocked),
                )
                for t in a.teams
            ],
            dependencies=[
                DependencyNews(consumer=d.consumer, provider=d.provider, status=d.status, talk=list(d.teams))
                for d in a.dependencies
            ],
            findings=[
                FindingNews(id=f.id, kind=f.kind, severity=f.severity, message=f.message, fix=f.fix) for f in a.findings
            ],
            risks=[ItemChanges(key=c.key, text=c.text, changes=list(c.changes)) for c in a.risks],
            impediments_changed=[
                ItemChanges(key=c.key, text=c.text, changes=list(c.changes)) for c in a.impediments_changed
            ],
            impediments_aging=[ImpedimentRecord.of(i, a.today) for i in a.impediments_aging],
            actions_overdue=[ActionRecord.of(x, a.today) for x in a.actions_overdue],
            actions_due=[ActionRecord.of(x, a.today) for x in a.actions_due],
            decisions_pending=[DecisionRecord.of(d) for d in a.decisions_pending],
        )


def agenda_json(a: Agenda) -> dict[str, Any]:
    """The agenda as the meeting keeps it."""
    return AgendaRecord.of(a).json_value()


class EventAgenda(Record):
    """The agenda of an event that is not a sync: PI planning's two days, a system demo's cards, I&A."""

    kind: str
    iteration: int | None = None
    items: list[str]


class MeetingOutcome(Record):
    text: str
    item: str | None = None
    team: str | None = None
    feedback: str | None = None


class TeamReport(Record):
    status: str
    note: str = ""


class MeetingRecord(Record):
    id: int
    kind: str
    label: str
    title: str
    day: dt.date
    pi: str
    iteration: int | None
    state: str
    started_at: Instant | None
    ended_at: Instant | None
    team_status: dict[str, TeamReport]
    outcomes: list[MeetingOutcome]
    agenda: AgendaRecord | EventAgenda | None  # kept when the meeting started
    minutes: str | None

    @classmethod
    def of(cls, m: Meeting) -> MeetingRecord:
        return cls(
            id=m.id, kind=m.kind, label=KINDS.get(m.kind, m.kind), title=m.title, day=m.day, pi=m.pi,
            iteration=m.iteration, state=m.state, started_at=m.started_at, ended_at=m.ended_at,
            team_status={team: TeamReport.model_validate(s) for team, s in m.team_status.items()},
            outcomes=[MeetingOutcome.model_validate(o) for o in m.outcomes],
            agenda=agenda_of(m.agenda), minutes=m.minutes,
        )  # fmt: skip


def agenda_of(kept: dict[str, Any] | None) -> AgendaRecord | EventAgenda | None:
    """The agenda a meeting keeps: a sync's (from the log) or another event's (a list of items)."""
    if not kept:
        return None
    return EventAgenda.model_validate(kept) if "items" in kept else AgendaRecord.model_validate(kept)


class ConflictRecord(Record):
    key: str
    kind: str
    summary: str
    parties: list[str]
    options: list[str]
    items: list[str]
    finding: str | None
    mediator: str | None
    status: str
    decision: str | None
    rationale: str | None
    links: list[str]
    raised_by: str
    raised_at: Instant
    decided_at: Instant | None

    @classmethod
    def of(cls, c: Conflict) -> ConflictRecord:
        return cls(
            key=c.key, kind=c.kind, summary=c.summary, parties=list(c.parties), options=list(c.options),
            items=list(c.items), finding=c.finding, mediator=c.mediator, status=c.status, decision=c.decision,
            rationale=c.rationale, links=list(c.links), raised_by=c.raised_by, raised_at=c.raised_at,
            decided_at=c.decided_at,
        )  # fmt: skip


def slip_words(s: dict[str, Any]) -> str:
    if s["removed"]:
        return f"{s['ref']}: planned in iteration {s['planned']}, taken off the board"
    where = f"iteration {s['now']}" if s["now"] is not None else "unplanned"
    return f"{s['ref']}: planned in iteration {s['planned']}, now {where}"


def agenda_markdown(agenda: dict[str, Any]) -> str:
    """The ART sync agenda (as ``agenda_json`` gives it) in Markdown, one section per topic.

    Every value people typed goes through ``markdown_text``: no HTML, no line of its own.
    """
    m = markdown_text
    out: list[str] = []

    def section(title: str, lines: list[str], empty: str = "nothing") -> None:
        out.append(f"### {title}\n")
        out.extend(f"- {line}" for line in lines) if lines else out.append(f"_{empty}_")
        out.append("")

    def refs(values: list[str]) -> str:
        return ", ".join(m(v) for v in values)

    out.append("### Teams\n")
    for t in agenda["teams"]:
        parts = []
        if t["finished"]:
            parts.append(f"finished {refs(t['finished'])}")
        if t["slipped"]:
            parts.append("slipped " + "; ".join(m(slip_words(s)) for s in t["slipped"]))
        if t["blocked"]:
            parts.append(f"blocked {refs(t['blocked'])}")
        out.append(f"- **{m(t['team'])}**: {'; '.join(parts) if parts else 'nothing changed against the plan'}")
    out.append("")
    section(
        "Dependencies newly at risk or broken",
        [
            f"{m(d['consumer'])} needs {m(d['provider'])}: {m(d['status'])} — "
            f"{m(d['talk'][0])} and {m(d['talk'][1])} to talk"
            for d in agenda["dependencies"]
        ],
    )
    section("New findings", [f"{m(f['severity'])}: {m(f['message'])} ({m(f['fix'])})" for f in agenda["findings"]])
    section(
        "Risks that changed", [f"{m(r['key'])} {m(r['text'])}: {m('; '.join(r['changes']))}" for r in agenda["risks"]]
    )
    section(
        "Impediments",
        [f"{m(i['key'])} {m(i['text'])}: {m('; '.join(i['changes']))}" for i in agenda["impediments_changed"]]
        + [
            f"{m(i['key'])} {m(i['text'])}: open {i['age_days']} days at {m(i['level'])} level, "
            f"owner {m(i['owner'] or 'nobody yet')}"
            for i in agenda["impediments_aging"]
        ],
    )
    section(
        "Action items",
        [
            f"**overdue** {m(a['key'])} {m(a['text'])} — {m(a['owner'])}, due {a['due']}"
            for a in agenda["actions_overdue"]
        ]
        + [f"{m(a['key'])} {m(a['text'])} — {m(a['owner'])}, due {a['due']}" for a in agenda["actions_due"]],
    )
    section("Decisions pending", [f"{m(d['key'])} {m(d['question'])}" for d in agenda["decisions_pending"]])
    return "\n".join(out)


def action_words(a: dict[str, Any]) -> str:
    m = markdown_text
    return f"{m(a['key'])} {m(a['text'])} — {m(a['owner'])}, due {a['due']}"


def minutes_markdown(meeting: Meeting, actions: list[ActionItem], decisions: list[Decision]) -> str:
    """The minutes of a meeting: agenda, what each team reported, outcomes, decisions, action items.

    Every value people typed goes through ``markdown_text``: no HTML, no line of its own.
    """
    m = markdown_text
    out = [f"# {m(meeting.title)}", "", f"{KINDS.get(meeting.kind, meeting.kind)} · PI {m(meeting.pi)} · {meeting.day}"]
    if meeting.started_at and meeting.ended_at:
        out[-1] += f" · {meeting.started_at:%H:%M}–{meeting.ended_at:%H:%M} UTC"
    out.append("")
    if meeting.agenda:
        out += ["## Agenda", "", meeting_agenda_markdown(meeting), ""]
    if meeting.team_status:
        out += ["## Team status", ""]
        out += [f"- **{m(team)}**: {m(s['status'])}" + (f" — {m(s['note'])}" if s.get("note") else "")
                for team, s in sorted(meeting.team_status.items())]  # fmt: skip
        out.append("")
    if meeting.outcomes:
        out += ["## Outcomes", ""]
        for o in meeting.outcomes:
            subject = " · ".join(m(x) for x in (o.get("item"), o.get("team")) if x)
            out.append(f"- {subject + ': ' if subject else ''}{m(o['text'])}")
            if o.get("feedback"):
                out.append(f"  - feedback: {m(o['feedback'])}")
        out.append("")
    out += ["## Decisions", ""]
    out += [f"- {m(d.key)} {m(d.question)}: " + (f"**{m(d.decision)}**" + (f" — {m(d.rationale)}" if d.rationale
            else "") if d.state == "decided" else "_pending_") for d in decisions] or ["_none_"]  # fmt: skip
    out += ["", "## Action items", ""]
    out += [f"- {m(a.key)} {m(a.text)} — {m(a.owner)}, due {a.due}" for a in actions] or ["_none_"]
    return "\n".join(out) + "\n"


def meeting_agenda_markdown(meeting: Meeting) -> str:
    """A meeting's agenda as kept with it: generated for the syncs, a list of items for the other events."""
    agenda = meeting.agenda or {}
    if "teams" in agenda:
        return agenda_markdown(agenda)
    return (
        "\n".join(f"- {markdown_text(item)}" for item in agenda.get("items", []))
        or "_no agenda yet: it is made when the meeting starts_"
    )
