"""How results look on the terminal (Rich) and as ``--json``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from artsync.domain.board import DependencyStatus, load_status, loads
from artsync.domain.conflicts import Conflict
from artsync.domain.event_text import deed
from artsync.domain.events import Event
from artsync.domain.findings import ERROR, Finding
from artsync.domain.impediments import Impediment
from artsync.domain.meetings import ActionItem, Decision, Meeting
from artsync.domain.plan import Plan
from artsync.domain.wsjf import COLUMNS

if TYPE_CHECKING:  # the services' result types, for annotations only: loading them costs a second
    from artsync.services.baselines import Baseline
    from artsync.services.capacity import CapacityPlan
    from artsync.services.forecast import TrainForecast
    from artsync.services.measures import Measures
    from artsync.services.people import Person
    from artsync.services.pis import PIView
    from artsync.services.trains import TrainSummary
    from artsync.services.votes import VoteView
    from artsync.services.wsjf import WsjfSession

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow"}
SEVERITY_MARK = {"error": "✖", "warning": "▲"}


def print_json(console: Console, value: Any) -> None:
    """Plain JSON on stdout, no colour, so scripts can read it; a view prints as the API serves it."""
    if hasattr(value, "json_value"):
        value = value.json_value()
    console.file.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def people_table(people: list[Person]) -> Table:
    table = Table(title="Users", title_justify="left")
    table.add_column("Name")
    table.add_column("Roles")
    table.add_column("Password")
    for p in people:
        roles = "\n".join(f"{g.train}: {g.role.value}" + (f" of {g.team}" if g.team else "") for g in p.grants)
        table.add_row(escape(p.name), escape(roles) or "—", "set" if p.has_password else "none")
    return table


def demo_people_table(plan: Plan, people: Any, password: str) -> Table:
    table = Table(title=f"Demo logins for {plan.train.name} (password: {password})", title_justify="left")
    table.add_column("User")
    table.add_column("Role")
    for p in people:
        team = f" of {plan.teams[p.team_index].key}" if p.team_index is not None else ""
        table.add_row(p.name, f"{p.role}{team} — {p.what}")
    return table


def trains_table(trains: list[TrainSummary]) -> Table:
    table = Table(title="Trains", title_justify="left")
    for name in ("Key", "Name", "PI", "Teams", "Features", "Cards", "Events"):
        table.add_column(name, justify="right" if name in ("Teams", "Features", "Cards", "Events") else "left")
    for t in trains:
        table.add_row(t.key, t.name, t.pi or "—", str(t.teams), str(t.features), str(t.cards), str(t.last_seq))
    return table


def board_table(plan: Plan, findings: list[Finding]) -> Table:
    """Teams as rows, iterations as columns, milestones on top; problem cards and cells marked."""
    flagged: dict[str, str] = {}
    for f in findings:
        for item in f.items:
            if flagged.get(item) != ERROR:
                flagged[item] = f.severity
    iterations = plan.pi.iterations
    load = loads(plan.cards)
    table = Table(
        title=f"{plan.train.name} · {plan.pi.key} · ART Planning Board (Program Board)",
        title_justify="left",
        show_lines=True,
        box=box.HORIZONTALS,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    # Card labels must never be cut; milestone names and the unplanned summary give way first.
    width = max([len(f"{c.feature} {c.points}") for c in plan.cards if c.iteration is not None] or [8])
    table.add_column("Team", no_wrap=True, min_width=10, max_width=12)
    for it in iterations:
        table.add_column(f"{it.label}\n{it.start:%d %b}", no_wrap=True, min_width=6 if it.is_ip else width)
    table.add_column("Unplanned", no_wrap=True)

    milestone_cells = [Text() for _ in iterations]
    for m in plan.milestones:
        cell = milestone_cells[m.iteration - 1]
        if cell:
            cell.append("\n")
        label = f"◆ {m.key} {m.name}"
        cell.append(
            label if len(label) <= width else label[: width - 1] + "…",
            style=SEVERITY_STYLE.get(flagged.get(m.key, ""), "magenta"),
        )
    table.add_row(Text("Milestones", style="magenta"), *milestone_cells, Text())

    features = plan.features_by_key
    for team in plan.teams:
        cells = []
        for it in iterations:
            cell = Text()
            cards = sorted(
                (c for c in plan.cards if c.team == team.key and c.iteration == it.index),
                key=lambda c: -features[c.feature].wsjf.score,
            )
            for card in cards:
                cell.append(f"{card.feature} {card.points}\n", style=SEVERITY_STYLE.get(flagged.get(card.ref, ""), ""))
            used, capacity = load.get((team.key, it.index), 0), team.capacity(it.index)
            status = load_status(used, capacity)
            style = {"over": "bold white on red", "near": "black on yellow"}.get(status, "dim")
            cell.append(f"{used}/{capacity}", style=style)
            cells.append(cell)
        unplanned = [c for c in plan.cards if c.team == team.key and c.iteration is None]
        cells.append(Text(f"{len(unplanned)} cards\n{sum(c.points for c in unplanned)} pts", style="dim"))
        table.add_row(Text(team.key, style="bold"), *cells)
    table.caption = "feature points · load/capacity · red: error · yellow: warning · ◆ milestone"
    table.caption_justify = "left"
    return table


def backlog_table(plan: Plan, rows: list[dict[str, Any]]) -> Table:
    table = Table(
        title=f"{plan.train.name} · ART Backlog (Program Backlog) by WSJF",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Key", no_wrap=True)
    table.add_column("Title", min_width=24, ratio=1)
    for name in ("UBV", "TC", "RR|OE", "CoD", "Size", "WSJF"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("Teams", no_wrap=True, overflow="ellipsis", max_width=24)
    for r in rows:
        title = Text(r["title"])
        if r["kind"] == "enabler":
            title.append(" (enabler)", style="dim")
        table.add_row(
            str(r["rank"]),
            r["key"],
            title,
            *(str(r[name]) for name in ("ubv", "tc", "rroe", "cost_of_delay", "size")),
            Text(f"{r['wsjf']:.2f}", style="bold"),
            ", ".join(r["teams"]),
        )
    return table


def findings_table(findings: list[Finding]) -> Table:
    table = Table(show_lines=True, title="Findings", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column("What is wrong, and what to do")
    for f in findings:
        text = Text(f.kind, style="bold")  # the id is the kind and a stable digest: show it once
        text.append(f.id.removeprefix(f.kind), style="dim")
        text.append(f"\n{f.message}")
        text.append(f"\n→ {f.fix}", style="dim")
        table.add_row(Text(f"{SEVERITY_MARK[f.severity]} {f.severity}", style=SEVERITY_STYLE[f.severity]), text)
    return table


def count_words(findings: Iterable[Finding]) -> str:
    counts = {"error": 0, "warning": 0}
    for f in findings:
        counts[f.severity] += 1
    return ", ".join(f"{n} {name}{'s' if n != 1 else ''}" for name, n in counts.items())


def events_table(events: list[Event]) -> Table:
    table = Table(title="Event log", title_justify="left")
    table.add_column("Seq", justify="right")
    table.add_column("When (UTC)", no_wrap=True)
    table.add_column("Who")
    table.add_column("What")
    for e in events:
        table.add_row(str(e.seq), f"{e.at:%Y-%m-%d %H:%M:%S}", escape(e.actor), escape(deed(e)))
    return table


def seq_words(event: Event | None) -> str:
    """The seq of a write's event as a person reads it (— when nothing changed)."""
    return str(event.seq) if event else "—"


