"""PI planning from the terminal: WSJF session, objectives and business value, the confidence vote, commit."""

from typing import Annotated

import typer
from rich.markup import escape

from artsync.cli import output
from artsync.cli.common import DbOption, IfVersionOption, JsonOption, TrainOption, console, handled, session
from artsync.cli.lazy import lazy
from artsync.cli.planning import PiOption, pi_app
from artsync.errors import InvalidInputError

views = lazy("artsync.views.planning")  # the JSON shapes; loads the services, so only when a command prints

objective_app = typer.Typer(help="PI objectives: teams write them, business owners value them.", no_args_is_help=True)
vote_app = typer.Typer(help="The confidence vote that ends PI planning (1–5 fingers).", no_args_is_help=True)
wsjf_app = typer.Typer(help="A WSJF session: score the backlog relatively, one column at a time.", no_args_is_help=True)

KeyArg = Annotated[str, typer.Argument(help="The objective's key, e.g. O3.")]


@objective_app.command("list")
@handled
def objective_list(train: TrainOption = None, json: JsonOption = False, db: DbOption = None) -> None:
    """The current PI's objectives by team, committed first, with planned and actual business value."""
    from artsync.services.trains import get_plan

    with session(db) as (db_session, actor):
        plan = get_plan(db_session, actor=actor, train_key=train)
    if json:
        output.print_json(console, views.ObjectiveList.of(plan))
    else:
        console.print(output.objectives_table(plan))


