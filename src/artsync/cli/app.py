"""``artsync`` commands. Each parses its options, calls one service and renders the result.

Errors a person can cause become one red line on stderr and exit code 2;
``findings --fail-on`` exits 1 when a finding of that severity stands.
"""

import logging
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from artsync.cli import art_events, connections, measure, notify, output, pi_planning, planning, scenarios
from artsync.cli.common import (
    CardArg,
    ConsumerArg,
    DbOption,
    IfVersionOption,
    JsonOption,
    ProviderArg,
    TrainOption,
    console,
    err_console,
    fail,
    handled,
    session,
    settings_for,
)
from artsync.cli.lazy import lazy
from artsync.domain.findings import Severity
from artsync.domain.permissions import Role
from artsync.domain.plan import CardStatus, DependencyState, RoamState
from artsync.errors import InvalidInputError

views = lazy("artsync.views.board")  # the JSON shapes; loads the services, so only when a command prints

# `artsync --help` in panels, in the order people meet them; each command once.
HELP_PANELS: dict[str, tuple[str, ...]] = {
    "Plan": ("board", "backlog", "findings", "card", "dep", "risk", "log", "trains", "team", "capacity", "calendar",
             "import", "export"),
    "PI planning": ("pi", "objective", "vote", "wsjf", "plan", "scenario"),
    "ART events": ("sync", "meeting", "action", "decision", "impediment", "conflict", "workshop"),
    "Measure": ("forecast", "progress", "predictability", "drift", "report"),
    "People and access": ("user", "token", "subscribe"),
    "Admin": ("demo", "serve", "init", "connect", "backup", "restore", "notify", "webhook", "outbox"),
}  # fmt: skip


class PanelledGroup(TyperGroup):
    """Lists the commands in HELP_PANELS' order, so `artsync --help` shows its panels in that order."""

    def list_commands(self, ctx: Any) -> list[str]:
        place = {name: n for n, name in enumerate(name for names in HELP_PANELS.values() for name in names)}
        return sorted(super().list_commands(ctx), key=lambda name: place.get(name, len(place)))


