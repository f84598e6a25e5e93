"""The ART events from the terminal: the ART sync agenda, meetings, action items, decisions, impediments, conflicts."""

from typing import Annotated, Any

import typer
from rich.markup import escape

from artsync.cli import output
from artsync.cli.common import (
    DbOption,
    IfVersionOption,
    JsonOption,
    TrainOption,
    console,
    err_console,
    handled,
    session,
)
from artsync.cli.lazy import lazy
from artsync.cli.planning import calendar_app, parse_date

agenda_io = lazy("artsync.formats.agenda")
shown = lazy("artsync.views.art_events")  # the JSON shapes; loads the services, so only when a command prints

sync_app = typer.Typer(
    help="The ART sync's agenda, generated from what changed since the last one; and the sync with the teams' "
    "tracker (pull, push, import, tracker)."
)
meeting_app = typer.Typer(help="ART events as meetings: schedule, start, record, end; minutes.", no_args_is_help=True)
action_app = typer.Typer(help="Action items: owner and due date.", no_args_is_help=True)
decision_app = typer.Typer(help="Decisions the train needs, and took.", no_args_is_help=True)
impediment_app = typer.Typer(help="Impediments: raise, own, escalate, resolve.", no_args_is_help=True)
conflict_app = typer.Typer(help="The conflict log: report, mediate, decide, search.", no_args_is_help=True)

MeetingArg = Annotated[int, typer.Argument(help="The meeting's number, from `artsync meeting list`.")]
TodayOption = Annotated[
    str | None, typer.Option("--today", help="The day to judge ages and due dates by (YYYY-MM-DD).", show_default=False)
]
AllOption = Annotated[bool, typer.Option("--all", help="Closed ones too.")]