@objective_app.command("add")
@handled
def objective_add(
    text: Annotated[str, typer.Argument(help="What the team will achieve, in business terms.")],
    team: Annotated[str | None, typer.Option(help="The team; leave out for a train objective.")] = None,
    uncommitted: Annotated[bool, typer.Option("--uncommitted", help="Planned into capacity but not promised.")] = False,
    feature: Annotated[list[str] | None, typer.Option("--feature", help="A linked feature (repeat).")] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Write a PI objective."""
    from artsync.services.objectives import add_objective

    with session(db) as (db_session, actor):
        added = add_objective(db_session, actor=actor, train_key=train, team=team, text=text,
                              committed=not uncommitted, features=feature or [])  # fmt: skip
    kind = "committed" if added.value.committed else "uncommitted"
    console.print(f"Objective [bold]{added.value.key}[/] ({kind}) written; a business owner gives it its value.")


@objective_app.command("edit")
@handled
def objective_edit(
    key: KeyArg,
    text: Annotated[str | None, typer.Option(help="New text.", show_default=False)] = None,
    committed: Annotated[bool | None, typer.Option("--committed/--uncommitted", show_default=False)] = None,
    feature: Annotated[list[str] | None, typer.Option("--feature", help="Linked features (repeat; replaces).")] = None,
    if_version: IfVersionOption = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Change an objective's text, whether it is committed, or its linked features."""
    from artsync.services.objectives import edit_objective

    with session(db) as (db_session, actor):
        edited = edit_objective(db_session, actor=actor, train_key=train, key=key, text=text, committed=committed,
                                features=feature, version=if_version)  # fmt: skip
    said = "unchanged" if edited.event is None else f"changed (version {edited.version})"
    console.print(f"Objective {key} {said}.")


@objective_app.command("value")
@handled
def objective_value(
    key: KeyArg,
    planned: Annotated[int | None, typer.Option(help="Planned business value, 1–10.", show_default=False)] = None,
    actual: Annotated[int | None, typer.Option(help="Actual business value at I&A, 0–10.", show_default=False)] = None,
    if_version: IfVersionOption = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """A business owner gives an objective its planned (or actual) business value."""
    from artsync.services.objectives import set_business_value

    with session(db) as (db_session, actor):
        valued = set_business_value(db_session, actor=actor, train_key=train, key=key, planned=planned, actual=actual,
                                    version=if_version)  # fmt: skip
    o = valued.value
    console.print(
        f"Objective {key}: planned BV {o.planned_bv or '—'}, "
        f"actual BV {o.actual_bv if o.actual_bv is not None else '—'}."
    )


@vote_app.command("open")
@handled
def vote_open(train: TrainOption = None, db: DbOption = None) -> None:
    """Open the confidence vote (or a rework round after a vote that did not pass)."""
    from artsync.services.votes import open_vote

    with session(db) as (db_session, actor):
        vote = open_vote(db_session, actor=actor, train_key=train)
    console.print(f"Round {vote.round} of the confidence vote on {vote.pi} is open: `artsync vote cast 1..5`.")


@vote_app.command("cast")
@handled
def vote_cast(
    fingers: Annotated[int, typer.Argument(help="Your confidence, 1 (none) to 5 (full).")],
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Vote 1–5; voting again changes your vote until the RTE closes it."""
    from artsync.services.votes import cast_vote

    with session(db) as (db_session, actor):
        vote = cast_vote(db_session, actor=actor, train_key=train, fingers=fingers)
    console.print(f"{escape(actor.name)} votes {vote.mine} in round {vote.round} ({len(vote.voters)} voted so far).")


@vote_app.command("close")
@handled
def vote_close(train: TrainOption = None, db: DbOption = None) -> None:
    """Close the vote and show the result: histogram, average, and whether the train may commit."""
    from artsync.services.votes import close_vote

    with session(db) as (db_session, actor):
        vote = close_vote(db_session, actor=actor, train_key=train)
    console.print(output.vote_result(vote))


@vote_app.command("show")
@handled
def vote_show(train: TrainOption = None, json: JsonOption = False, db: DbOption = None) -> None:
    """The latest round: who voted so far, or the result once closed."""
    from artsync.services.votes import get_vote

    with session(db) as (db_session, actor):
        vote = get_vote(db_session, actor=actor, train_key=train)
    if json:
        output.print_json(console, views.Vote.of(vote))
    else:
        console.print(output.vote_result(vote))


@pi_app.command("commit")
@handled
def pi_commit(
    override: Annotated[
        str | None,
        typer.Option(help="Commit despite unROAMed risks or error findings; the reason is kept.", show_default=False),
    ] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Commit the PI plan after a passing vote: it becomes the baseline and the PI starts executing."""
    from artsync.services.baselines import commit_pi

    with session(db) as (db_session, actor):
        baseline = commit_pi(db_session, actor=actor, train_key=train, override_reason=override)
    console.print(
        f"PI [bold]{baseline.pi}[/] is committed (vote round {baseline.vote_round}, average {baseline.vote_average}); "
        f"its baseline is kept from event {baseline.seq} and the PI is executing."
    )
    for line in baseline.overridden:
        console.print(f"  overridden: {escape(line)}", style="yellow")


@pi_app.command("baseline")
@handled
def pi_baseline(pi: PiOption = None, train: TrainOption = None, json: JsonOption = False, db: DbOption = None) -> None:
    """The plan as committed: who committed it, when, on which vote; ``--json`` gives the whole plan."""
    from artsync.services.baselines import get_baseline

    with session(db) as (db_session, actor):
        baseline = get_baseline(db_session, actor=actor, train_key=train, pi_key=pi)
    if json:
        output.print_json(console, views.Baseline.of(baseline))
    else:
        console.print(output.baseline_summary(baseline))


@wsjf_app.command("start")
@handled
def wsjf_start(
    feature: Annotated[list[str] | None, typer.Option("--feature", help="Score only these (repeat).")] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Open a WSJF session over the backlog (or the features named)."""
    from artsync.services.wsjf import start_wsjf_session

    with session(db) as (db_session, actor):
        started = start_wsjf_session(db_session, actor=actor, train_key=train, features=feature)
    console.print(
        f"WSJF session {started.id} is open over {len(started.features)} features. Score one column at a time, "
        "the smallest item 1: `artsync wsjf score ubv KEY=N …`, then tc, rroe, size; then `artsync wsjf finish`."
    )


@wsjf_app.command("score")
@handled
def wsjf_score(
    column: Annotated[str, typer.Argument(help="ubv, tc, rroe or size.")],
    scores: Annotated[list[str], typer.Argument(help="KEY=N for every feature of the session.")],
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Score one column for every feature of the session; the smallest must be 1."""
    from artsync.services.wsjf import score_wsjf_column

    values: dict[str, int] = {}
    for item in scores:
        key, sep, number = item.partition("=")
        if not sep or not number.strip().lstrip("-").isdigit():
            raise InvalidInputError(f"{item!r}: write each score KEY=N, e.g. PAY-101=8")
        values[key.strip()] = int(number)
    with session(db) as (db_session, actor):
        scored = score_wsjf_column(db_session, actor=actor, train_key=train, column=column, scores=values)
    left = ", ".join(scored.remaining) or "none: `artsync wsjf finish`"
    console.print(f"Scored {column} for {len(values)} features. Columns left: {left}.")


@wsjf_app.command("finish")
@handled
def wsjf_finish(train: TrainOption = None, db: DbOption = None) -> None:
    """Apply the scores to the backlog and record the resulting order with who scored it."""
    from artsync.services.wsjf import finish_wsjf_session

    with session(db) as (db_session, actor):
        done = finish_wsjf_session(db_session, actor=actor, train_key=train)
    console.print(output.wsjf_table(done))


@wsjf_app.command("show")
@handled
def wsjf_show(train: TrainOption = None, json: JsonOption = False, db: DbOption = None) -> None:
    """The latest WSJF session: columns scored and by whom, or the order it produced."""
    from artsync.services.wsjf import get_wsjf_session

    with session(db) as (db_session, actor):
        found = get_wsjf_session(db_session, actor=actor, train_key=train)
    if json:
        output.print_json(console, views.Wsjf.of(found))
    else:
        console.print(output.wsjf_table(found))
