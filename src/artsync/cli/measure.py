"""Measuring and forecasting from the terminal: the forecast of milestones and objectives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from artsync.cli import output
from artsync.cli.common import DbOption, JsonOption, TrainOption, console, handled, session
from artsync.cli.planning import parse_date

if TYPE_CHECKING:
    from artsync.services.measures import Measures

TodayOption = Annotated[
    str | None, typer.Option("--today", help="Forecast as of this day (YYYY-MM-DD).", show_default=False)
]


def forecast_command(
    trials: Annotated[int, typer.Option(help="Monte Carlo trials.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Same seed, same answer.")] = 0,
    cards: Annotated[bool, typer.Option("--cards", help="Also every feature's forecast.")] = False,
    today: TodayOption = None,
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """When each milestone and objective will be done: the chance of making it, and when it is 85% likely."""
    from artsync.services.forecast import get_forecast
    from artsync.views.board import Forecast

    with session(db) as (db_session, actor):
        found = get_forecast(db_session, actor=actor, train_key=train, trials=trials, seed=seed,
                             today=parse_date(today, "--today") if today else None)  # fmt: skip
    if json:
        output.print_json(console, Forecast.of(found))
        return
    console.print(output.forecast_table(found, "milestones"))
    console.print(output.forecast_table(found, "objectives"))
    if cards:
        console.print(output.forecast_table(found, "features"))
    f = found.forecast
    history = {t: len(v.history) for t, v in found.throughput.items()}
    source = "their history" if any(history.values()) else "their velocity (no finished iterations yet)"
    console.print(
        Text(
            f"{f.trials:,} trials, seed {f.seed}, from iteration {f.now}; teams' throughput from {source}.", style="dim"
        )
    )


PiOption = Annotated[str | None, typer.Option("--pi", help="The PI; by default the current one.", show_default=False)]


def read_measures(
    db: str | None, train: str | None, pi: str | None, json: bool, parts: tuple[str, ...]
) -> Measures | None:
    """The PI's measures; with ``json``, print those ``parts`` of them and give None."""
    from artsync.services.measures import get_measures
    from artsync.views.measures import Measures as MeasuresView

    with session(db) as (db_session, actor):
        found = get_measures(db_session, actor=actor, train_key=train, pi_key=pi)
    if not json:
        return found
    data = MeasuresView.of(found).json_value()
    output.print_json(console, {k: data[k] for k in ("train", "pi", *parts)})
    return None


def progress_command(pi: PiOption = None, train: TrainOption = None, json: JsonOption = False,
                     db: DbOption = None) -> None:  # fmt: skip
    """Points done against planned per iteration, for every team and the train, and the least-done features."""
    found = read_measures(db, train, pi, json, ("committed", "progress", "features"))
    if found is not None:
        console.print(output.progress_table(found))
        console.print(output.features_progress_table(found))


def predictability_command(pi: PiOption = None, train: TrainOption = None, json: JsonOption = False,
                           db: DbOption = None) -> None:  # fmt: skip
    """Actual business value of all objectives over planned value of the committed ones, per team and train,
    for every PI the train has had (target 80–100%)."""
    found = read_measures(db, train, pi, json, ("predictability", "trend"))
    if found is not None:
        console.print(output.predictability_table(found))


def drift_command(pi: PiOption = None, train: TrainOption = None, json: JsonOption = False,
                  db: DbOption = None) -> None:  # fmt: skip
    """What moved against the committed baseline: slips, scope added and removed, dependencies broken — and who."""
    found = read_measures(db, train, pi, json, ("committed", "drift", "drift_totals"))
    if found is None:
        return
    if found.baseline is None:
        console.print(f"PI {found.plan.pi.key} is not committed yet: drift is measured against its baseline.")
    elif not found.drift:
        console.print(f"Nothing moved against the baseline of PI {found.plan.pi.key}.")
    else:
        console.print(output.drift_table(found))


report_app = typer.Typer(help="Reports for the train's stakeholders.", no_args_is_help=True)
workshop_app = typer.Typer(help="The problem-solving workshop at Inspect & Adapt.", no_args_is_help=True)


