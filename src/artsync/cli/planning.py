"""Setting up a PI: ``artsync pi``, ``calendar``, ``team`` and ``capacity`` commands."""

from datetime import date
from typing import Annotated

import typer
from rich.markup import escape

from artsync.cli import output
from artsync.cli.common import DbOption, IfVersionOption, JsonOption, TrainOption, console, handled, session
from artsync.cli.lazy import lazy
from artsync.errors import InvalidInputError

views = lazy("artsync.views.board")  # the JSON shapes; loads the services, so only when a command prints
planning_views = lazy("artsync.views.planning")

pi_app = typer.Typer(
    help="PIs: set one up, list them, move one through draft → planning → executing → closed.", no_args_is_help=True
)
calendar_app = typer.Typer(help="The train calendar (holidays) and team calendars (leave).", no_args_is_help=True)
holiday_app = typer.Typer(help="Days off for the whole train.", no_args_is_help=True)
leave_app = typer.Typer(help="People's leave, per team.", no_args_is_help=True)
calendar_app.add_typer(holiday_app, name="holiday")
calendar_app.add_typer(leave_app, name="leave")
team_app = typer.Typer(help="A team's size and normalised velocity.", no_args_is_help=True)
capacity_app = typer.Typer(help="Team capacity per iteration: velocity × availability.", no_args_is_help=True)

PiOption = Annotated[
    str | None, typer.Option("--pi", help="The PI's key; by default the current PI.", show_default=False)
]
TeamArg = Annotated[str, typer.Argument(help="The team's key.")]


def parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{what} {value!r} is not a date; write it YYYY-MM-DD") from None