def status_words(status: DependencyStatus) -> tuple[str, str]:
    """How a dependency's status is told to the person who just changed it."""
    return {
        DependencyStatus.OK: ("the provider is planned earlier: fine", "green"),
        DependencyStatus.AT_RISK: ("both are in the same iteration: at risk", "yellow"),
        DependencyStatus.BROKEN: ("the provider is planned later: broken", "red"),
        DependencyStatus.UNPLANNED_PROVIDER: ("the provider is not planned: broken", "red"),
        DependencyStatus.PENDING: ("the consumer is not planned yet", "dim"),
    }[status]


def pis_table(pis: list[PIView]) -> Table:
    table = Table(title="PIs (Planning Intervals)", title_justify="left")
    for name in ("Key", "State", "Start", "End", "Iterations", ""):
        table.add_column(name)
    for p in pis:
        its = f"{p.pi.iteration_count} × {p.pi.iteration_weeks} weeks" + (" (last is IP)" if p.pi.ip_last else "")
        table.add_row(escape(p.pi.key), p.pi.state, str(p.pi.start), str(p.pi.end), its,
                      Text("current", style="bold") if p.current else "")  # fmt: skip
    return table


def calendars_table(plan: CapacityPlan) -> Table:
    table = Table(title=f"Calendars of train {plan.train}", title_justify="left")
    table.add_column("When", no_wrap=True)
    table.add_column("Who")
    table.add_column("What")
    for h in plan.holidays:
        table.add_row(f"{h.day} ({h.day:%a})", "whole train", escape(h.name))
    for item in plan.leave:
        when = str(item.first) if item.first == item.last else f"{item.first} – {item.last}"
        table.add_row(when, f"{escape(item.person)} ({escape(item.team)})", "leave")
    if not plan.holidays and not plan.leave:
        table.caption = "No holidays or leave yet: `artsync calendar holiday add`, `artsync calendar leave add`."
    return table


