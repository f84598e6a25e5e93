"""Plan it for me, from the terminal: `artsync plan draft|repair`, `artsync scenario new|change|solve|compare|…`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from artsync.cli import output
from artsync.cli.common import DbOption, JsonOption, TrainOption, console, handled, session

if TYPE_CHECKING:
    from artsync.services.scenarios import Comparison, Scenario

plan_app = typer.Typer(help="Let the optimizer draft the PI's plan or repair it (changes nothing until accepted).",
                       no_args_is_help=True)  # fmt: skip
scenario_app = typer.Typer(help="What-if scenarios of the plan: suppose changes, solve, compare, accept one.",
                           no_args_is_help=True)  # fmt: skip

TimeOption = Annotated[float, typer.Option("--time", help="Seconds the optimizer may search.", min=0.1, max=600)]
OptionalTime = Annotated[
    float | None, typer.Option("--time", help="Seconds the optimizer may search.", min=0.1, max=600, show_default=False)
]
SolverOption = Annotated[
    str,
    typer.Option("--solver", help="highs, or cp-sat (OR-Tools' CP-SAT on the same model, when installed)."),
]
ScenarioKey = Annotated[str, typer.Argument(help="The scenario, e.g. S2.")]
CHANGE_HELP = ("A change to suppose: 'capacity Phoenix I2=24', 'milestone M1 I3', 'add PAY-240 Atlas 8', "
               "'drop PAY-101' or 'drop-team Orion'.")  # fmt: skip


def where(iteration: int | None) -> str:
    return "unplanned" if iteration is None else f"I{iteration}"


def show(s: Scenario) -> None:
    """A scenario as a person reads it: what it supposes, the answer, the moves, what no plan can do."""
    solver = "" if s.solver == "highs" else f", by {s.solver}"
    console.print(f"Scenario [bold]{s.key}[/] {escape(s.name)} ({s.kind}{solver}): {s.state}", soft_wrap=True)
    for change in s.changes:
        console.print(f"  supposing {escape(change)}", soft_wrap=True)
    if s.outcome is None:
        console.print(f"  not solved yet: `artsync scenario solve {s.key}`")
        return
    from artsync.domain.scenarios import outcome_words

    gap = (
        ""
        if s.gap is None
        else "proven optimal"
        if s.gap == 0
        else f"within {max(s.gap, 0.001):.1%} of the best possible"
    )
    console.print(f"  {outcome_words(s.outcome)}{', ' + gap if gap else ''}; {len(s.moves)} cards to move",
                  soft_wrap=True)  # fmt: skip
    if s.measures:
        m = s.measures
        console.print(f"  milestones met {m.milestones_met}/{m.milestones}, committed objectives covered "
                      f"{m.objectives_covered}/{m.objectives}, cost of delay avoided {m.cost_of_delay_avoided:,.0f}, "
                      f"findings: {m.errors} errors, {m.warnings} warnings", soft_wrap=True)  # fmt: skip
    for move in s.moves:
        verb = f"add ({move.added} points) in" if move.added is not None else f"{where(move.before)} →"
        console.print(f"  {escape(move.ref)}: {verb} {where(move.after)}", soft_wrap=True)
    for unmet in s.unmet:
        console.print(f"  [red]cannot be met[/]: {escape(unmet)}", soft_wrap=True)
    for left in s.uncleared:
        console.print(f"  [yellow]left to people[/]: {escape(left)}", soft_wrap=True)
    if s.state in ("solved", "stopped"):
        console.print(f"Accept it with `artsync scenario accept {s.key}`; nothing has changed on the board yet.")


def emit(s: Scenario, json: bool) -> None:
    from artsync.views.scenarios import ScenarioRecord

    if json:
        output.print_json(console, ScenarioRecord.of(s))
    else:
        show(s)


@plan_app.command("draft")
@handled
def plan_draft(
    time: TimeOption = 10.0,
    solver: SolverOption = "highs",
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """A full proposal for the PI in planning: the plan that avoids the most cost of delay, as a new scenario."""
    from artsync.services.scenarios import draft_plan

    with session(db) as (db_session, actor):
        emit(draft_plan(db_session, actor=actor, train_key=train, time_limit=time, solver=solver), json)


@plan_app.command("repair")
@handled
def plan_repair(
    change: Annotated[list[str] | None, typer.Option("--suppose", help=CHANGE_HELP, show_default=False)] = None,
    time: TimeOption = 10.0,
    solver: SolverOption = "highs",
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The fewest moves that clear every error finding moves can clear (and why the rest cannot), as a scenario."""
    from artsync.services.scenarios import repair_plan

    with session(db) as (db_session, actor):
        emit(repair_plan(db_session, actor=actor, train_key=train, time_limit=time, changes=change or [],
                         solver=solver), json)  # fmt: skip