@pi_app.command("create")
@handled
def pi_create(
    key: Annotated[str, typer.Argument(help="The new PI's key, e.g. 2027.1.")],
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD (usually a Monday).")],
    weeks: Annotated[int, typer.Option(help="Iteration length in weeks.")] = 2,
    iterations: Annotated[int, typer.Option(help="Number of iterations, the IP iteration included.")] = 5,
    ip: Annotated[bool, typer.Option("--ip/--no-ip", help="Whether the last iteration is the IP iteration.")] = True,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Set up a new PI in draft; each team's capacity is calculated from the calendars."""
    from artsync.services.pis import create_pi

    day = parse_date(start, "--start")
    with session(db) as (db_session, actor):
        created = create_pi(
            db_session,
            actor=actor,
            train_key=train,
            key=key,
            start=day,
            iteration_weeks=weeks,
            iterations=iterations,
            ip_last=ip,
        )
    pi = created.value
    console.print(
        f"PI [bold]{escape(pi.key)}[/] is set up in draft: {pi.start} – {pi.end}, {pi.iteration_count} iterations "
        f"of {pi.iteration_weeks} weeks{' (the last is IP)' if pi.ip_last else ''} "
        f"(event {output.seq_words(created.event)})."
    )
    console.print(f"Next: `artsync capacity show --pi {pi.key}`, then `artsync pi advance --pi {pi.key}` to plan it.")


@pi_app.command("list")
@handled
def pi_list(train: TrainOption = None, json: JsonOption = False, db: DbOption = None) -> None:
    """List the train's PIs, oldest first; the current one is marked."""
    from artsync.services.pis import list_pis

    with session(db) as (db_session, actor):
        pis = list_pis(db_session, actor=actor, train_key=train)
    if json:
        output.print_json(console, views.PIList(pis=[views.PI.with_version(p.pi, p.version, p.current) for p in pis]))
    else:
        console.print(output.pis_table(pis))


@pi_app.command("advance")
@handled
def pi_advance(
    to: Annotated[
        str | None, typer.Option(help="The state to move to; by default the next one.", show_default=False)
    ] = None,
    pi: PiOption = None,
    if_version: IfVersionOption = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Move a PI (the current one by default) on to its next state (the RTE's call)."""
    from artsync.services.pis import advance_pi

    with session(db) as (db_session, actor):
        moved = advance_pi(db_session, actor=actor, train_key=train, to=to, version=if_version, pi_key=pi)
    console.print(f"PI {moved.value.key} is now [bold]{moved.value.state}[/] (event {output.seq_words(moved.event)}).")


@holiday_app.command("add")
@handled
def holiday_add(
    day: Annotated[str, typer.Argument(help="The day, YYYY-MM-DD.")],
    name: Annotated[str, typer.Argument(help="What it is, e.g. 'Whit Monday'.")],
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Put a day off for the whole train on the train calendar."""
    from artsync.services.capacity import add_holiday

    with session(db) as (db_session, actor):
        changed = add_holiday(db_session, actor=actor, train_key=train, day=parse_date(day, "day"), name=name)
    console.print(f"{escape(changed.summary)}; capacities recalculated.")


@holiday_app.command("remove")
@handled
def holiday_remove(
    day: Annotated[str, typer.Argument(help="The day, YYYY-MM-DD.")],
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Take a day off the train calendar."""
    from artsync.services.capacity import remove_holiday

    with session(db) as (db_session, actor):
        changed = remove_holiday(db_session, actor=actor, train_key=train, day=parse_date(day, "day"))
    console.print(f"{escape(changed.summary)}; capacities recalculated.")


@leave_app.command("add")
@handled
def leave_add(
    team: TeamArg,
    person: Annotated[str, typer.Argument(help="Who is away.")],
    first: Annotated[str, typer.Argument(help="First day away, YYYY-MM-DD.")],
    last: Annotated[str, typer.Argument(help="Last day away, YYYY-MM-DD.")],
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Record a person's leave on their team's calendar."""
    from artsync.services.capacity import add_leave

    with session(db) as (db_session, actor):
        changed = add_leave(
            db_session,
            actor=actor,
            train_key=train,
            team=team,
            person=person,
            first=parse_date(first, "first day"),
            last=parse_date(last, "last day"),
        )
    console.print(f"{escape(changed.summary)}; capacities recalculated.")


@leave_app.command("remove")
@handled
def leave_remove(
    team: TeamArg,
    person: Annotated[str, typer.Argument(help="Who was to be away.")],
    first: Annotated[str, typer.Argument(help="First day of that leave, YYYY-MM-DD.")],
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Take a person's leave off their team's calendar."""
    from artsync.services.capacity import remove_leave

    with session(db) as (db_session, actor):
        changed = remove_leave(
            db_session, actor=actor, train_key=train, team=team, person=person, first=parse_date(first, "first day")
        )
    console.print(f"{escape(changed.summary)}; capacities recalculated.")


@calendar_app.command("show")
@handled
def calendar_show(train: TrainOption = None, json: JsonOption = False, db: DbOption = None) -> None:
    """Show the train's holidays and everyone's leave."""
    from artsync.services.capacity import get_capacity

    with session(db) as (db_session, actor):
        plan = get_capacity(db_session, actor=actor, train_key=train)
    if json:
        output.print_json(console, planning_views.Calendar.of(plan))
    else:
        console.print(output.calendars_table(plan))


@team_app.command("set")
@handled
def team_set(
    team: TeamArg,
    size: Annotated[int | None, typer.Option(help="People on the team.", show_default=False)] = None,
    velocity: Annotated[
        int | None, typer.Option(help="Normalised velocity, points per iteration.", show_default=False)
    ] = None,
    if_version: IfVersionOption = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Change a team's size or velocity; its capacities follow."""
    from artsync.services.capacity import set_team

    if size is None and velocity is None:
        raise InvalidInputError("give --size N or --velocity N (or both)")
    with session(db) as (db_session, actor):
        changed = set_team(
            db_session, actor=actor, train_key=train, team=team, size=size, velocity=velocity, version=if_version
        )
    console.print(escape(changed.summary) + ("." if changed.event is None else f" (event {changed.event.seq})."))


@capacity_app.command("show")
@handled
def capacity_show(
    pi: PiOption = None, train: TrainOption = None, json: JsonOption = False, db: DbOption = None
) -> None:
    """Each team's capacity per iteration, where it comes from, and the load against it."""
    from artsync.services.capacity import get_capacity

    with session(db) as (db_session, actor):
        plan = get_capacity(db_session, actor=actor, train_key=train, pi_key=pi)
    if json:
        output.print_json(console, planning_views.Capacity.of(plan))
    else:
        console.print(output.capacity_table(plan))


@capacity_app.command("set")
@handled
def capacity_set(
    team: TeamArg,
    iteration: Annotated[int, typer.Argument(help="The iteration number.")],
    points: Annotated[
        int | None, typer.Argument(help="The team's capacity there; leave out with --clear.", show_default=False)
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Go back to the calculated figure.")] = False,
    pi: PiOption = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Adjust a team's capacity in one iteration (the team's own figure wins over the calculation)."""
    from artsync.services.capacity import adjust_capacity

    if (points is None) == (not clear):
        raise InvalidInputError("give the points, or --clear to go back to the calculated figure")
    with session(db) as (db_session, actor):
        changed = adjust_capacity(
            db_session, actor=actor, train_key=train, team=team, iteration=iteration, points=points, pi_key=pi
        )
    console.print(escape(changed.summary) + ("." if changed.event is None else f" (event {changed.event.seq})."))
