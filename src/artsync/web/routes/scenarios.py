"""Scenarios over the API: draft, repair and what-if plans, solved in the background, compared, one accepted.

``POST …/scenarios/{skey}/solve`` answers 202 at once: the search runs on the server's solver thread, its
progress goes out on the train's live channel as ``{"type": "progress", "scenario": …, "value", "bound", "gap"}``
and is kept on the scenario (``GET`` it); ``POST …/solve/stop`` ends it with the best plan found so far; the
``scenario solved`` event on the live channel says it is done.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from artsync.domain import limits
from artsync.domain.optimizer import SOLVERS, Progress
from artsync.domain.scenarios import EXAMPLES
from artsync.services.scenarios import (
    MAX_TIME,
    accept_scenario,
    change_scenario,
    compare_scenarios,
    get_scenario,
    list_scenarios,
    new_scenario,
    repair_plan,
    solve_scenario,
    start_solve,
    stop_solve,
)
from artsync.services.transaction import NOTIFY_CHANNEL, WAKE
from artsync.views.scenarios import ComparisonRecord, ScenarioList, ScenarioRecord
from artsync.web.deps import CurrentCaller, Db, wake_boards

router = APIRouter(prefix="/api/v1", tags=["scenarios"])
logger = logging.getLogger("artsync.scenarios")

GRAMMAR = "; ".join(EXAMPLES)  # a team, feature or milestone the change names must be the train's own
SOLVER_PATTERN = f"^({'|'.join(SOLVERS)})$"
SOLVER_HELP = "highs (the default), or cp-sat: OR-Tools' CP-SAT on the same model, when installed on the server"


class ScenarioNew(BaseModel):
    """A scenario to make: its name, kind, the changes it supposes, how long a solve may take."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=limits.NAME)
    kind: str = Field("what-if", pattern="^(draft|repair|what-if)$")
    changes: list[str] = Field(default_factory=list, max_length=50, description=f"each written as: {GRAMMAR}")
    time_limit: float = Field(10.0, gt=0, le=MAX_TIME)
    share: float = Field(1.0, gt=0, le=1.5)
    solver: str = Field("highs", pattern=SOLVER_PATTERN, description=SOLVER_HELP)


class ScenarioChange(BaseModel):
    """One more change to suppose, written as ``capacity Phoenix I2=24``, ``milestone M1 I3``, …"""

    model_config = ConfigDict(extra="forbid")
    change: str = Field(min_length=1, max_length=200, description=f"written as: {GRAMMAR}")


class SolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    time_limit: float | None = Field(None, gt=0, le=MAX_TIME)


class AcceptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rationale: str | None = Field(None, max_length=limits.TEXT)


class RepairRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    time_limit: float = Field(5.0, gt=0, le=60)
    solver: str = Field("highs", pattern=SOLVER_PATTERN, description=SOLVER_HELP)


@router.get("/trains/{key}/scenarios")
def scenarios(key: str, db: Db, caller: CurrentCaller) -> ScenarioList:
    """The current PI's scenarios, oldest first."""
    return ScenarioList(scenarios=[ScenarioRecord.of(s) for s in list_scenarios(db, actor=caller.actor, train_key=key)])


@router.post("/trains/{key}/scenarios", status_code=201)
def create_scenario(key: str, body: ScenarioNew, db: Db, caller: CurrentCaller) -> ScenarioRecord:
    """Start a scenario (the RTE, or whoever facilitates); solve it with ``…/solve``."""
    made = new_scenario(db, actor=caller.actor, train_key=key, name=body.name, kind=body.kind, changes=body.changes,
                        time_limit=body.time_limit, share=body.share, solver=body.solver)  # fmt: skip
    return ScenarioRecord.of(made)


@router.get("/trains/{key}/scenarios/compare")
def compare(key: str, db: Db, caller: CurrentCaller) -> ComparisonRecord:
    """The scenarios side by side, beside the board as it is."""
    return ComparisonRecord.of(compare_scenarios(db, actor=caller.actor, train_key=key))


@router.get("/trains/{key}/scenarios/{skey}")
def read_scenario(key: str, skey: str, db: Db, caller: CurrentCaller) -> ScenarioRecord:
    """One scenario: what it supposes, its progress while it is solved, its answer once it is."""
    return ScenarioRecord.of(get_scenario(db, actor=caller.actor, train_key=key, key=skey))


@router.post("/trains/{key}/scenarios/{skey}/changes")
def add_change(key: str, skey: str, body: ScenarioChange, db: Db, caller: CurrentCaller) -> ScenarioRecord:
    """Suppose one more change (the scenario's answer is dropped: solve it again)."""
    return ScenarioRecord.of(change_scenario(db, actor=caller.actor, train_key=key, key=skey, change=body.change))


@router.post("/trains/{key}/scenarios/{skey}/solve", status_code=202)
def solve(key: str, skey: str, body: SolveRequest, request: Request, db: Db, caller: CurrentCaller) -> ScenarioRecord:
    """Start solving a scenario in the background: answered at once, progress on the live channel."""
    started = start_solve(db, actor=caller.actor, train_key=key, key=skey, time_limit=body.time_limit)
    app = request.app
    app.state.solves.append(app.state.solve_work.submit(solve_in_background, app, caller.actor, key, skey))
    return ScenarioRecord.of(started)


@router.post("/trains/{key}/scenarios/{skey}/solve/stop")
def stop(key: str, skey: str, db: Db, caller: CurrentCaller) -> ScenarioRecord:
    """Ask the running solve to stop: it ends with the best plan found so far."""
    return ScenarioRecord.of(stop_solve(db, actor=caller.actor, train_key=key, key=skey))


@router.post("/trains/{key}/scenarios/{skey}/accept")
def accept(key: str, skey: str, body: AcceptRequest, db: Db, caller: CurrentCaller) -> ScenarioRecord:
    """Make the scenario's moves (one event each, versions checked) and record the decision naming it."""
    return ScenarioRecord.of(accept_scenario(db, actor=caller.actor, train_key=key, key=skey,
                                             rationale=body.rationale))  # fmt: skip


@router.post("/trains/{key}/repair")
def repair(key: str, body: RepairRequest, db: Db, caller: CurrentCaller) -> ScenarioRecord:
    """The fewest moves that clear the errors moves can clear, answered at once (the board's "Suggest a fix")."""
    return ScenarioRecord.of(repair_plan(db, actor=caller.actor, train_key=key, time_limit=body.time_limit,
                                         solver=body.solver))  # fmt: skip


def solve_in_background(app: Any, actor: Any, train: str, key: str) -> None:
    """One solve on the server's solver thread; its progress told to every live board of the train."""
    try:
        with app.state.sessions() as db:
            db.info[WAKE] = functools.partial(wake_boards, app)
            solve_scenario(db, actor=actor, train_key=train, key=key, started=True,
                           on_progress=lambda skey, progress: tell(app, train, skey, progress))  # fmt: skip
    except Exception:  # kept off the request: the scenario is back to "new", and the log says why
        logger.exception("solving scenario %s of %s failed", key, train)


def tell(app: Any, train: str, key: str, progress: Progress) -> None:
    """A solve's progress to the train's live boards: over PostgreSQL's NOTIFY to every server, else to this one's."""
    message = {"type": "progress", "scenario": key, **progress.as_dict()}
    if app.state.relay.echoes:
        with app.state.sessions() as db:
            db.execute(select(func.pg_notify(NOTIFY_CHANNEL, json.dumps({"train": train, "tell": message}))))
            db.commit()
        return
    app.state.hub.tell_threadsafe(train, message)