@scenario_app.command("new")
@handled
def scenario_new(
    name: Annotated[str, typer.Argument(help="What the scenario asks, e.g. 'Phoenix loses two people'.")],
    change: Annotated[list[str] | None, typer.Option("--suppose", help=CHANGE_HELP, show_default=False)] = None,
    time: TimeOption = 10.0,
    solver: SolverOption = "highs",
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Start a what-if scenario of the current PI's plan; `scenario change` adds changes, `scenario solve` solves."""
    from artsync.services.scenarios import new_scenario

    with session(db) as (db_session, actor):
        made = new_scenario(db_session, actor=actor, train_key=train, name=name, changes=change or [],
                            time_limit=time, solver=solver)  # fmt: skip
    emit(made, json)


@scenario_app.command("change")
@handled
def scenario_change(
    key: ScenarioKey,
    change: Annotated[str, typer.Argument(help=CHANGE_HELP)],
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Suppose one more change in a scenario (its answer is dropped: solve it again)."""
    from artsync.services.scenarios import change_scenario

    with session(db) as (db_session, actor):
        emit(change_scenario(db_session, actor=actor, train_key=train, key=key, change=change), json)


@scenario_app.command("solve")
@handled
def scenario_solve(
    key: ScenarioKey,
    time: OptionalTime = None,
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Solve a scenario: the best plan under its changes, with the proven gap."""
    from artsync.services.scenarios import solve_scenario

    with session(db) as (db_session, actor):
        emit(solve_scenario(db_session, actor=actor, train_key=train, key=key, time_limit=time), json)


@scenario_app.command("show")
@handled
def scenario_show(
    key: ScenarioKey,
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """One scenario: what it supposes, its answer and its moves."""
    from artsync.services.scenarios import get_scenario

    with session(db) as (db_session, actor):
        emit(get_scenario(db_session, actor=actor, train_key=train, key=key), json)


@scenario_app.command("stop")
@handled
def scenario_stop(
    key: Annotated[str, typer.Argument(help="The scenario being solved.")], train: TrainOption = None,
    db: DbOption = None,
) -> None:  # fmt: skip
    """Ask a running solve to stop: it ends with the best plan found so far."""
    from artsync.services.scenarios import stop_solve

    with session(db) as (db_session, actor):
        stop_solve(db_session, actor=actor, train_key=train, key=key)
    console.print(f"Asked the solve of {key} to stop; it keeps the best plan found so far.")


@scenario_app.command("compare")
@handled
def scenario_compare(
    keys: Annotated[
        list[str] | None, typer.Argument(help="Scenarios to compare (all of the PI's when none).", show_default=False)
    ] = None,
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Scenarios side by side, beside the board as it is: milestones, objectives, cost of delay, moves, findings."""
    from artsync.services.scenarios import compare_scenarios
    from artsync.views.scenarios import ComparisonRecord

    with session(db) as (db_session, actor):
        table = compare_scenarios(db_session, actor=actor, train_key=train, keys=keys or [])
    if json:
        output.print_json(console, ComparisonRecord.of(table))
    else:
        console.print(comparison_table(table))


def comparison_table(c: Comparison) -> Table:
    from artsync.domain.scenarios import gap_words

    table = Table(title="Scenarios side by side", title_justify="left",
                  caption="Met: milestones met · Obj.: committed objectives covered · CoD: cost of delay avoided · "
                          "Gap: from the best possible plan", caption_justify="left")  # fmt: skip
    for column in ("Scenario", "State", "Met", "Obj.", "CoD", "Moved", "Err.", "Warn.", "Gap"):
        table.add_column(
            column, justify="left" if column in ("Scenario", "State") else "right", no_wrap=column != "Scenario"
        )
    b = c.board
    table.add_row("The board now", "", f"{b.milestones_met}/{b.milestones}", f"{b.objectives_covered}/{b.objectives}",
                  f"{b.cost_of_delay_avoided:,.0f}", "0", str(b.errors), str(b.warnings), "")  # fmt: skip
    for s in c.scenarios:
        m = s.measures
        if m is None:
            table.add_row(f"{s.key} {escape(s.name)}", s.state, *(["—"] * 7))
            continue
        gap = gap_words(s.gap, short=True)
        table.add_row(f"{s.key} {escape(s.name)}", s.state, f"{m.milestones_met}/{m.milestones}",
                      f"{m.objectives_covered}/{m.objectives}", f"{m.cost_of_delay_avoided:,.0f}", str(m.moved),
                      str(m.errors), str(m.warnings), gap)  # fmt: skip
    return table


@scenario_app.command("list")
@handled
def scenario_list(train: TrainOption = None, json: JsonOption = False, db: DbOption = None) -> None:
    """The scenarios of the current PI."""
    from artsync.services.scenarios import list_scenarios
    from artsync.views.scenarios import ScenarioList, ScenarioRecord

    with session(db) as (db_session, actor):
        found = list_scenarios(db_session, actor=actor, train_key=train)
    if json:
        output.print_json(console, ScenarioList(scenarios=[ScenarioRecord.of(s) for s in found]))
        return
    if not found:
        console.print("No scenario yet: `artsync plan draft`, `artsync plan repair` or `artsync scenario new NAME`.")
    for s in found:
        console.print(f"{s.key} {escape(s.name)} ({s.kind}): {s.state}"
                      + (f", {s.outcome}, {len(s.moves)} moves" if s.outcome else ""), soft_wrap=True)  # fmt: skip


@scenario_app.command("accept")
@handled
def scenario_accept(
    key: Annotated[str, typer.Argument(help="The solved scenario to take.")],
    rationale: Annotated[
        str | None, typer.Option(help="Why the train takes it (in the decision log).", show_default=False)
    ] = None,
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Make the scenario's moves on the board (one event each) and record the decision naming it — all or nothing."""
    from artsync.services.scenarios import accept_scenario

    with session(db) as (db_session, actor):
        taken = accept_scenario(db_session, actor=actor, train_key=train, key=key, rationale=rationale)
    if json:
        emit(taken, json)
    else:
        console.print(f"Accepted {taken.key} {escape(taken.name)}: {len(taken.moves)} cards moved; the decision "
                      "is in the log (`artsync decision list`).")  # fmt: skip