@report_app.command("pi")
@handled
def report_pi(
    pi: PiOption = None,
    format: Annotated[str, typer.Option("--format", help="html, md or csv (a folder of CSV files).")] = "html",
    out: Annotated[
        str | None,
        typer.Option("--output", "-o", help="The file (or folder for csv); - for stdout.", show_default=False),
    ] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """The PI report: objectives and business value, predictability and its trend, burn-up, drift, the forecast,
    risks, conflicts and decisions, improvement items."""
    from pathlib import Path

    from artsync.errors import InvalidInputError
    from artsync.services.report import pi_report
    from artsync.views.report import csv_text, report_html, report_markdown, tables

    if format not in ("html", "md", "csv"):
        raise InvalidInputError(f"--format is html, md or csv, not {format!r}")
    with session(db) as (db_session, actor):
        made = pi_report(db_session, actor=actor, train_key=train, pi_key=pi)
    name = f"pi-report-{made.measures.plan.train.key}-{made.measures.plan.pi.key}"
    if format == "csv":
        folder = Path(out or name)
        folder.mkdir(parents=True, exist_ok=True)
        every = tables(made)
        for table, rows in every.items():
            (folder / f"{table}.csv").write_text(csv_text(rows), encoding="utf-8")
        console.print(f"Wrote {len(every)} CSV files to {folder}/.")
        return
    text = report_html(made) if format == "html" else report_markdown(made)
    if out == "-":
        console.file.write(text)
        return
    path = Path(out or f"{name}.{format}")
    path.write_text(text, encoding="utf-8")
    console.print(f"Wrote the PI report to {path}.")


@workshop_app.command("problem")
@handled
def workshop_problem(
    text: Annotated[str, typer.Argument(help="What went wrong, as a fact.")],
    team: Annotated[str | None, typer.Option(help="The team, if it is one team's.", show_default=False)] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Bring a problem to the workshop."""
    from artsync.services.workshop import add_problem

    with session(db) as (db_session, actor):
        made = add_problem(db_session, actor=actor, train_key=train, text=text, team=team)
    console.print(f"Problem [bold]{made.key}[/]: ask why (`artsync workshop cause {made.key} TEXT`).")


@workshop_app.command("cause")
@handled
def workshop_cause(
    key: Annotated[str, typer.Argument(help="The problem, e.g. P2.")],
    text: Annotated[str, typer.Argument(help="The cause.")],
    category: Annotated[
        str,
        typer.Option(
            help="why (the next of the five whys), or a fishbone bone: people, process, tools, program, environment."
        ),
    ] = "why",
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Add a root cause: the next "why?", or a cause on the fishbone."""
    from artsync.services.workshop import add_cause

    with session(db) as (db_session, actor):
        made = add_cause(db_session, actor=actor, train_key=train, key=key, text=text, category=category)
    console.print(f"{made.key}: {len(made.whys)} whys, {sum(len(v) for v in made.fishbone.values())} fishbone causes.")


@workshop_app.command("improve")
@handled
def workshop_improve(
    key: Annotated[str, typer.Argument(help="The problem, e.g. P2.")],
    title: Annotated[str, typer.Argument(help="The improvement item.")],
    feature: Annotated[
        str | None, typer.Option("--key", help="Its backlog key; by default IMP-<n>.", show_default=False)
    ] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Put an improvement item into the ART backlog for the next PI."""
    from artsync.services.workshop import add_improvement

    with session(db) as (db_session, actor):
        made = add_improvement(db_session, actor=actor, train_key=train, key=key, title=title, feature_key=feature)
    console.print(f"{made.improvements[-1]} is in the ART backlog (score it in the next WSJF session).")


@workshop_app.command("list")
@handled
def workshop_list(pi: PiOption = None, train: TrainOption = None, json: JsonOption = False,
                  db: DbOption = None) -> None:  # fmt: skip
    """The workshop's problems with their root causes and improvement items."""
    from artsync.services.workshop import list_problems
    from artsync.views.measures import ProblemList, WorkshopProblem

    with session(db) as (db_session, actor):
        found = list_problems(db_session, actor=actor, train_key=train, pi_key=pi)
    if json:
        output.print_json(console, ProblemList(problems=[WorkshopProblem.of(p) for p in found]))
        return
    for p in found:
        console.print(f"[bold]{p.key}[/] {p.text}" + (f" ({p.team})" if p.team else ""))
        for n, why in enumerate(p.whys, start=1):
            console.print(f"  why {n}: {why}")
        for bone, causes in p.fishbone.items():
            console.print(f"  {bone}: {'; '.join(causes)}")
        if p.improvements:
            console.print(f"  → {', '.join(p.improvements)}")
    if not found:
        console.print("No problems brought to the workshop yet.")