def capacity_table(plan: CapacityPlan) -> Table:
    """Teams × iterations: load/capacity, with the availability behind each figure."""
    table = Table(title=f"Capacity · {plan.train} · PI {plan.pi.key}", title_justify="left", show_lines=True)
    table.add_column("Team", no_wrap=True)
    table.add_column("Vel.", justify="right", no_wrap=True)
    table.columns[0].no_wrap = True
    for it in plan.pi.iterations:
        table.add_column(f"{it.label}\n{it.start:%d %b}", justify="right", no_wrap=True)
    for t in plan.teams:
        cells = []
        for c in t.iterations:
            used = t.load.get(c.iteration, 0)
            style = {"over": "bold white on red", "near": "black on yellow"}.get(load_status(used, c.points), "")
            cell = Text(f"{used}/{c.points}", style=style)
            why = [f"{c.availability:.0%}"] if c.availability < 1 else []
            if c.holidays:
                why.append(f"{c.holidays}h")
            if c.leave_days:
                why.append(f"{c.leave_days}l")
            if c.adjusted is not None:
                why.append(f"set ({c.calculated})")
            if why:
                cell.append("\n" + " ".join(why), style="dim")
            cells.append(cell)
        size = f"\n{t.size} people" if t.size else ""
        table.add_row(Text(t.team, style="bold"), f"{t.velocity}{size}", *cells)
    table.caption = (
        "load/capacity · availability below 100%, h: holidays, l: person-days of leave"
        " · set (calculated): the team's own figure · Vel.: velocity"
    )
    table.caption_justify = "left"
    return table