app = typer.Typer(
    cls=PanelledGroup,
    name="artsync",
    help="artsync — keep the teams of an Agile Release Train in sync: one plan, its dependencies, its findings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",  # rich loads only to print help: its panels group the commands
)
card_app = typer.Typer(help="Add, move and remove cards on the ART planning board.", no_args_is_help=True)
dep_app = typer.Typer(help="Add and remove dependencies between cards.", no_args_is_help=True)
risk_app = typer.Typer(help="Raise and ROAM the train's risks.", no_args_is_help=True)
app.add_typer(card_app, name="card")
app.add_typer(dep_app, name="dep")
app.add_typer(risk_app, name="risk")
app.add_typer(planning.pi_app, name="pi")
app.add_typer(scenarios.plan_app, name="plan")
app.add_typer(scenarios.scenario_app, name="scenario")
app.add_typer(planning.calendar_app, name="calendar")
app.add_typer(planning.team_app, name="team")
app.add_typer(planning.capacity_app, name="capacity")
app.add_typer(pi_planning.objective_app, name="objective")
app.add_typer(pi_planning.vote_app, name="vote")
app.add_typer(pi_planning.wsjf_app, name="wsjf")
app.add_typer(art_events.sync_app, name="sync")
app.add_typer(art_events.meeting_app, name="meeting")
app.add_typer(art_events.action_app, name="action")
app.add_typer(art_events.decision_app, name="decision")
app.add_typer(art_events.impediment_app, name="impediment")
app.add_typer(art_events.conflict_app, name="conflict")
app.add_typer(notify.notify_app, name="notify")
app.add_typer(notify.webhook_app, name="webhook")
app.add_typer(notify.outbox_app, name="outbox")
app.command("subscribe")(handled(notify.subscribe_command))
app.command("connect")(handled(connections.connect_command))
art_events.sync_app.command("pull")(handled(connections.pull_command))
art_events.sync_app.command("push")(handled(connections.push_command))
art_events.sync_app.command("import")(handled(connections.import_command))
art_events.sync_app.command("tracker")(handled(connections.tracker_command))
app.command("forecast")(handled(measure.forecast_command))
app.command("progress")(handled(measure.progress_command))
app.command("predictability")(handled(measure.predictability_command))
app.command("drift")(handled(measure.drift_command))
app.add_typer(measure.report_app, name="report")
app.add_typer(measure.workshop_app, name="workshop")
user_app = typer.Typer(help="People and their roles on trains.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for programs (Authorization: Bearer TOKEN).", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")


def parse_iteration(value: str) -> int | None:
    if value.lower() in ("unplanned", "none", "-"):
        return None
    if not value.isdigit():
        raise InvalidInputError(f"--to {value!r}: give an iteration number (1, 2, …) or 'unplanned'")
    return int(value)


@app.command()
@handled
def init(db: DbOption = None) -> None:
    """Create the database (or bring its schema up to date)."""
    with session(db, migrate=True):
        console.print(f"Database ready: [bold]{escape(settings_for(db).database_url)}[/]")


@app.command()
@handled
def backup(
    file: Annotated[Path, typer.Argument(help="Where to write it (gzip when the name ends .gz).")],
    db: DbOption = None,
) -> None:
    """Back up the whole database — log, people, plans, meetings, decisions, calendars — in one snapshot."""
    from artsync.formats.backup import write_backup
    from artsync.services.backup import backup as take_backup

    with session(db) as (db_session, actor):
        document = take_backup(db_session.get_bind().engine, actor=actor)
    try:
        size = write_backup(file, document)
    except OSError as exc:
        raise InvalidInputError(f"cannot write {file}: {exc.strerror or exc}") from None
    rows = sum(len(t["rows"]) for t in document["tables"].values())
    console.print(
        f"Backed up {rows:,} rows of {len(document['tables'])} tables to {escape(str(file))} ({size:,} bytes)."
    )


@app.command()
@handled
def restore(
    file: Annotated[Path, typer.Argument(help="A file `artsync backup` wrote.")],
    db: DbOption = None,
) -> None:
    """Restore a backup into an empty database (SQLite or PostgreSQL, whichever it came from)."""
    from artsync.formats.backup import read_backup
    from artsync.services.backup import restore as restore_backup

    document = read_backup(file)
    with session(db, migrate=True) as (db_session, actor):
        restored = restore_backup(db_session, actor=actor, document=document)
    rows = sum(restored.rows.values())
    console.print(f"Restored {rows:,} rows of {len(restored.rows)} tables from {escape(str(file))}.")


class DemoSizeChoice(StrEnum):
    small = "small"
    art = "art"
    train = "train"


class DemoStageChoice(StrEnum):
    executing = "executing"
    planning = "planning"


@app.command()
@handled
def demo(
    size: Annotated[
        DemoSizeChoice, typer.Option(help="small: 6 teams, 60 features · art: 10, 150 · train: 40, 2,000.")
    ] = DemoSizeChoice.art,
    stage: Annotated[
        DemoStageChoice,
        typer.Option(help="executing: today in iteration 3 of the PI · planning: the eve of its PI planning."),
    ] = DemoStageChoice.executing,
    seed: Annotated[int, typer.Option(help="Same seed, same train.")] = 7,
    people: Annotated[
        bool, typer.Option("--people/--no-people", help="Also create the demo people (RTE, PM, PO, …) to sign in as.")
    ] = True,
    db: DbOption = None,
) -> None:
    """Load a demo train with a past and a present (replacing the same demo train and its log) and its people."""
    from artsync.formats.demo import DEMO_PASSWORD, DEMO_PEOPLE
    from artsync.services.demo_story import add_demo_people, play_demo

    with session(db, migrate=True) as (db_session, actor):
        story = play_demo(db_session, actor=actor, size=size.value, seed=seed, stage=stage.value)
        if people:
            add_demo_people(db_session, actor=actor, plan=story.plan)
    plan = story.plan
    when = (
        f"today is in iteration 3 of {story.current}"
        if story.stage == "executing"
        else f"{story.current} is planned tomorrow (draft plan, no vote yet)"
    )
    console.print(
        f"Loaded [bold]{plan.train.name}[/] ({plan.train.key}): {len(plan.teams)} teams, {story.previous} closed, "
        f"{when}."
    )
    if people:
        console.print(output.demo_people_table(plan, DEMO_PEOPLE, DEMO_PASSWORD))
        console.print(
            "Sign in as [bold]rita[/] to run the train, [bold]olga[/] or [bold]mia[/] to work in a team, [bold]vic[/] "
            "to look on. The plan carries problems on purpose — a broken dependency, a cycle, an over-loaded "
            "iteration, a milestone that will be missed: `artsync findings` lists them, the board shows them."
        )


def report_import(result: Any) -> None:
    counts = ", ".join(f"{n} {name}" for name, n in result.counts.items())
    if result.event.entity == "pi":
        console.print(
            f"Added {result.event.entity_id} to train [bold]{result.train}[/]: {counts} (event {result.event.seq})."
        )
        return
    verb = "Replaced" if result.replaced else "Imported"
    console.print(f"{verb} train [bold]{result.train}[/]: {counts} (event {result.event.seq}).")


@app.command("import")
@handled
def import_(
    file: Annotated[Path, typer.Argument(help="An artsync-plan/1 JSON file (see docs/plan-format.md).")],
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite the plan of a train that exists.")] = False,
    next_pi: Annotated[
        bool,
        typer.Option("--next-pi", help="Add the file's PI to its train as the next PI, keeping the PIs before it."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Import a whole plan, or the next PI's draft of a train; it lands whole or not at all."""
    from artsync.domain import limits
    from artsync.errors import ImportFailedError
    from artsync.formats.plan_format import parse_plan_text
    from artsync.services.plans import import_pi_plan, import_plan

    if replace and next_pi:
        raise InvalidInputError("--replace overwrites the whole train and --next-pi adds a PI to it: choose one")
    try:
        size = file.stat().st_size
        if size > limits.PLAN_BYTES:
            raise InvalidInputError(f"{file} is {size:,} bytes; a plan file is at most {limits.PLAN_BYTES:,}")
        raw = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        plan = parse_plan_text(raw, str(file))
    except ImportFailedError as exc:
        more = len(exc.problems) - 1
        exit_now = fail(f"nothing was imported: {exc.problems[0]}" + (f" (and {more} more below)" if more else ""))
        for problem in exc.problems[1:]:
            err_console.print(f"  {escape(problem)}", soft_wrap=True)
        raise exit_now from None
    with session(db, migrate=True) as (db_session, actor):
        if next_pi:
            result = import_pi_plan(db_session, actor=actor, plan=plan)
        else:
            result = import_plan(db_session, actor=actor, plan=plan, replace=replace)
    report_import(result)


class ExportFormat(StrEnum):
    json = "json"


@app.command()
@handled
def export(
    train: TrainOption = None,
    format: Annotated[ExportFormat, typer.Option(help="Output format.")] = ExportFormat.json,
    output_file: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file, not stdout.")] = None,
    db: DbOption = None,
) -> None:
    """Export a train's plan as artsync-plan/1 JSON."""
    from artsync.formats.plan_format import dumps_plan
    from artsync.services.trains import get_plan

    with session(db) as (db_session, actor):
        text = dumps_plan(get_plan(db_session, actor=actor, train_key=train))
    if output_file is None:
        sys.stdout.write(text)
    else:
        output_file.write_text(text, encoding="utf-8")
        err_console.print(f"Wrote {output_file}")


@app.command()
@handled
def trains(json: JsonOption = False, db: DbOption = None) -> None:
    """List the trains."""
    from artsync.services.trains import list_trains

    with session(db) as (db_session, actor):
        found = list_trains(db_session, actor=actor)
    if json:
        output.print_json(console, views.TrainList(trains=[views.Train.of(t) for t in found]))
    elif not found:
        console.print("No trains yet: run `artsync demo` or `artsync import FILE.json`.")
    else:
        console.print(output.trains_table(found))


@app.command()
@handled
def board(train: TrainOption = None, json: JsonOption = False, db: DbOption = None) -> None:
    """Show the ART planning board: teams × iterations, load/capacity, problem cards marked."""
    from artsync.domain.findings import analyze
    from artsync.services.board import get_board

    with session(db) as (db_session, actor):
        found = get_board(db_session, actor=actor, train_key=train)
    if json:
        output.print_json(console, views.Board.of(found))
        return
    plan = found.plan
    findings = analyze(plan)
    console.print(output.board_table(plan, findings))
    console.print(f"Findings: {output.count_words(findings)} — run `artsync findings` for details.")


@app.command()
@handled
def backlog(
    train: TrainOption = None,
    limit: Annotated[int | None, typer.Option(help="Show only the top N features.")] = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List the ART backlog by WSJF (Cost of Delay / job size), highest first."""
    from artsync.services.trains import get_plan

    with session(db) as (db_session, actor):
        plan = get_plan(db_session, actor=actor, train_key=train)
    rows = [row.json_value() for row in views.backlog(plan)[:limit]]
    if json:
        output.print_json(console, {"train": plan.train.key, "features": rows})
    else:
        console.print(output.backlog_table(plan, rows))


@app.command()
@handled
def findings(
    train: TrainOption = None,
    severity: Annotated[
        Severity | None, typer.Option(help="Show only findings at least this severe.", show_default=False)
    ] = None,
    fail_on: Annotated[
        Severity | None,
        typer.Option("--fail-on", help="Exit 1 when a finding at least this severe exists.", show_default=False),
    ] = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List what the analysis found in the plan, errors first, each with a suggested fix."""
    from artsync.domain.findings import severity_rank
    from artsync.services.findings import list_findings

    with session(db) as (db_session, actor):
        found = list_findings(db_session, actor=actor, train_key=train, severity=severity.value if severity else None)
    if json:
        output.print_json(console, views.FindingList(findings=[views.Finding.of(f) for f in found]))
    elif not found:
        console.print("[green]No findings: the plan is clean.[/]")
    else:
        console.print(output.findings_table(found))
        console.print(output.count_words(found))
    if fail_on is not None and any(severity_rank(f.severity) <= severity_rank(fail_on.value) for f in found):
        raise typer.Exit(1)


@card_app.command("move")
@handled
def card_move(
    ref: CardArg,
    to: Annotated[str, typer.Option("--to", help="Iteration number, or 'unplanned'.")],
    if_version: IfVersionOption = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Move a card to another iteration, or back to unplanned."""
    from artsync.services.cards import move_card

    with session(db) as (db_session, actor):
        moved = move_card(
            db_session,
            actor=actor,
            train_key=train,
            ref=ref,
            to_iteration=parse_iteration(to),
            version=if_version,
        )
    where = f"iteration {moved.value.iteration}" if moved.value.iteration else "unplanned"
    if moved.event is None:
        console.print(f"{ref} is already {where}; nothing changed.")
    else:
        console.print(f"Moved {ref} to {where} (version {moved.version}, event {moved.event.seq}).")


@card_app.command("status")
@handled
def card_status(
    ref: CardArg,
    to: Annotated[CardStatus, typer.Option("--to", help="The card's status.")],
    if_version: IfVersionOption = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Mark a card not started, in progress, done or blocked."""
    from artsync.services.cards import set_card_status

    with session(db) as (db_session, actor):
        changed = set_card_status(
            db_session, actor=actor, train_key=train, ref=ref, status=to.value, version=if_version
        )
    if changed.event is None:
        console.print(f"{ref} is already {changed.value.status}; nothing changed.")
    else:
        console.print(f"{ref} is now {changed.value.status} (version {changed.version}, event {changed.event.seq}).")


@card_app.command("add")
@handled
def card_add(
    ref: CardArg,
    points: Annotated[int, typer.Option(help="The team's estimate in points.")],
    to: Annotated[str, typer.Option("--to", help="Iteration number, or 'unplanned'.")] = "unplanned",
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Put a team's part of a feature on the board (breakouts in PI planning)."""
    from artsync.domain.plan import split_card_ref
    from artsync.services.cards import add_card

    try:
        feature, team = split_card_ref(ref)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    with session(db) as (db_session, actor):
        added = add_card(
            db_session,
            actor=actor,
            train_key=train,
            feature=feature,
            team=team,
            points=points,
            iteration=parse_iteration(to),
        )
    where = f"iteration {added.value.iteration}" if added.value.iteration else "unplanned"
    console.print(f"Added {ref} ({points} points) {where} (event {output.seq_words(added.event)}).")


@card_app.command("remove")
@handled
def card_remove(
    ref: CardArg, if_version: IfVersionOption = None, train: TrainOption = None, db: DbOption = None
) -> None:
    """Take a card off the board, with the dependencies on it."""
    from artsync.services.cards import remove_card

    with session(db) as (db_session, actor):
        event = remove_card(db_session, actor=actor, train_key=train, ref=ref, version=if_version)
    console.print(f"Removed {ref} (event {event.seq}).")


@dep_app.command("add")
@handled
def dep_add(
    consumer: ConsumerArg,
    provider: ProviderArg,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Record that CONSUMER needs PROVIDER delivered first."""
    from artsync.services.dependencies import add_dependency

    with session(db) as (db_session, actor):
        added = add_dependency(db_session, actor=actor, train_key=train, consumer=consumer, provider=provider)
    words, style = output.status_words(added.value.status)
    console.print(f"{consumer} now needs {provider} — [{style}]{words}[/] (event {output.seq_words(added.event)}).")


@dep_app.command("remove")
@handled
def dep_remove(
    consumer: ConsumerArg,
    provider: ProviderArg,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Drop the dependency of CONSUMER on PROVIDER."""
    from artsync.services.dependencies import remove_dependency

    with session(db) as (db_session, actor):
        removed = remove_dependency(db_session, actor=actor, train_key=train, consumer=consumer, provider=provider)
    console.print(f"{consumer} no longer needs {provider} (event {output.seq_words(removed.event)}).")


@dep_app.command("state")
@handled
def dep_state(
    consumer: ConsumerArg,
    provider: ProviderArg,
    to: Annotated[DependencyState, typer.Option("--to", help="committed, delivered, broken or requested.")],
    if_version: IfVersionOption = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Commit to, deliver, break or re-request a dependency (the providing team commits and delivers)."""
    from artsync.services.dependencies import set_dependency_state

    with session(db) as (db_session, actor):
        changed = set_dependency_state(
            db_session, actor=actor, train_key=train, consumer=consumer, provider=provider, state=to.value,
            version=if_version,
        )  # fmt: skip
    if changed.event is None:
        console.print(f"{consumer} → {provider} is already {changed.value.dependency.state}; nothing changed.")
    else:
        console.print(f"{consumer} → {provider} is now {changed.value.dependency.state} (event {changed.event.seq}).")


@risk_app.command("roam")
@handled
def risk_roam(
    key: Annotated[str, typer.Argument(help="The risk's key, e.g. R3.")],
    as_: Annotated[RoamState, typer.Option("--as", help="The ROAM state.")],
    owner: Annotated[str | None, typer.Option(help="Who owns it (required for owned).")] = None,
    note: Annotated[str | None, typer.Option(help="Why, or the mitigation plan.")] = None,
    if_version: IfVersionOption = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """ROAM a risk: resolved, owned, accepted or mitigated."""
    from artsync.services.risks import roam_risk

    with session(db) as (db_session, actor):
        roamed = roam_risk(
            db_session,
            actor=actor,
            train_key=train,
            key=key,
            roam=as_.value,
            owner=owner,
            note=note,
            version=if_version,
        )
    by = f" by {roamed.value.owner}" if roamed.value.owner else ""
    if roamed.event is None:
        console.print(f"Risk {key} is already {roamed.value.roam}{escape(by)}; nothing changed.")
    else:
        console.print(f"Risk {key} is now {roamed.value.roam}{escape(by)} (event {roamed.event.seq}).")


@risk_app.command("raise")
@handled
def risk_raise(
    text: Annotated[str, typer.Argument(help="What could go wrong.")],
    team: Annotated[str | None, typer.Option(help="The team it concerns; none for a train risk.")] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Raise a risk; it starts unROAMed and must be ROAMed before the confidence vote."""
    from artsync.services.risks import raise_risk

    with session(db) as (db_session, actor):
        raised = raise_risk(db_session, actor=actor, train_key=train, text=text, team=team)
    console.print(f"Raised risk [bold]{raised.value.key}[/] (unROAMed; event {output.seq_words(raised.event)}).")


@app.command()
@handled
def log(
    after: Annotated[int, typer.Option(help="Only events after this seq.")] = 0,
    limit: Annotated[int | None, typer.Option(help="At most this many events.")] = None,
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show the train's event log: who changed what, when."""
    from artsync.services.events import list_events

    with session(db) as (db_session, actor):
        events = list_events(db_session, actor=actor, train_key=train, after=after, limit=limit)
    if json:
        output.print_json(console, views.EventList(events=[views.Event.of(e) for e in events]))
    elif not events:
        console.print(f"No events after seq {after}.")
    else:
        console.print(output.events_table(events))


@user_app.command("add")
@handled
def user_add(
    name: Annotated[str, typer.Argument(help="The user's login name (one word).")],
    train: Annotated[str, typer.Option("--train", "-t", help="The train the role is on.")],
    role: Annotated[Role, typer.Option(help="The role on that train.")],
    team: Annotated[
        str | None, typer.Option(help="The team, for product_owner, scrum_master and member.", show_default=False)
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (first line).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add a user (or a role to an existing user)."""
    from artsync.services.people import add_user

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with session(db) as (db_session, actor):
        person = add_user(
            db_session, actor=actor, name=name, train_key=train, role=role.value, team_key=team, password=password
        )
    roles = ", ".join(f"{g.role.value}{' of ' + g.team if g.team else ''} on {g.train}" for g in person.grants)
    console.print(f"User [bold]{escape(person.name)}[/]: {escape(roles)}.")
    if not person.has_password:
        console.print("No password yet: set one with --password-stdin, or give the user an API token.")


@user_app.command("remove-role")
@handled
def user_remove_role(
    name: Annotated[str, typer.Argument(help="The user.")],
    train: Annotated[str, typer.Option("--train", "-t", help="The train the role is on.")],
    role: Annotated[Role, typer.Option(help="The role to take away.")],
    team: Annotated[str | None, typer.Option(help="Only the role in this team.", show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Take a role away from a user; their live boards of that train close within seconds."""
    from artsync.services.people import remove_role

    with session(db) as (db_session, actor):
        person = remove_role(db_session, actor=actor, name=name, train_key=train, role=role.value, team_key=team)
    roles = ", ".join(f"{g.role.value}{' of ' + g.team if g.team else ''} on {g.train}" for g in person.grants)
    console.print(f"User [bold]{escape(person.name)}[/]: {escape(roles) if roles else 'no roles left'}.")


@user_app.command("list")
@handled
def user_list(json: JsonOption = False, db: DbOption = None) -> None:
    """List users and their roles."""
    from artsync.services.people import list_users

    with session(db) as (db_session, actor):
        people = list_users(db_session, actor=actor)
    if json:
        output.print_json(console, views.PersonList(users=[views.Person.of(p) for p in people]))
    elif not people:
        console.print("No users yet: add one with `artsync user add NAME --train KEY --role ROLE`.")
    else:
        console.print(output.people_table(people))


@user_app.command("revoke-sessions")
@handled
def user_revoke_sessions(name: Annotated[str, typer.Argument(help="The user.")], db: DbOption = None) -> None:
    """Sign a user out everywhere: end all their browser sessions."""
    from artsync.services.auth import revoke_sessions

    with session(db) as (db_session, actor):
        count = revoke_sessions(db_session, actor=actor, user_name=name)
    console.print(f"Ended {count} session{'s' if count != 1 else ''} of {escape(name)}.")


@token_app.command("create")
@handled
def token_create(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str | None, typer.Option(help="What the token is for.", show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Create an API token; it is printed once and only its hash is kept."""
    from artsync.services.auth import create_token

    with session(db) as (db_session, actor):
        new = create_token(db_session, actor=actor, user_name=name, label=label)
    err_console.print(
        f"Token for {escape(name)} (revoke with `artsync token revoke {new.prefix}`); it is not shown again:"
    )
    sys.stdout.write(new.token + "\n")


@token_app.command("revoke")
@handled
def token_revoke(
    prefix: Annotated[str, typer.Argument(help="The token, or its first 12 characters.")], db: DbOption = None
) -> None:
    """Revoke an API token."""
    from artsync.services.auth import revoke_token

    with session(db) as (db_session, actor):
        owner = revoke_token(db_session, actor=actor, prefix=prefix)
    console.print(f"Revoked token {escape(prefix[:12])} of {escape(owner)}.")


@app.command()
@handled
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (PostgreSQL only).")] = 1,
    notify: Annotated[
        bool, typer.Option("--notify", help="Also send notifications (as `artsync notify run` would).")
    ] = False,
    sync_every: Annotated[
        float,
        typer.Option("--sync-every", min=0, help="Pull from and push to every connected tracker every N seconds."),
    ] = 0,
    db: DbOption = None,
) -> None:
    """Serve the web app: pages, the JSON API under /api/v1 and the live board."""
    import os

    from sqlalchemy.engine import make_url

    from artsync.store.db import POSTGRES_POOL, connections_allowed, ensure_schema, make_engine, pool_per_worker

    settings = settings_for(db)
    on_sqlite = make_url(settings.database_url).get_backend_name() == "sqlite"
    if workers > 1 and on_sqlite:
        err_console.print(
            "SQLite serves from one process: starting 1 worker, not "
            f"{workers} (use PostgreSQL, ARTSYNC_DATABASE_URL=postgresql+psycopg://…, for several)."
        )
        workers = 1
    engine = make_engine(settings.database_url)
    try:
        ensure_schema(engine)
        allowed = None if on_sqlite else connections_allowed(engine)
    finally:
        engine.dispose()
    if allowed is not None:
        wanted = settings.database_pool or POSTGRES_POOL
        pool = pool_per_worker(allowed, workers, wanted)
        if pool < wanted:
            err_console.print(
                f"PostgreSQL takes {allowed} connections: each of the {workers} workers keeps up to {pool}, not "
                f"{wanted} (raise its max_connections for more; ARTSYNC_DATABASE_POOL sets the number)."
            )
        os.environ["ARTSYNC_DATABASE_POOL"] = str(pool)
    os.environ["ARTSYNC_DATABASE_URL"] = settings.database_url  # the workers build their settings from it
    if notify:
        os.environ["ARTSYNC_NOTIFY_IN_SERVER"] = "true"
    if sync_every:
        os.environ["ARTSYNC_SYNC_EVERY"] = str(sync_every)
    console.print(f"artsync is serving on [bold]http://{host}:{port}/[/] — press Ctrl+C to stop.")
    become_server(host, port, workers)


SERVER = "artsync.web.server"  # run as ``python -m``: uvicorn serving the app its workers build from the environment


def become_server(host: str, port: int, workers: int) -> None:
    """Replace this process (same pid, environment and terminal) with the server. uvicorn spawns its workers, and
    spawning imports the parent's main module into each: started from here, that would be the whole command line —
    Typer, Rich and every command, ~5 MiB a worker never uses; ``artsync.web.server`` imports uvicorn alone."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", SERVER, host, str(port), str(workers)])


def arrange_help() -> None:
    """Put every command and group of ``app`` in its help panel (a command left out fails here, at import)."""
    panel = {name: title for title, names in HELP_PANELS.items() for name in names}
    for command in app.registered_commands:
        command.rich_help_panel = panel[command.name or command.callback.__name__]  # type: ignore[union-attr]
    for group in app.registered_groups:
        group.rich_help_panel = panel[group.name or ""]


arrange_help()


def main() -> None:
    """Console-script entry point.

    Once the command has run and its output is flushed, the process ends at once: tearing the
    interpreter down module by module (SQLAlchemy, NumPy, …) adds a tenth of a second to every
    command and does nothing a finished command needs — its database connections are closed and
    its files written by then.
    """
    try:
        app()
        code = 0
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            code = done.code or 0
        else:
            print(done.code, file=sys.stderr)
            code = 1
    logging.shutdown()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader went away (a closed pipe): nothing more to say
        code = code or 1
    os._exit(code)
