"""The forecast of a train's current PI, from its teams' real throughput; and the findings it adds.

Throughput history is what each team finished in the iterations that are over, in every PI the train
has executed: the points of its cards marked done in each past iteration. A PI still in draft or planning
has not started, so its forecast starts from its first iteration.

A forecast is kept per database, train, log position and day, so pages and findings read it again for
free until something changes.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from artsync.domain.findings import Finding, analyze, severity_rank
from artsync.domain.forecast import TRIALS, Forecast, Throughput, forecast, forecast_findings
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Plan
from artsync.errors import InvalidInputError
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.settings import Settings
from artsync.store.mapping import load_plan, pi_value
from artsync.store.models import CardRow, PIRow, TeamRow, TrainRow

CACHE_SIZE = 16
_cache: OrderedDict[tuple[object, ...], tuple[Plan, Forecast]] = OrderedDict()  # with the plan each was made from


@dataclass(frozen=True)
class TrainForecast:
    plan: Plan
    forecast: Forecast
    throughput: dict[str, Throughput]


def current_iteration(pi_row: PIRow, today: date) -> int:
    """The iteration in progress: the first one of a PI not started (or still being planned)."""
    pi = pi_value(pi_row)
    if pi_row.state in ("draft", "planning") or today < pi.start:
        return 1
    for it in pi.iterations:
        if it.contains(today):
            return it.index
    return pi.iteration_count + 1


def throughput_history(db: Session, train: TrainRow, today: date) -> dict[str, Throughput]:
    """Per team, the points done in each iteration that is over, across the PIs the train executed."""
    done = db.execute(
        select(TeamRow.key, CardRow.pi_id, CardRow.iteration, func.sum(CardRow.points))
        .join(TeamRow, CardRow.team_id == TeamRow.id)
        .where(TeamRow.train_id == train.id, CardRow.status == "done", CardRow.iteration.is_not(None))
        .group_by(TeamRow.key, CardRow.pi_id, CardRow.iteration)
    ).all()
    points = {(team, pi, it): int(total) for team, pi, it, total in done}
    pis = db.scalars(
        select(PIRow).where(PIRow.train_id == train.id, PIRow.state.in_(("executing", "closed"))).order_by(PIRow.start)
    ).all()
    past = [(p.id, it.index) for p in pis for it in pi_value(p).iterations if it.end < today and not it.is_ip]
    teams = db.execute(select(TeamRow.key, TeamRow.velocity).where(TeamRow.train_id == train.id)).all()
    return {
        key: Throughput(key, tuple(points.get((key, pi, it), 0) for pi, it in past), velocity)
        for key, velocity in teams
    }


def get_forecast(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    trials: int = TRIALS,
    seed: int = 0,
    today: date | None = None,
    plan: Plan | None = None,
) -> TrainForecast:
    """The forecast of the current PI: when each card, feature, milestone and objective finishes. ``plan``: the
    current PI's plan when the caller has read it already."""
    if not 100 <= trials <= 1_000_000:
        raise InvalidInputError(f"a forecast runs 100 to 1,000,000 trials, not {trials}")
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    return train_forecast(db, train, trials=trials, seed=seed, today=today or date.today(), plan=plan)


def train_forecast(
    db: Session,
    train: TrainRow,
    *,
    trials: int = TRIALS,
    seed: int = 0,
    today: date,
    milestones_only: bool = False,
    plan: Plan | None = None,
) -> TrainForecast:
    """The forecast (or only its milestones: the findings and the cockpit need no more), kept until the log moves.

    ``plan`` is the current PI's plan when the caller has it already.
    """
    pi_row = find_current_pi(db, train)
    plan = plan or load_plan(db, train, pi_row)
    history = throughput_history(db, train, today)
    key = (str(db.get_bind().engine.url), train.id, train.last_seq, pi_row.id, today, trials, seed)
    # A whole forecast answers for the milestones too. The plan is checked as well: a plan read before a change
    # landed is not the plan as of the seq read after it.
    kept = ((*key, False), (*key, milestones_only))
    found = next((k for k in kept if k in _cache and same(_cache[k][0], plan)), None)
    if found is not None:
        _cache.move_to_end(found)
        return TrainForecast(plan, _cache[found][1], history)
    made = forecast(plan, history, now=current_iteration(pi_row, today), trials=trials, seed=seed,
                    milestones_only=milestones_only)  # fmt: skip
    for older in [k for k in _cache if k[:2] == key[:2] and cast(int, k[2]) < train.last_seq]:
        del _cache[older]  # the train moved on: a forecast of 40 teams holds ~7 MiB, one per change adds up
    _cache[(*key, milestones_only)] = plan, made
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return TrainForecast(plan, made, history)


def same(kept: Plan, plan: Plan) -> bool:
    """Whether a forecast made from ``kept`` is one of ``plan`` (the same object, most often: the board's)."""
    return kept is plan or kept == plan


def standing_findings(db: Session, train: TrainRow, plan: Plan, today: date | None = None) -> list[Finding]:
    """What the analysis finds in the plan, and the milestones the forecast puts at risk.

    A milestone the plan itself misses (``milestone-miss``) is not reported at risk as well.
    """
    found = analyze(plan)
    missed = {f.items[0] for f in found if f.kind == "milestone-miss"}
    threshold = Settings().milestone_risk_threshold
    outlook = train_forecast(db, train, today=today or date.today(), milestones_only=True, plan=plan).forecast
    risky = forecast_findings(plan, outlook, threshold)
    found += [f for f in risky if f.items[0] not in missed]
    return sorted(found, key=lambda f: (severity_rank(f.severity), f.kind, f.items))