def objectives_table(plan: Plan) -> Table:
    """Objectives by team, committed before uncommitted, with planned and actual business value."""
    table = Table(title=f"PI objectives · {plan.train.key} · PI {plan.pi.key}", title_justify="left")
    for name, justify in (("Key", "left"), ("Team", "left"), ("Objective", "left"), ("Kind", "left"),
                          ("BV plan", "right"), ("BV actual", "right"), ("Features", "left")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    ordered = sorted(plan.objectives, key=lambda o: (o.team or "", not o.committed, o.key))
    for o in ordered:
        table.add_row(
            escape(o.key),
            escape(o.team or "train"),
            escape(o.text),
            "committed" if o.committed else Text("uncommitted", style="italic"),
            str(o.planned_bv) if o.planned_bv is not None else Text("—", style="yellow"),
            str(o.actual_bv) if o.actual_bv is not None else "—",
            escape(", ".join(o.features)),
        )
    if not ordered:
        table.caption = "No objectives yet: `artsync objective add TEXT --team TEAM`."
    elif any(o.planned_bv is None for o in ordered):
        table.caption = (
            "— in BV plan: a business owner still has to value it (`artsync objective value KEY --planned N`)."
        )
    return table


def vote_result(vote: VoteView) -> Text:
    """The round as people read it: who voted while open; the histogram, average and verdict once closed."""
    text = Text(f"Confidence vote on PI {vote.pi}, round {vote.round}: {vote.state}\n", style="bold")
    if vote.tally is None:
        text.append(f"{len(vote.voters)} voted so far")
        text.append(f": {', '.join(vote.voters)}" if vote.voters else "")
        if vote.mine is not None:
            text.append(f" (your vote: {vote.mine})")
        return text
    tally = vote.tally
    widest = max(tally.histogram.values(), default=0) or 1
    for fingers in sorted(tally.histogram, reverse=True):
        n = tally.histogram[fingers]
        text.append(f"  {fingers} {'▇' * round(20 * n / widest):<20} {n}\n")
    verdict = "the train may commit" if tally.passes else "below 3: rework the plan and vote again"
    text.append(f"Average {tally.average} from {tally.count} votes: ")
    text.append(verdict, style="bold green" if tally.passes else "bold red")
    return text


def baseline_summary(baseline: Baseline) -> Text:
    plan = baseline.plan
    text = Text(f"Baseline of PI {baseline.pi}\n", style="bold")
    text.append(
        f"Committed by {baseline.committed_by} at {baseline.committed_at:%Y-%m-%d %H:%M} UTC (event {baseline.seq})"
    )
    if baseline.vote_round is not None:
        text.append(f" on vote round {baseline.vote_round}, average {baseline.vote_average}")
    text.append("\n")
    placed = [c for c in plan.cards if c.iteration is not None]
    text.append(
        f"{len(plan.teams)} teams · {len(placed)} cards planned, {sum(c.points for c in placed)} points · "
        f"{len(plan.dependencies)} dependencies · {len(plan.objectives)} objectives "
        f"({sum(o.planned_bv or 0 for o in plan.objectives if o.committed)} planned BV committed) · "
        f"{len(plan.risks)} risks\n"
    )
    if baseline.override_reason:
        text.append(f"Committed over its blockers: {baseline.override_reason}\n", style="yellow")
    text.append("The whole plan: `artsync pi baseline --json`.", style="dim")
    return text


def wsjf_table(found: WsjfSession) -> Table:
    """The session's order once finished; before that, which columns are scored and by whom."""
    if found.state == "finished":
        table = Table(title=f"WSJF session {found.id}: the order it produced", title_justify="left")
        for name in ("Rank", "Feature", "Title", "CoD", "Size", "WSJF"):
            table.add_column(name, justify="right" if name in ("Rank", "CoD", "Size", "WSJF") else "left")
        for r in found.ranking:
            table.add_row(str(r["rank"]), escape(r["key"]), escape(r["title"]), str(r["cost_of_delay"]),
                          str(r["size"]), f"{r['wsjf']:.2f}")  # fmt: skip
    else:
        table = Table(title=f"WSJF session {found.id}: open over {len(found.features)} features", title_justify="left")
        table.add_column("Column")
        table.add_column("Scored by")
        for column, name in COLUMNS.items():
            who = found.scorers.get(column)
            by = escape(f"{who['by']} at {who['at'][:16].replace('T', ' ')}") if who else None
            table.add_row(f"{name} ({column})", by or Text("to score", style="yellow"))
    scorers = sorted({s["by"] for s in found.scorers.values()})
    table.caption = f"Started by {found.started_by}" + (f"; scored by {', '.join(scorers)}" if scorers else "")
    table.caption_justify = "left"
    return table


def meetings_table(meetings: list[Meeting]) -> Table:
    table = Table(title="Meetings", title_justify="left")
    for name in ("#", "Day", "Event", "Title", "State"):
        table.add_column(name, no_wrap=name in ("#", "Day"))
    for m in meetings:
        style = {"running": "bold green", "ended": "dim"}.get(m.state, "")
        table.add_row(str(m.id), str(m.day), m.label, escape(m.title), Text(m.state, style=style))
    if not meetings:
        table.caption = "None yet: `artsync meeting schedule art_sync YYYY-MM-DD`."
    return table


def actions_table(items: list[ActionItem], today: date) -> Table:
    table = Table(title="Action items", title_justify="left")
    for name in ("Key", "Action", "Owner", "Due", "State"):
        table.add_column(name, no_wrap=name in ("Key", "Due"))
    for a in items:
        due = Text(str(a.due), style="bold red") if a.overdue(today) else str(a.due)
        table.add_row(a.key, escape(a.text), escape(a.owner), due, "overdue" if a.overdue(today) else a.state)
    return table


def decisions_table(found: list[Decision]) -> Table:
    table = Table(title="Decisions", title_justify="left")
    for name in ("Key", "Question", "Decision", "Rationale", "Changed"):
        table.add_column(name)
    for d in found:
        taken = escape(d.decision) if d.decision else Text("pending", style="yellow")
        table.add_row(d.key, escape(d.question), taken, escape(d.rationale or ""), escape(", ".join(d.links)))
    return table


def impediments_table(found: list[Impediment], today: date) -> Table:
    table = Table(title="Impediments", title_justify="left")
    for name in ("Key", "Impediment", "Team", "Level", "Owner", "Age", "State"):
        table.add_column(name, justify="right" if name == "Age" else "left")
    for i in found:
        age = Text(f"{i.age(today)} d", style="bold red" if i.aging(today) else "")
        table.add_row(i.key, escape(i.text), escape(i.team or "—"), i.level, escape(i.owner or "—"), age, i.state)
    if not found:
        table.caption = "Nothing in the way."
    return table


def conflicts_table(found: list[Conflict]) -> Table:
    table = Table(title="Conflict log", title_justify="left")
    for name in ("Key", "Kind", "Parties", "Summary", "Status", "Decision"):
        table.add_column(name)
    for c in found:
        table.add_row(
            c.key, c.kind, escape(", ".join(c.parties)), escape(c.summary), c.status, escape(c.decision or "")
        )
    if not found:
        table.caption = "No conflict matches."
    return table


def probability_text(value: float | None) -> Text:
    """A chance, coloured: red below 70% (at risk), amber below 85%, green from there."""
    if value is None:
        return Text("—")
    return Text(f"{value:.0%}", style="bold red" if value < 0.7 else "yellow" if value < 0.85 else "green")


def forecast_table(found: TrainForecast, part: str) -> Table:
    """Milestones, objectives or features: deadline, chance of making it, 50% and 85% likely by."""
    from artsync.domain.forecast import iteration_words  # NumPy: only for the forecast

    plan, f = found.plan, found.forecast
    outlooks = getattr(f, part)
    table = Table(title=f"Forecast · {part} · PI {plan.pi.key}", title_justify="left")
    names: dict[str, str] = {m.key: m.name for m in plan.milestones}
    names |= {
        o.key: f"{o.team or 'train'}: {o.text}" + ("" if o.committed else " (uncommitted)") for o in plan.objectives
    }
    names |= {x.key: x.title for x in plan.features}
    for column, justify in (("Key", "left"), ("What", "left"), ("Due", "left"), ("Chance", "right"),
                            ("50% by", "left"), ("85% by", "left")):  # fmt: skip
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for key, o in outlooks.items():
        due = iteration_words(plan, o.deadline) if o.deadline is not None else ""
        late = o.p85 >= o.beyond
        table.add_row(escape(key), escape(names.get(key, "")), due, probability_text(o.probability),
                      iteration_words(plan, o.p50) if o.p50 < o.beyond else "later",
                      "not within the forecast" if late else iteration_words(plan, o.p85))  # fmt: skip
    if not outlooks:
        table.caption = f"No {part} in this PI."
    return table


def percent_text(value: float | None, band: str | None) -> Text:
    if value is None:
        return Text("—", style="dim")
    return Text(f"{value:.1f}%", style={"below": "bold red", "above": "yellow", "within": "green"}.get(band or "", ""))


def progress_table(m: Measures) -> Table:
    """Done/planned points per scope and iteration."""
    basis = "the committed baseline" if m.baseline else "the board (not committed yet)"
    table = Table(title=f"Progress · PI {m.plan.pi.key} · planned from {basis}", title_justify="left")
    table.add_column("Team")
    for it in m.plan.pi.iterations:
        table.add_column(it.label, justify="right")
    table.add_column("Done / planned", justify="right")
    for p in m.progress:
        cells = [f"{i.done}/{i.planned}" for i in p.iterations]
        share = f"{p.done}/{p.planned}" + (f" ({100 * p.done / p.planned:.0f}%)" if p.planned else "")
        table.add_row(Text(p.scope, style="bold" if p.scope == "train" else ""), *cells, share)
    table.caption = "done/planned points per iteration"
    return table


def features_progress_table(m: Measures, limit: int = 15) -> Table:
    table = Table(title="Features, least done first", title_justify="left")
    for name in ("Feature", "Title", "Teams", "Done", "Points"):
        table.add_column(name, justify="right" if name in ("Done", "Points") else "left")
    for f in m.features[:limit]:
        table.add_row(escape(f.key), escape(f.title), escape(", ".join(f.teams)), f"{f.percent:.0f}%", str(f.points))
    if len(m.features) > limit:
        table.caption = f"and {len(m.features) - limit} more (--json for all)"
    return table


def predictability_table(m: Measures) -> Table:
    """Teams × PIs, the train last; the target band is 80–100%."""
    table = Table(title="Predictability", title_justify="left", min_width=70)
    table.add_column("Team")
    for t in m.trend:
        table.add_column(f"{t.pi}\n{t.state}", justify="right")
    scopes = [p.scope for p in m.predictability.measures]
    for scope in scopes:
        cells = []
        for t in m.trend:
            p = next((x for x in t.measures if x.scope == scope), None)
            cells.append(percent_text(p.percent, p.band) if p else Text("—", style="dim"))
        table.add_row(Text(scope, style="bold" if scope == "train" else ""), *cells)
    reasons: dict[str, list[str]] = {}
    for p in m.predictability.measures:
        if p.reason and p.objectives:
            reasons.setdefault(p.reason, []).append(p.scope)
    notes = [f"{', '.join(scopes)}: {reason}" for reason, scopes in reasons.items()]
    unvalued = sum(p.unvalued for p in m.predictability.measures if p.scope != "train" and p.percent is not None)
    if unvalued:
        notes.append(f"{unvalued} objectives of {m.plan.pi.key} have no actual value yet (counted as 0)")
    table.caption = "actual BV of all objectives ÷ planned BV of committed ones · target 80–100%" + (
        "\n" + "\n".join(notes) if notes else ""
    )
    table.caption_justify = "left"
    return table


def drift_table(m: Measures) -> Table:
    table = Table(title=f"Drift from the baseline · PI {m.plan.pi.key}", title_justify="left")
    for name in ("Change", "Item", "Team", "What", "Event", "By"):
        table.add_column(name)
    for d in m.drift:
        style = {"slipped": "yellow", "broken": "bold red", "removed": "red", "added": "cyan"}[d.kind]
        table.add_row(Text(d.kind, style=style), escape(d.item), d.team, escape(d.detail),
                      f"#{d.seq}" if d.seq else "", escape(d.actor or ""))  # fmt: skip
    t = m.drift_totals[-1]
    table.caption = (
        f"train: {t.slipped} slipped ({t.iterations_slipped} iterations), +{t.added_points} points added, "
        f"-{t.removed_points} removed, {t.broken} dependencies broken"
    )
    table.caption_justify = "left"
    return table
