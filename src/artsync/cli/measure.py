"""Measuring and forecasting from the terminal: the forecast of milestones and objectives."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from artsync.cli import output
from artsync.cli.common import DbOption, JsonOption, TrainOption, console, session
from artsync.cli.planning import parse_date

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
    from artsync.io.views import forecast_json
    from artsync.services.forecast import get_forecast

    with session(db) as (db_session, actor):
        found = get_forecast(db_session, actor=actor, train_key=train, trials=trials, seed=seed,
                             today=parse_date(today, "--today") if today else None)  # fmt: skip
    if json:
        output.print_json(console, forecast_json(found))
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


def progress_command(pi: PiOption = None, train: TrainOption = None, json: JsonOption = False,
                     db: DbOption = None) -> None:  # fmt: skip
    """Points done against planned per iteration, for every team and the train, and the least-done features."""
    from artsync.io.measures_view import measures_json
    from artsync.services.measures import get_measures

    with session(db) as (db_session, actor):
        found = get_measures(db_session, actor=actor, train_key=train, pi_key=pi)
    if json:
        data = measures_json(found)
        output.print_json(console, {k: data[k] for k in ("train", "pi", "committed", "progress", "features")})
        return
    console.print(output.progress_table(found))
    console.print(output.features_progress_table(found))


def predictability_command(pi: PiOption = None, train: TrainOption = None, json: JsonOption = False,
                           db: DbOption = None) -> None:  # fmt: skip
    """Actual business value of all objectives over planned value of the committed ones, per team and train,
    for every PI the train has had (target 80–100%)."""
    from artsync.io.measures_view import measures_json
    from artsync.services.measures import get_measures

    with session(db) as (db_session, actor):
        found = get_measures(db_session, actor=actor, train_key=train, pi_key=pi)
    if json:
        data = measures_json(found)
        output.print_json(console, {k: data[k] for k in ("train", "pi", "predictability", "trend")})
        return
    console.print(output.predictability_table(found))


def drift_command(pi: PiOption = None, train: TrainOption = None, json: JsonOption = False,
                  db: DbOption = None) -> None:  # fmt: skip
    """What moved against the committed baseline: slips, scope added and removed, dependencies broken — and who."""
    from artsync.io.measures_view import measures_json
    from artsync.services.measures import get_measures

    with session(db) as (db_session, actor):
        found = get_measures(db_session, actor=actor, train_key=train, pi_key=pi)
    if json:
        data = measures_json(found)
        output.print_json(console, {k: data[k] for k in ("train", "pi", "committed", "drift", "drift_totals")})
        return
    if found.baseline is None:
        console.print(f"PI {found.plan.pi.key} is not committed yet: drift is measured against its baseline.")
        return
    console.print(output.drift_table(found))
