"""Scenarios of the PI plan: drafted, repaired or what-if, solved by the optimizer, compared, and one accepted.

A scenario supposes changes (``domain/scenarios.py``) and asks the optimizer (``domain/optimizer.py``) for the
best plan under them. Solving runs outside any transaction — it takes seconds — and keeps the scenario row up to
date with the search's progress; anyone may ask it to stop, and the best plan found so far is kept. Every answer
is checked by the findings analysis before it is claimed. Accepting makes the scenario's moves through the
board's own write path (each card's version checked: a card moved since the solve refuses the whole accept) and
takes one decision naming the scenario, in one transaction.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from artsync.domain import optimizer
from artsync.domain.events import Entity
from artsync.domain.findings import ERROR, analyze
from artsync.domain.optimizer import Outcome, Progress, Settings, Solution
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Plan, next_key, split_card_ref
from artsync.domain.scenarios import Measures, Supposition, first_to_come, measure, parse, suppose, uncleared
from artsync.errors import ConflictError, InvalidInputError, NotFoundError
from artsync.services.cards import find_card, moved_to, new_card
from artsync.services.meetings import decide_row, new_decision
from artsync.services.permissions import authorize
from artsync.services.trains import find_current_pi, find_train
from artsync.services.transaction import transaction
from artsync.services.writes import Write, writing
from artsync.store.mapping import load_plan, utc_now
from artsync.store.models import CardRow, EventRow, FeatureRow, ScenarioRow, TeamRow, TrainRow

KINDS = ("draft", "repair", "what-if")
REPAIR_MOVE_COST = 1000.0  # a repair: a move costs more than any gain in cost of delay: the fewest moves
PROGRESS_EVERY = 0.5  # seconds between two writes of a running solve's progress
MAX_TIME = 600.0
STALE_AFTER = 60.0  # seconds past its time limit after which a solve still marked running is taken as interrupted


@dataclass(frozen=True)
class Move:
    """A card the scenario places elsewhere than the board does (``version``: the card's, when it was solved)."""

    ref: str
    before: int | None
    after: int | None
    version: int
    added: int | None = None  # a card the scenario adds to the board: its points


@dataclass(frozen=True)
class Scenario:
    """A scenario as every face shows it."""

    key: str
    name: str
    kind: str
    state: str  # new | solving | solved | stopped | accepted
    changes: tuple[str, ...]
    time_limit: float
    share: float
    outcome: str | None = None  # optimal | feasible | infeasible | unsolved
    value: float | None = None
    bound: float | None = None
    gap: float | None = None
    moves: tuple[Move, ...] = ()
    unmet: tuple[str, ...] = ()  # due features no plan delivers in time, and why
    uncleared: tuple[str, ...] = ()  # error findings no move clears (a cycle, a dependency declared broken)
    measures: Measures | None = None
    progress: dict[str, Any] | None = None
    created_by: str = ""
    version: int = 1
    solver: str = "highs"  # optimizer.SOLVERS


def scenario_value(row: ScenarioRow) -> Scenario:
    result = row.result or {}
    measures = result.get("measures")
    return Scenario(
        row.key,
        row.name,
        row.kind,
        "interrupted" if interrupted(row) else row.state,
        tuple(str(Supposition.from_dict(c)) for c in row.changes or []),
        float((row.settings or {}).get("time_limit", 10.0)),
        float((row.settings or {}).get("share", 1.0)),
        result.get("outcome"),
        result.get("value"),
        result.get("bound"),
        result.get("gap"),
        tuple(Move(m["ref"], m["before"], m["after"], m["version"], m.get("added")) for m in result.get("moves", [])),
        tuple(result.get("unmet", [])),
        tuple(result.get("uncleared", [])),
        Measures(**measures) if measures else None,
        dict(row.progress) if row.progress else None,
        row.created_by,
        row.version,
        str((row.settings or {}).get("solver", "highs")),
    )


def interrupted(row: ScenarioRow, now: datetime | None = None) -> bool:
    """A solve marked running that ended without an answer — its server stopped — well past its time limit: it
    may be solved again or changed."""
    started = (row.progress or {}).get("started")
    if row.state != "solving" or not started:
        return False
    limit = float((row.settings or {}).get("time_limit", 10.0)) + STALE_AFTER
    return ((now or utc_now()) - datetime.fromisoformat(started)).total_seconds() > limit


def scenario_state(row: ScenarioRow) -> dict[str, Any]:
    """How a scenario is shown in the event log."""
    result = row.result or {}
    return {"key": row.key, "name": row.name, "kind": row.kind, "state": row.state,
            "changes": [str(Supposition.from_dict(c)) for c in row.changes or []],
            "outcome": result.get("outcome"), "moves": len(result.get("moves", []))}  # fmt: skip


def find_scenario(db: Session, train: TrainRow, key: str) -> ScenarioRow:
    row = db.scalars(select(ScenarioRow).where(ScenarioRow.train_id == train.id, ScenarioRow.key == key)).first()
    if row is None:
        raise NotFoundError(f"no scenario {key!r} on {train.key}; `artsync scenario list` shows them")
    return row


def new_scenario(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    name: str,
    kind: str = "what-if",
    changes: Sequence[str] = (),
    time_limit: float = 10.0,
    share: float = 1.0,
    solver: str = "highs",
) -> Scenario:
    """A scenario of the current PI's plan, supposing ``changes`` (written as ``domain/scenarios.EXAMPLES``), to be
    solved by ``solver`` (one of ``optimizer.SOLVERS``)."""
    if kind not in KINDS:
        raise InvalidInputError(f"kind: a scenario is one of {', '.join(KINDS)}, not {kind!r}")
    if not name.strip():
        raise InvalidInputError("name: a scenario needs a name")
    check_settings(time_limit, share)
    check_solver(solver)
    suppositions = [parsed(text) for text in changes]
    with writing(db, actor=actor, train_key=train_key, may=Action.FACILITATE) as w:
        plan = load_plan(db, w.train, w.pi)
        check_suppositions(plan, suppositions)
        taken = db.scalars(select(ScenarioRow.key).where(ScenarioRow.train_id == w.train.id))
        row = ScenarioRow(train_id=w.train.id, pi_id=w.pi.id, key=next_key("S", taken), name=name.strip()[:200],
                          kind=kind, changes=[s.as_dict() for s in suppositions],
                          settings={"time_limit": time_limit, "share": share, "seed": Settings().seed,
                                    "solver": solver},
                          state="new", stop=False, progress={}, result={}, created_by=actor.name,
                          created_at=utc_now())  # fmt: skip
        db.add(row)
        db.flush()
        w.record(Entity.SCENARIO, row.key, "created", before=None, after=scenario_state(row))
    return scenario_value(row)


def check_settings(time_limit: float, share: float) -> None:
    if not 0 < time_limit <= MAX_TIME:
        raise InvalidInputError(f"time: a solve may take from a moment to {MAX_TIME:g} seconds, not {time_limit:g}")
    if not 0 < share <= 1.5:
        raise InvalidInputError(f"share: the share of capacity to plan is above 0 and at most 1.5, not {share:g}")


def check_solver(name: str) -> None:
    """Refuse a solver that is unknown or not installed here, saying what to do."""
    if (missing := optimizer.missing_solver(name)) is not None:
        raise InvalidInputError(missing)


def parsed(text: str) -> Supposition:
    try:
        return parse(text)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def check_suppositions(plan: Plan, suppositions: list[Supposition]) -> Plan:
    try:
        return suppose(plan, suppositions)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def change_scenario(
    db: Session, *, actor: Actor, train_key: str | None, key: str, change: str, version: int | None = None
) -> Scenario:
    """Suppose one more change in a scenario; its answer, if any, is dropped (solve it again)."""
    supposition = parsed(change)
    with writing(db, actor=actor, train_key=train_key, may=Action.FACILITATE) as w:
        row = claimed(w, find_scenario(db, w.train, key))
        check_changeable(row)
        changes = [*(row.changes or []), supposition.as_dict()]
        check_suppositions(load_plan(db, w.train, w.pi), [Supposition.from_dict(c) for c in changes])
        cleared = {"changes": changes, "state": "new", "result": {}, "progress": {}}
        w.update(row, entity=Entity.SCENARIO, entity_id=row.key, action="changed", expected=version,
                 state=scenario_state, changes=cleared)  # fmt: skip
    return scenario_value(row)


def claimed(w: Write, row: ScenarioRow) -> ScenarioRow:
    """``row`` locked until commit and read as it is now: of simultaneous solves or accepts, one goes first and
    the others see what it did."""
    w.claim(row, what=f"scenario {row.key}", expected=None, state=scenario_state)
    return row


def check_changeable(row: ScenarioRow) -> None:
    if row.state == "solving" and not interrupted(row):
        raise ConflictError(f"scenario {row.key} is being solved; stop it first (`artsync scenario stop {row.key}`)")
    if row.state == "accepted":
        raise ConflictError(f"scenario {row.key} was accepted; start a new one to go on from the board as it is")


def get_scenario(db: Session, *, actor: Actor, train_key: str | None, key: str) -> Scenario:
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    return scenario_value(find_scenario(db, train, key))


def list_scenarios(db: Session, *, actor: Actor, train_key: str | None) -> list[Scenario]:
    """The scenarios of the train's current PI, oldest first."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    pi = find_current_pi(db, train)
    rows = db.scalars(select(ScenarioRow).where(ScenarioRow.pi_id == pi.id).order_by(ScenarioRow.id))
    return [scenario_value(row) for row in rows]


def start_solve(
    db: Session, *, actor: Actor, train_key: str | None, key: str, time_limit: float | None = None
) -> Scenario:
    """Mark a scenario as being solved (so no other solve starts it): the first half of ``solve_scenario``, for a
    caller that runs the search in the background."""
    with writing(db, actor=actor, train_key=train_key, may=Action.FACILITATE) as w:
        row = claimed(w, find_scenario(db, w.train, key))
        check_changeable(row)
        settings = dict(row.settings or {})
        check_solver(str(settings.get("solver", "highs")))  # OR-Tools may have gone since the scenario was made
        if time_limit is not None:
            check_settings(time_limit, float(settings.get("share", 1.0)))
            settings["time_limit"] = time_limit
        changes = {
            "state": "solving",
            "stop": False,
            "progress": {"started": utc_now().isoformat()},
            "settings": settings,
        }
        w.update(row, entity=Entity.SCENARIO, entity_id=row.key, action="solving", expected=None,
                 state=scenario_state, changes=changes)  # fmt: skip
    return scenario_value(row)


def solve_scenario(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    key: str,
    time_limit: float | None = None,
    started: bool = False,
    on_progress: Callable[[str, Progress], None] | None = None,
    today: date | None = None,
) -> Scenario:
    """Solve a scenario: the best plan under its changes within its time limit, checked by the findings analysis.

    ``started``: ``start_solve`` marked it already. ``on_progress`` hears the search's progress now and then (the
    live boards). A stop asked for meanwhile (``stop_solve``) ends the search with the best plan found so far.
    """
    if not started:
        start_solve(db, actor=actor, train_key=train_key, key=key, time_limit=time_limit)
    try:
        train = find_train(db, train_key)
        row = find_scenario(db, train, key)
        board = load_plan(db, train, find_current_pi(db, train))
        versions = card_versions(db, row)
        db.rollback()  # no transaction stays open while the search runs
        plan = check_suppositions(board, [Supposition.from_dict(c) for c in row.changes or []])
        settings = solve_settings(row, board, today or date.today())
        watch = Watching(db, row.id, train.key, key, on_progress, (row.progress or {}).get("started"))
        solution = optimizer.optimize(plan, settings, watch, clock=time.monotonic)
        result = answer(solution, board, versions, settings.first)
    except BaseException:
        db.rollback()
        with transaction(db):
            db.execute(update(ScenarioRow).where(ScenarioRow.id == row_id(db, train_key, key)).values(state="new"))
        raise
    with writing(db, actor=actor, train_key=train_key) as w:
        row = find_scenario(db, w.train, key)
        state = "stopped" if row.stop else "solved"
        w.update(row, entity=Entity.SCENARIO, entity_id=row.key, action="solved", expected=None,
                 state=scenario_state,
                 changes={"state": state, "result": result, "solved_at": utc_now(), "progress": {}})  # fmt: skip
    return scenario_value(row)


def row_id(db: Session, train_key: str | None, key: str) -> int:
    return find_scenario(db, find_train(db, train_key), key).id


def solve_settings(row: ScenarioRow, board: Plan, today: date) -> Settings:
    """How a scenario is solved: its time limit and share of capacity, what a move costs for its kind, and — for a
    PI under way — the iterations that are over, where nothing moves."""
    settings = row.settings or {}
    first = first_to_come(board, today)
    move_cost = {"draft": 0.0, "repair": REPAIR_MOVE_COST}.get(row.kind) or what_if_move_cost(board)
    return Settings(share=float(settings.get("share", 1.0)), time_limit=float(settings.get("time_limit", 10.0)),
                    seed=int(settings.get("seed", Settings().seed)), move_cost=move_cost, first=first,
                    solver=str(settings.get("solver", "highs")))  # fmt: skip


def what_if_move_cost(plan: Plan) -> float:
    """What a move costs a what-if: one iteration of the median feature's cost of delay — the best plan under its
    changes, a card moved only where that gains as much (the train's own scale: WSJF inputs are relative)."""
    return max(1.0, statistics.median([f.wsjf.cost_of_delay for f in plan.features] or [1.0]))


def card_versions(db: Session, row: ScenarioRow) -> dict[str, int]:
    """Each card's version on the board now: an accept refuses a card moved since."""
    query = (
        select(FeatureRow.key, TeamRow.key, CardRow.version)
        .join(FeatureRow, CardRow.feature_id == FeatureRow.id)
        .join(TeamRow, CardRow.team_id == TeamRow.id)
        .where(CardRow.pi_id == row.pi_id)
    )
    return {f"{feature}@{team}": version for feature, team, version in db.execute(query)}


class Watching:
    """The search's watcher: writes its progress to the scenario every PROGRESS_EVERY seconds, tells the live
    boards, and stops the search when someone asked."""

    def __init__(
        self,
        db: Session,
        row_id: int,
        train: str,
        key: str,
        tell: Callable[[str, Progress], None] | None,
        started: str | None,
    ) -> None:
        self.db, self.row_id, self.train, self.key, self.tell = db, row_id, train, key, tell
        self.started = {"started": started} if started else {}
        self.last = 0.0

    def __call__(self, progress: Progress) -> bool:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return False
        self.last = now
        with transaction(self.db):
            mine = ScenarioRow.id == self.row_id
            self.db.execute(update(ScenarioRow).where(mine).values(progress={**progress.as_dict(), **self.started}))
            stop = bool(self.db.scalar(select(ScenarioRow.stop).where(mine)))
        if self.tell is not None:
            self.tell(self.key, progress)
        return stop


def answer(solution: Solution, board: Plan, versions: dict[str, int], first: int) -> dict[str, Any]:
    """The scenario's result: the optimizer's answer, checked by the findings analysis before it is claimed."""
    findings = analyze(solution.plan)
    excused = {u.feature for u in solution.unmet}
    left = uncleared(findings, solution.plan, first)
    claimed = [f for f in findings if f.severity == ERROR and f not in left and not excused & set(f.items)]
    if claimed and solution.outcome in (Outcome.OPTIMAL, Outcome.FEASIBLE):
        # The optimizer's rules and the analysis disagree: never claim a plan the analysis rejects.
        raise InvalidInputError(f"the optimizer's plan breaks a rule it should keep: {claimed[0].message}")
    was = {c.ref: c.iteration for c in board.cards}
    now: dict[str, int | None] = {c.ref: None for c in board.cards}  # a card the scenario drops leaves the board
    now.update({c.ref: c.iteration for c in solution.plan.cards})
    points = {c.ref: c.points for c in solution.plan.cards}
    moves = [{"ref": ref, "before": was.get(ref), "after": at, "version": versions.get(ref, 0),
              "added": None if ref in was else points[ref]}
             for ref, at in now.items() if ref not in was or was[ref] != at]  # fmt: skip
    finite = solution.outcome is not Outcome.UNSOLVED
    return {
        "outcome": solution.outcome.value,
        "value": solution.value if finite else None,
        "bound": solution.bound if abs(solution.bound) < float("inf") else None,
        "gap": solution.gap if solution.gap < float("inf") else None,
        "moves": moves,
        "unmet": [str(u) for u in solution.unmet],
        "uncleared": [f.message for f in left],
        "measures": measure(solution.plan, board, findings).as_dict(),
    }


def stop_solve(db: Session, *, actor: Actor, train_key: str | None, key: str) -> Scenario:
    """Ask the running solve of a scenario to stop: it ends with the best plan found so far."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.FACILITATE)
    with transaction(db):
        row = find_scenario(db, train, key)
        if row.state != "solving" or interrupted(row):
            raise ConflictError(f"scenario {key} is not being solved (it is {scenario_value(row).state})")
        db.execute(update(ScenarioRow).where(ScenarioRow.id == row.id).values(stop=True))
    db.expire_all()
    return scenario_value(find_scenario(db, train, key))


@dataclass(frozen=True)
class Comparison:
    """Scenarios side by side, beside the board as it is."""

    board: Measures
    scenarios: tuple[Scenario, ...]


def compare_scenarios(
    db: Session, *, actor: Actor, train_key: str | None, keys: Sequence[str] = (), plan: Plan | None = None
) -> Comparison:
    """The measures of the board now and of each solved scenario (all of the PI's, or ``keys``). ``plan``: the
    current PI's plan when the caller has read it already."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.READ)
    board = plan or load_plan(db, train, find_current_pi(db, train))
    chosen = [get_scenario(db, actor=actor, train_key=train.key, key=k) for k in keys] if keys else [
        s for s in list_scenarios(db, actor=actor, train_key=train.key)]  # fmt: skip
    return Comparison(measure(board, board), tuple(chosen))


def accept_scenario(
    db: Session, *, actor: Actor, train_key: str | None, key: str, rationale: str | None = None
) -> Scenario:
    """Make the scenario's moves on the board — one event per card moved, each card's version checked against the
    one it was solved from — and take one decision naming the scenario; all in one transaction, or nothing."""
    with writing(db, actor=actor, train_key=train_key, may=Action.FACILITATE) as w:
        row = claimed(w, find_scenario(db, w.train, key))
        if row.state not in ("solved", "stopped"):
            raise ConflictError(f"scenario {key} is {row.state}: only a solved scenario can be accepted")
        if row.pi_id != w.pi.id:
            raise ConflictError(f"scenario {key} is of another PI than the current one")
        value = scenario_value(row)
        if value.outcome in ("unsolved", None):
            raise ConflictError(f"scenario {key} found no plan to accept")
        make_moves(w, value.moves)
        decision = new_decision(w, f"Which plan does the train take for {w.pi.key}?", None, None)
        what = f"Accepted scenario {row.key} '{row.name}' ({row.kind}): {len(value.moves)} cards moved"
        if value.changes:
            what += f", supposing {'; '.join(value.changes)}"
        decide_row(w, decision, what, rationale, [row.key, *(m.ref for m in value.moves)])
        w.update(row, entity=Entity.SCENARIO, entity_id=row.key, action="accepted", expected=None,
                 state=scenario_state, changes={"state": "accepted"})  # fmt: skip
    return scenario_value(row)


def make_moves(w: Write, moves: Sequence[Move]) -> None:
    """Each move through the board's own write path: the card's team may move it, its version is the one solved."""
    for move in moves:
        if move.added is not None:
            feature, team = split_card_ref(move.ref)
            new_card(w, feature, team, move.added, move.after)
            continue
        card = find_card(w.db, w.train, w.pi, move.ref)
        w.check_iteration(move.after)
        moved_to(w, card, move.ref, move.after, move.version)


def draft_plan(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    time_limit: float = 10.0,
    on_progress: Callable[[str, Progress], None] | None = None,
    today: date | None = None,
    solver: str = "highs",
) -> Scenario:
    """A full proposal for the PI, as a new scenario (nothing changes until it is accepted)."""
    made = new_scenario(db, actor=actor, train_key=train_key, name="Draft", kind="draft", time_limit=time_limit,
                        solver=solver)  # fmt: skip
    return solve_scenario(db, actor=actor, train_key=train_key, key=made.key, on_progress=on_progress, today=today)


def standing_repair(db: Session, actor: Actor, train_key: str | None, today: date) -> Scenario | None:
    """The PI's last repair, if it is solved today and only scenarios changed in the log since."""
    train = find_train(db, train_key)
    authorize(actor, train.key, Action.FACILITATE)
    pi = find_current_pi(db, train)
    row = db.scalars(select(ScenarioRow).where(ScenarioRow.pi_id == pi.id, ScenarioRow.kind == "repair")
                     .order_by(ScenarioRow.id.desc()).limit(1)).first()  # fmt: skip
    if row is None or row.state != "solved" or row.changes or row.solved_at is None or row.solved_at.date() != today:
        return None
    logged = EventRow.train_id == train.id
    solved = db.scalar(select(func.max(EventRow.seq)).where(
        logged, EventRow.entity == "scenario", EventRow.entity_id == row.key, EventRow.action == "solved"))  # fmt: skip
    if solved is None:
        return None
    since = select(EventRow.id).where(logged, EventRow.seq > solved, EventRow.entity != "scenario").limit(1)
    return None if db.scalar(since) is not None else scenario_value(row)


def repair_plan(
    db: Session,
    *,
    actor: Actor,
    train_key: str | None,
    time_limit: float = 10.0,
    changes: Sequence[str] = (),
    today: date | None = None,
    solver: str = "highs",
) -> Scenario:
    """The fewest moves that clear every error finding that moves can clear, as a new scenario; what cannot be
    cleared is said, and why. Asked again before anything but scenarios changed (the board's "Suggest a fix",
    clicked twice), the same day: the standing repair."""
    if not changes and (standing := standing_repair(db, actor, train_key, today or date.today())) is not None:
        return standing
    made = new_scenario(db, actor=actor, train_key=train_key, name="Repair", kind="repair", time_limit=time_limit,
                        changes=changes, solver=solver)  # fmt: skip
    return solve_scenario(db, actor=actor, train_key=train_key, key=made.key, today=today)
