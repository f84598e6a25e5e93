"""Agendas and minutes of the ART events as plain JSON (kept with the meeting) and as Markdown (published)."""

from __future__ import annotations

from typing import Any

from artsync.domain.agenda import Agenda
from artsync.domain.conflicts import Conflict
from artsync.domain.impediments import Impediment
from artsync.domain.meetings import KINDS, ActionItem, Decision, Meeting
from artsync.domain.text import markdown_text


def impediment_json(i: Impediment, today: Any = None) -> dict[str, Any]:
    return {
        "key": i.key,
        "text": i.text,
        "team": i.team,
        "level": i.level,
        "owner": i.owner,
        "state": i.state,
        "note": i.note,
        "raised_by": i.raised_by,
        "raised_at": i.raised_at.isoformat(),
        "resolved_at": i.resolved_at.isoformat() if i.resolved_at else None,
        **({"age_days": i.age(today), "aging": i.aging(today)} if today is not None else {}),
    }


def action_json(a: ActionItem, today: Any = None) -> dict[str, Any]:
    return {
        "key": a.key,
        "text": a.text,
        "owner": a.owner,
        "due": a.due.isoformat(),
        "state": a.state,
        "meeting": a.meeting,
        **({"overdue": a.overdue(today)} if today is not None else {}),
    }


def decision_json(d: Decision) -> dict[str, Any]:
    return {
        "key": d.key,
        "question": d.question,
        "state": d.state,
        "decision": d.decision,
        "rationale": d.rationale,
        "links": list(d.links),
        "conflict": d.conflict,
        "meeting": d.meeting,
        "decided_by": d.decided_by,
        "decided_at": d.decided_at.isoformat() if d.decided_at else None,
    }


def agenda_json(a: Agenda) -> dict[str, Any]:
    """The ART sync agenda as plain JSON: what the API serves and what the meeting keeps."""
    return {
        "kind": "art_sync",
        "since_seq": a.since_seq,
        "until_seq": a.until_seq,
        "today": a.today.isoformat(),
        "horizon": a.horizon.isoformat(),
        "teams": [
            {
                "team": t.team,
                "finished": list(t.finished),
                "slipped": [
                    {"ref": s.ref, "planned": s.planned, "now": s.now, "removed": s.removed} for s in t.slipped
                ],
                "blocked": list(t.blocked),
            }
            for t in a.teams
        ],
        "dependencies": [
            {"consumer": d.consumer, "provider": d.provider, "status": d.status, "talk": list(d.teams)}
            for d in a.dependencies
        ],
        "findings": [
            {"id": f.id, "kind": f.kind, "severity": f.severity, "message": f.message, "fix": f.fix} for f in a.findings
        ],
        "risks": [{"key": c.key, "text": c.text, "changes": list(c.changes)} for c in a.risks],
        "impediments_changed": [
            {"key": c.key, "text": c.text, "changes": list(c.changes)} for c in a.impediments_changed
        ],
        "impediments_aging": [impediment_json(i, a.today) for i in a.impediments_aging],
        "actions_overdue": [action_json(x, a.today) for x in a.actions_overdue],
        "actions_due": [action_json(x, a.today) for x in a.actions_due],
        "decisions_pending": [decision_json(d) for d in a.decisions_pending],
    }


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


def meeting_json(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.id,
        "kind": m.kind,
        "label": KINDS.get(m.kind, m.kind),
        "title": m.title,
        "day": m.day.isoformat(),
        "pi": m.pi,
        "iteration": m.iteration,
        "state": m.state,
        "started_at": m.started_at.isoformat() if m.started_at else None,
        "ended_at": m.ended_at.isoformat() if m.ended_at else None,
        "team_status": m.team_status,
        "outcomes": list(m.outcomes),
        "agenda": m.agenda,
        "minutes": m.minutes,
    }


def conflict_json(c: Conflict) -> dict[str, Any]:
    return {
        "key": c.key,
        "kind": c.kind,
        "summary": c.summary,
        "parties": list(c.parties),
        "options": list(c.options),
        "items": list(c.items),
        "finding": c.finding,
        "mediator": c.mediator,
        "status": c.status,
        "decision": c.decision,
        "rationale": c.rationale,
        "links": list(c.links),
        "raised_by": c.raised_by,
        "raised_at": c.raised_at.isoformat(),
        "decided_at": c.decided_at.isoformat() if c.decided_at else None,
    }