@sync_app.command("agenda")
@handled
def sync_agenda(
    today: TodayOption = None,
    kind: Annotated[str, typer.Option(help="art_sync, po_sync or scrum_of_scrums.")] = "art_sync",
    markdown: Annotated[bool, typer.Option("--markdown", help="Plain Markdown, to paste or mail.")] = False,
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """What the next ART sync must cover: per team finished, slipped and blocked; dependencies at risk; new
    findings; risks and impediments; action items due or overdue; decisions pending."""
    from artsync.services.meetings import art_sync_agenda

    with session(db) as (db_session, actor):
        built = art_sync_agenda(
            db_session, actor=actor, train_key=train, kind=kind, today=parse_date(today, "--today") if today else None
        )
    agenda = agenda_io.agenda_json(built)
    if json:
        output.print_json(console, agenda)
    elif markdown:
        console.file.write(agenda_io.agenda_markdown(agenda) + "\n")
    else:
        console.print(f"[bold]ART sync agenda[/] · changes after event {built.since_seq} · {built.today}")
        console.print(rendered_markdown(agenda_io.agenda_markdown(agenda)))


@meeting_app.command("schedule")
@handled
def meeting_schedule(
    kind: Annotated[
        str, typer.Argument(help="pi_planning, art_sync, po_sync, scrum_of_scrums, system_demo, inspect_adapt")
    ],
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    title: Annotated[str | None, typer.Option(help="By default the kind and the day.", show_default=False)] = None,
    iteration: Annotated[
        int | None, typer.Option(help="The iteration a system demo shows.", show_default=False)
    ] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Put an ART event on the train's calendar."""
    from artsync.services.meetings import schedule_meeting

    with session(db) as (db_session, actor):
        made = schedule_meeting(
            db_session, actor=actor, train_key=train, kind=kind, day=parse_date(day, "day"), title=title,
            iteration=iteration,
        )  # fmt: skip
    console.print(f"Meeting [bold]{made.value.meeting.id}[/]: {escape(made.value.meeting.title)} is scheduled.")


@meeting_app.command("list")
@handled
def meeting_list(
    kind: Annotated[str | None, typer.Option(help="Only meetings of this kind.", show_default=False)] = None,
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The train's meetings by day."""
    from artsync.services.meetings import list_meetings

    with session(db) as (db_session, actor):
        meetings = list_meetings(db_session, actor=actor, train_key=train, kind=kind)
    if json:
        output.print_json(console, shown.MeetingList(meetings=[agenda_io.MeetingRecord.of(m) for m in meetings]))
    else:
        console.print(output.meetings_table(meetings))


@meeting_app.command("start")
@handled
def meeting_start(
    meeting: MeetingArg, today: TodayOption = None, train: TrainOption = None, db: DbOption = None
) -> None:
    """Start the meeting: its agenda is generated now and kept with it."""
    from artsync.services.meetings import start_meeting

    with session(db) as (db_session, actor):
        started = start_meeting(
            db_session, actor=actor, train_key=train, meeting_id=meeting,
            today=parse_date(today, "--today") if today else None,
        )  # fmt: skip
    console.print(f"[bold]{escape(started.value.meeting.title)}[/] has started.")
    console.print(rendered_markdown(agenda_io.meeting_agenda_markdown(started.value.meeting)))


@meeting_app.command("status")
@handled
def meeting_status(
    meeting: MeetingArg,
    team: Annotated[str, typer.Argument(help="The team reporting.")],
    status: Annotated[str, typer.Argument(help='"on track", "at risk" or "off track".')],
    note: Annotated[str | None, typer.Option(help="What the team said.", show_default=False)] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Record a team's status in the meeting."""
    from artsync.services.meetings import record_team_status

    with session(db) as (db_session, actor):
        record_team_status(db_session, actor=actor, train_key=train, meeting_id=meeting, team=team, status=status,
                           note=note)  # fmt: skip
    console.print(f"{escape(team)}: {status}.")


@meeting_app.command("outcome")
@handled
def meeting_outcome(
    meeting: MeetingArg,
    text: Annotated[str, typer.Argument(help="What was shown, found or agreed.")],
    item: Annotated[str | None, typer.Option(help="The feature or card it is about.", show_default=False)] = None,
    team: Annotated[str | None, typer.Option(help="The team it is about.", show_default=False)] = None,
    feedback: Annotated[str | None, typer.Option(help="Feedback from the demo.", show_default=False)] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Record an outcome: what a system demo showed and its feedback, an I&A result."""
    from artsync.services.meetings import record_outcome

    with session(db) as (db_session, actor):
        record_outcome(db_session, actor=actor, train_key=train, meeting_id=meeting, text=text, item=item, team=team,
                       feedback=feedback)  # fmt: skip
    console.print("Outcome recorded.")


@meeting_app.command("end")
@handled
def meeting_end(meeting: MeetingArg, train: TrainOption = None, db: DbOption = None) -> None:
    """End the meeting; the minutes are written and kept (`artsync meeting show N --minutes`)."""
    from artsync.services.meetings import end_meeting

    with session(db) as (db_session, actor):
        ended = end_meeting(db_session, actor=actor, train_key=train, meeting_id=meeting)
    console.print(f"[bold]{escape(ended.value.meeting.title)}[/] has ended; its minutes are published.")


@meeting_app.command("show")
@handled
def meeting_show(
    meeting: MeetingArg,
    minutes: Annotated[bool, typer.Option("--minutes", help="The minutes as Markdown, to paste or mail.")] = False,
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """A meeting: agenda, team status, outcomes, decisions and action items; the minutes once ended."""
    from artsync.services.meetings import get_meeting

    with session(db) as (db_session, actor):
        found = get_meeting(db_session, actor=actor, train_key=train, meeting_id=meeting)
    if json:
        output.print_json(console, shown.Meeting.of_view(found))
    elif minutes:
        console.file.write(shown.current_minutes(found.value))
    else:
        console.print(rendered_markdown(shown.current_minutes(found.value)))


@action_app.command("add")
@handled
def action_add(
    text: Annotated[str, typer.Argument(help="What will be done.")],
    owner: Annotated[str, typer.Option(help="Who does it.")],
    due: Annotated[str, typer.Option(help="By when, YYYY-MM-DD.")],
    meeting: Annotated[int | None, typer.Option(help="The meeting it was agreed in.", show_default=False)] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Add an action item."""
    from artsync.services.meetings import add_action

    with session(db) as (db_session, actor):
        added = add_action(db_session, actor=actor, train_key=train, text=text, owner=owner,
                           due=parse_date(due, "--due"), meeting_id=meeting)  # fmt: skip
    console.print(f"Action item [bold]{added.key}[/] for {escape(added.owner)}, due {added.due}.")


@action_app.command("done")
@handled
def action_done(
    key: Annotated[str, typer.Argument(help="The action item, e.g. A3.")],
    reopen: Annotated[bool, typer.Option("--reopen", help="Mark it open again.")] = False,
    if_version: IfVersionOption = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Mark an action item done (its owner or the RTE)."""
    from artsync.services.meetings import complete_action

    with session(db) as (db_session, actor):
        item = complete_action(db_session, actor=actor, train_key=train, key=key, done=not reopen, version=if_version)
    console.print(f"Action item {item.key} is {item.state}.")


@action_app.command("list")
@handled
def action_list(
    all_: AllOption = False, today: TodayOption = None, train: TrainOption = None, json: JsonOption = False,
    db: DbOption = None,
) -> None:  # fmt: skip
    """Open action items by due date; overdue ones in red."""
    from datetime import date

    from artsync.services.meetings import list_actions

    day = parse_date(today, "--today") if today else date.today()
    with session(db) as (db_session, actor):
        items = list_actions(db_session, actor=actor, train_key=train, state=None if all_ else "open")
    if json:
        output.print_json(console, shown.ActionList(actions=[agenda_io.ActionRecord.of(a, day) for a in items]))
    else:
        console.print(output.actions_table(items, day))


@decision_app.command("add")
@handled
def decision_add(
    question: Annotated[str, typer.Argument(help="What must be decided.")],
    meeting: Annotated[int | None, typer.Option(help="The meeting it came up in.", show_default=False)] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Record a decision the train needs; it stays on the ART sync agenda until taken."""
    from artsync.services.meetings import add_decision

    with session(db) as (db_session, actor):
        added = add_decision(db_session, actor=actor, train_key=train, question=question, meeting_id=meeting)
    console.print(f"Decision [bold]{added.key}[/] is pending.")


@decision_app.command("take")
@handled
def decision_take(
    key: Annotated[str, typer.Argument(help="The decision, e.g. D2.")],
    decision: Annotated[str, typer.Argument(help="What was decided.")],
    rationale: Annotated[str | None, typer.Option(help="Why.", show_default=False)] = None,
    link: Annotated[list[str] | None, typer.Option("--link", help="An item it changed (repeat).")] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Take a pending decision, with its rationale and the items it changed."""
    from artsync.services.meetings import decide

    with session(db) as (db_session, actor):
        taken = decide(db_session, actor=actor, train_key=train, key=key, decision=decision, rationale=rationale,
                       links=link or [])  # fmt: skip
    console.print(f"Decision {taken.key} taken: {escape(taken.decision or '')}.")


@decision_app.command("list")
@handled
def decision_list(
    pending: Annotated[bool, typer.Option("--pending", help="Only those still to take.")] = False,
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The decision log."""
    from artsync.services.meetings import list_decisions

    with session(db) as (db_session, actor):
        found = list_decisions(db_session, actor=actor, train_key=train, state="pending" if pending else None)
    if json:
        output.print_json(console, shown.DecisionList(decisions=[agenda_io.DecisionRecord.of(d) for d in found]))
    else:
        console.print(output.decisions_table(found))


@impediment_app.command("raise")
@handled
def impediment_raise(
    text: Annotated[str, typer.Argument(help="What is in the way.")],
    team: Annotated[str | None, typer.Option(help="The team it blocks.", show_default=False)] = None,
    level: Annotated[str | None, typer.Option(help="team, train or portfolio.", show_default=False)] = None,
    owner: Annotated[str | None, typer.Option(help="Who removes it.", show_default=False)] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Raise an impediment (team level for a team's, train level otherwise)."""
    from artsync.services.impediments import raise_impediment

    with session(db) as (db_session, actor):
        raised = raise_impediment(db_session, actor=actor, train_key=train, text=text, team=team, level=level,
                                  owner=owner)  # fmt: skip
    i = raised.value
    console.print(f"Impediment [bold]{i.key}[/] raised at {i.level} level.")


@impediment_app.command("update")
@handled
def impediment_update(
    key: Annotated[str, typer.Argument(help="The impediment, e.g. I2.")],
    owner: Annotated[str | None, typer.Option(help="Who removes it.", show_default=False)] = None,
    level: Annotated[str | None, typer.Option(help="Escalate to train or portfolio.", show_default=False)] = None,
    resolve: Annotated[bool, typer.Option("--resolve", help="It is gone.")] = False,
    reopen: Annotated[bool, typer.Option("--reopen", help="It is back.")] = False,
    note: Annotated[str | None, typer.Option(help="Where it stands.", show_default=False)] = None,
    if_version: IfVersionOption = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Own, escalate, resolve or reopen an impediment."""
    from artsync.services.impediments import update_impediment

    state = "resolved" if resolve else "open" if reopen else None
    with session(db) as (db_session, actor):
        updated = update_impediment(db_session, actor=actor, train_key=train, key=key, owner=owner, level=level,
                                    state=state, note=note, version=if_version)  # fmt: skip
    i = updated.value
    console.print(f"Impediment {i.key}: {i.state}, {i.level} level, owner {escape(i.owner or 'nobody yet')}.")


@impediment_app.command("list")
@handled
def impediment_list(
    all_: AllOption = False, today: TodayOption = None, train: TrainOption = None, json: JsonOption = False,
    db: DbOption = None,
) -> None:  # fmt: skip
    """Open impediments, oldest first, with their age; aging ones in red."""
    from datetime import date

    from artsync.services.impediments import list_impediments

    day = parse_date(today, "--today") if today else date.today()
    with session(db) as (db_session, actor):
        found = list_impediments(db_session, actor=actor, train_key=train, state=None if all_ else "open")
    if json:
        output.print_json(
            console, shown.ImpedimentList(impediments=[agenda_io.ImpedimentRecord.of(i, day) for i in found])
        )
    else:
        console.print(output.impediments_table(found, day))


@conflict_app.command("report")
@handled
def conflict_report(
    summary: Annotated[str, typer.Argument(help="Who disagrees about what.")],
    kind: Annotated[str, typer.Option(help="capacity, dependency, milestone, priority, scope, people or other.")],
    party: Annotated[list[str], typer.Option("--party", help="A team or person (twice or more).")],
    option: Annotated[list[str] | None, typer.Option("--option", help="A way out (repeat).")] = None,
    item: Annotated[list[str] | None, typer.Option("--item", help="An item it is about (repeat).")] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Report a conflict between teams or people."""
    from artsync.services.conflicts import report_conflict

    with session(db) as (db_session, actor):
        made = report_conflict(db_session, actor=actor, train_key=train, kind=kind, summary=summary, parties=party,
                               options=option or [], items=item or [])  # fmt: skip
    console.print(f"Conflict [bold]{made.value.key}[/] is in the log.")


@conflict_app.command("from-finding")
@handled
def conflict_from(
    finding: Annotated[str, typer.Argument(help="The finding's id, from `artsync findings --json`.")],
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Turn a finding into a conflict: kind, summary, teams and the suggested fix filled in."""
    from artsync.services.conflicts import conflict_from_finding

    with session(db) as (db_session, actor):
        made = conflict_from_finding(db_session, actor=actor, train_key=train, finding_id=finding)
    c = made.value
    console.print(f"Conflict [bold]{c.key}[/] ({c.kind}) between {escape(', '.join(c.parties))}: {escape(c.summary)}")


@conflict_app.command("mediate")
@handled
def conflict_mediate(
    key: Annotated[str, typer.Argument(help="The conflict, e.g. C2.")],
    mediator: Annotated[str | None, typer.Option(help="Who mediates.", show_default=False)] = None,
    option: Annotated[list[str] | None, typer.Option("--option", help="The options (repeat; replaces).")] = None,
    status: Annotated[str | None, typer.Option(help="open, mediating or closed.", show_default=False)] = None,
    if_version: IfVersionOption = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Take up a conflict: mediator, options, status."""
    from artsync.services.conflicts import mediate_conflict

    with session(db) as (db_session, actor):
        made = mediate_conflict(db_session, actor=actor, train_key=train, key=key, mediator=mediator, options=option,
                                status=status, version=if_version)  # fmt: skip
    console.print(f"Conflict {key} is {made.value.status}.")


@conflict_app.command("decide")
@handled
def conflict_decide(
    key: Annotated[str, typer.Argument(help="The conflict, e.g. C2.")],
    decision: Annotated[str, typer.Argument(help="What was decided.")],
    rationale: Annotated[str, typer.Option(help="Why.")],
    link: Annotated[list[str] | None, typer.Option("--link", help="An item the decision changed (repeat).")] = None,
    if_version: IfVersionOption = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Record the mediated decision, its rationale and the items it changed."""
    from artsync.services.conflicts import decide_conflict

    with session(db) as (db_session, actor):
        decide_conflict(db_session, actor=actor, train_key=train, key=key, decision=decision, rationale=rationale,
                        links=link or [], version=if_version)  # fmt: skip
    console.print(f"Conflict {key} is decided; the decision is in the decision log.")


@conflict_app.command("list")
@handled
def conflict_list(
    query: Annotated[str | None, typer.Argument(help="Words to search for.", show_default=False)] = None,
    status: Annotated[str | None, typer.Option(help="open, mediating, decided or closed.", show_default=False)] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind.", show_default=False)] = None,
    party: Annotated[
        str | None, typer.Option(help="Only those this team or person is party to.", show_default=False)
    ] = None,
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Search the conflict log, newest first."""
    from artsync.services.conflicts import search_conflicts

    with session(db) as (db_session, actor):
        found = search_conflicts(db_session, actor=actor, train_key=train, query=query, status=status, kind=kind,
                                 party=party)  # fmt: skip
    if json:
        output.print_json(console, shown.ConflictList(conflicts=[agenda_io.ConflictRecord.of(c) for c in found]))
    else:
        console.print(output.conflicts_table(found))


feed_app = typer.Typer(help="The train's calendar feed (iCalendar) for calendar clients.", no_args_is_help=True)
calendar_app.add_typer(feed_app, name="feed")


@calendar_app.command("export")
@handled
def calendar_export(
    out: Annotated[str, typer.Option("--output", "-o", help="The .ics file to write; - for stdout.")] = "-",
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Write the train's event calendar as iCalendar: iterations, PI planning, ART syncs, system demos, I&A."""
    from pathlib import Path

    from artsync.formats.icalendar_feed import calendar_ics
    from artsync.services.calendar_feed import get_calendar

    with session(db) as (db_session, actor):
        name, entries = get_calendar(db_session, actor=actor, train_key=train)
    data = calendar_ics(name, entries)
    if out == "-":
        console.file.write(data.decode())
    else:
        Path(out).write_bytes(data)
        console.print(f"Wrote {len(entries)} events to {escape(out)}.")


@feed_app.command("create")
@handled
def feed_create(
    user: Annotated[str, typer.Argument(help="Whose calendar client will read it.")],
    base_url: Annotated[str, typer.Option(help="Where artsync is served.")] = "http://127.0.0.1:8000",
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Make a calendar feed URL for a person (shown once); subscribe to it from any calendar client."""
    from artsync.services.calendar_feed import create_feed_token

    with session(db) as (db_session, actor):
        made = create_feed_token(db_session, actor=actor, train_key=train, user_name=user)
    console.file.write(base_url.rstrip("/") + made.path + "\n")
    err_console.print(f"Revoke it with `artsync calendar feed revoke {made.prefix}`.")


@feed_app.command("revoke")
@handled
def feed_revoke(
    prefix: Annotated[str, typer.Argument(help="The feed token's first 12 characters.")], db: DbOption = None
) -> None:
    """Revoke a calendar feed; the client stops getting updates."""
    from artsync.services.calendar_feed import revoke_feed_token

    with session(db) as (db_session, actor):
        name = revoke_feed_token(db_session, actor=actor, prefix=prefix)
    console.print(f"Revoked {escape(name)}'s calendar feed {escape(prefix)}.")


def rendered_markdown(text: str) -> Any:
    """Rich's Markdown renderer (markdown-it), loaded by the commands that print Markdown."""
    from rich.markdown import Markdown

    return Markdown(text)
