"""Plan it for me: the PI plan that avoids the most cost of delay, as a mixed-integer program (HiGHS).

Plan in, plan out. Each card is placed in one iteration of its team, or left unplanned, such that:

- a team's load in an iteration is at most ``share`` of its capacity; above 80% of it each point costs a
  penalty (room for the unexpected);
- nothing is planned in the IP iteration;
- a provider finishes in an earlier iteration than its consumer — in the same one only at a penalty
  ("at risk"); a consumer is planned only if its provider is;
- the features a milestone needs are delivered (every card planned) by the milestone's iteration;
- the cards of a committed objective's features are planned.

A feature is delivered in the iteration of its last card. The objective is the cost of delay avoided: each
feature's cost of delay (user/business value + time criticality + risk reduction) times the iterations from
its delivery to the end of the PI, counting the delivery's own (a feature delivered in the last iteration
before the IP iteration avoids one iteration's), minus the penalties and — when repairing — ``move_cost`` for
each card not where the current plan has it. The answer always carries the solver's proven bound and the gap.

A draft of a train of more than NEIGHBOURHOOD_TEAMS teams is searched two ways at once, one per core: the whole
model by HiGHS on a thread of its own (``Companion``: the bound), and neighbourhoods of a few teams re-planned
with the rest of the train held (``improve``: good plans from the first second, on 40 teams too), which takes up
the solver's better plans as they come.
"""

from __future__ import annotations

import math
import os
import random
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from artsync.domain.board import NEAR_CAPACITY
from artsync.domain.plan import Card, Plan

if TYPE_CHECKING:  # the solver and NumPy load at the first search: a web worker that never solves keeps ~17 MiB
    import highspy
    import numpy as np

SAME_ITERATION = 5.0  # the penalty of a provider finishing in its consumer's iteration
OVER_NEAR = 0.5  # the penalty per point planned above NEAR_CAPACITY of a team's capacity

# The search of neighbourhoods (``improve``): a few teams' cards re-planned at a time, the rest held.
NEIGHBOURHOOD_TEAMS = 4  # teams freed at once at most (one first; one more each time every team was tried in vain)
NEIGHBOURHOOD_TIME = 0.3  # seconds one neighbourhood's problem may take, per team in it
LAST_START = 0.5  # seconds before its deadline after which the search of neighbourhoods begins no other
FINISH_WAIT = 0.5  # seconds the whole model's search is given to stop when the time is up
WRAP_UP = 0.2  # seconds kept, of the time limit, to put the answer together
# The rows of what a team can deliver by each iteration (``Model.delivered_by_capacity``) go into whole models of at
# most this many cards: on larger ones the solver does not finish its root node in the time, and in a neighbourhood
# (most of it held) they only slow the many small searches.
CUT_ROWS_CARDS = 1_000

SOLVERS = ("highs", "cp-sat")
# CP-SAT takes whole coefficients only: a continuous column is counted in hundredths of a point, the objective
# in thousandths.
CP_HUNDREDTHS = 100
CP_OBJECTIVE = 1000


def missing_solver(name: str) -> str | None:
    """Why the solver ``name`` cannot be used here, or None when it can."""
    if name not in SOLVERS:
        return f"solver: one of {', '.join(SOLVERS)}, not {name!r}"
    if name == "cp-sat":
        import importlib.util

        if importlib.util.find_spec("ortools") is None:
            return "solver: cp-sat needs OR-Tools, which is not installed here (pip install 'artsync[cp-sat]')"
    return None


class Outcome(StrEnum):
    OPTIMAL = "optimal"  # proven: no plan avoids more
    FEASIBLE = "feasible"  # the best found within the time; the gap says how far it may be from the best
    INFEASIBLE = "infeasible"  # no plan meets every hard rule
    UNSOLVED = "unsolved"  # the time ran out before a plan was found


@dataclass(frozen=True)
class Settings:
    share: float = 1.0  # of each team's capacity that may be planned
    time_limit: float = 10.0  # seconds
    seed: int = 7
    move_cost: float = 0.0  # per card moved from the given plan (a repair); 0: a draft
    first: int = 1  # the first iteration still to come: cards before it (and done ones) stay; none is put before it
    solver: str = "highs"  # or "cp-sat": OR-Tools' CP-SAT, when installed, on the same model


@dataclass(frozen=True)
class Unmet:
    """A feature the plan must deliver by an iteration that no plan keeping the rules delivers by then."""

    feature: str
    due: int  # the iteration it is due by
    wanted_by: tuple[str, ...]  # "milestone M1 Beta", "committed objective O1"
    why: str

    def __str__(self) -> str:
        return f"{self.feature} by I{self.due} ({', '.join(self.wanted_by)}): {self.why}"


@dataclass(frozen=True)
class Solution:
    """A plan the solver proposes, what it avoids, and how far it may be from the best one."""

    outcome: Outcome
    plan: Plan
    value: float  # the objective: cost of delay avoided, less penalties (and moves)
    bound: float  # the solver's proven upper bound on any plan's value
    moved: tuple[str, ...]  # the cards placed elsewhere than in the given plan
    unmet: tuple[Unmet, ...] = ()  # when infeasible: what no plan delivers in time, and why; the plan meets the rest

    @property
    def gap(self) -> float:
        """How far the plan may be from the best, as a share of the bound (0: proven optimal)."""
        if self.outcome is Outcome.UNSOLVED or not math.isfinite(self.value) or not math.isfinite(self.bound):
            return float("inf")  # no plan found, or (infeasible) none that keeps every rule
        return gap_between(self.value, self.bound)


def gap_between(value: float, bound: float) -> float:
    """How far a plan of ``value`` may be from the best, as a share of the proven ``bound`` (0: proven optimal)."""
    return 0.0 if bound <= 0 else max(0.0, (bound - value) / abs(bound))


@dataclass(frozen=True)
class Progress:
    """How a search stands: the best plan's value so far (None before one is found) and the proven bound."""

    value: float | None
    bound: float

    @property
    def gap(self) -> float | None:
        if self.value is None or not math.isfinite(self.bound):
            return None
        return gap_between(self.value, self.bound)

    def as_dict(self) -> dict[str, float | None]:
        """Plain JSON values: the scenario keeps them, the live channel sends them (no bound yet: None)."""
        return {"value": self.value, "bound": self.bound if math.isfinite(self.bound) else None, "gap": self.gap}


Watch = Callable[[Progress], bool]  # told how a search stands, now and then; True stops it (its best plan kept)
Clock = Callable[[], float]  # seconds, monotonic (the caller's: the domain reads no clock of its own)


def cost_of_delay_avoided(plan: Plan) -> float:
    """What a plan avoids, by the measure the optimizer maximises (without penalties)."""
    planned = [it.index for it in plan.pi.iterations if not it.is_ip]
    last = max(planned, default=0)
    total = 0.0
    by_feature = plan.cards_by_feature
    for feature in plan.features:
        cards = by_feature.get(feature.key, [])
        if cards and all(c.iteration is not None for c in cards):
            delivered = max(c.iteration for c in cards if c.iteration is not None)
            total += feature.wsjf.cost_of_delay * sum(1 for i in planned if delivered <= i <= last)
    return total


def value_of(plan: Plan) -> float:
    """A plan's value as the optimizer counts it (without moves): cost of delay avoided, less the penalties."""
    at = {c.ref: c.iteration for c in plan.cards}
    same = sum(
        1 for d in plan.dependencies if at.get(d.consumer) is not None and at.get(d.consumer) == at.get(d.provider)
    )
    load: dict[tuple[str, int], int] = {}
    for card in plan.cards:
        if card.iteration is not None:
            load[card.team, card.iteration] = load.get((card.team, card.iteration), 0) + card.points
    teams = plan.teams_by_key
    over = sum(max(0.0, used - NEAR_CAPACITY * teams[team].capacity(i))
               for (team, i), used in load.items() if team in teams)  # fmt: skip
    return cost_of_delay_avoided(plan) - SAME_ITERATION * same - OVER_NEAR * over


def optimize(
    plan: Plan, settings: Settings = Settings(), watch: Watch | None = None, clock: Clock | None = None
) -> Solution:
    """The plan that avoids the most cost of delay under the rules (see the module), within the time limit.

    The search starts from the best plan that keeps the hard rules among a few (``starting_plan``). When no plan
    keeps them all, the answer is the plan that misses the fewest due features, each named with why (``unmet``).
    Given a ``clock`` to keep to the time limit by, a draft of a train larger than one neighbourhood is searched
    two ways at once (``Model.search``); without one, by the whole model alone.
    """
    began = clock() if clock else 0.0  # the time limit counts from here: building the model takes some of it
    model = Model(plan, settings, watch=watch, clock=clock)
    solution = model.search(plan, began)
    if solution.outcome is not Outcome.INFEASIBLE:
        return solution
    # No plan keeps every rule: the plan that misses the fewest due features, and why each is missed.
    elastic = Model(plan, settings, elastic=True, watch=watch)
    found = elastic.search(plan)
    chosen = elastic.chosen
    missed = {key for key, column in elastic.missed.items() if chosen and chosen[column] > 0.5}
    unmet = explain(plan, sorted(missed), settings.share, settings.first)
    return replace(found, outcome=Outcome.INFEASIBLE, unmet=tuple(unmet))


def explain(plan: Plan, missed: list[str], share: float = 1.0, first: int = 1) -> list[Unmet]:
    """Why each of the ``missed`` features cannot be delivered by its due iteration."""
    due, wanted = mandatory(plan), wanted_by(plan)
    iterations = [it.index for it in plan.pi.iterations if not it.is_ip]
    by_feature, teams = plan.cards_by_feature, plan.teams_by_key
    found: list[Unmet] = []
    for key in missed:
        by, why = due[key], ""
        late = [c for c in by_feature.get(key, []) if not fixed(c, first) or c.iteration is None or c.iteration > by]
        if by < first and late:
            why = f"I{by} is over and {', '.join(c.ref for c in late)} was not done by then"
        for card in by_feature.get(key, []):
            if why or card.team not in teams:
                why = why or f"{card.ref}: the team {card.team} is not on the train"
                continue
            needed = sum(
                c.points for k, d in due.items() if d <= by for c in by_feature.get(k, []) if c.team == card.team
            )
            rooms = [share * teams[card.team].capacity(i) for i in iterations if i <= by]
            room = sum(rooms)
            if card.points > max(rooms, default=0.0):
                why = (f"{card.ref} ({card.points} points) fits in no iteration of {card.team} by I{by}: "
                       f"at most {max(rooms, default=0.0):g} points in one")  # fmt: skip
            elif needed > room:
                why = (f"the features due by I{by} need {needed:g} points of {card.team} by then, "
                       f"which has {room:g}")  # fmt: skip
        found.append(Unmet(key, by, tuple(wanted.get(key, ())), why or "it does not fit beside the other features due"))
    return found


def wanted_by(plan: Plan) -> dict[str, list[str]]:
    """What asks for each feature the plan must deliver: milestones and committed objectives, by name."""
    wanted: dict[str, list[str]] = {}
    for milestone in plan.milestones:
        for key in milestone.features:
            wanted.setdefault(key, []).append(f"milestone {milestone.key} {milestone.name} (I{milestone.iteration})")
    for objective in plan.objectives:
        if objective.committed:
            for key in objective.features:
                wanted.setdefault(key, []).append(f"committed objective {objective.key}")
    return wanted


def starting_plan(model: Model, plan: Plan) -> Plan | None:
    """The best of the plans the search may start from: the WSJF greedy, the greedy in the order the LP relaxation
    prefers and — for a repair — the given plan itself, among those that keep the placement rules: the fewest due
    features missed first (the search of neighbourhoods may deliver them yet), then the most value."""
    settings = model.settings
    starts = [wsjf_greedy(plan, settings.share, settings.first),
              greedy(plan, model.preferred(), settings.share, settings.first)]  # fmt: skip
    if settings.move_cost:
        starts.append(plan)
    kept = [start for start in starts if keeps_placement_rules(start, settings.share, settings.first)]
    return min(kept, key=lambda p: score(p, plan, settings)) if kept else None


def score(plan: Plan, given: Plan, settings: Settings) -> tuple[int, float]:
    """How good a plan is, smaller better: the due features it misses, then its value less its moves' cost."""
    cost = settings.move_cost * len(moves(given, plan)) if settings.move_cost else 0.0  # a draft's moves are free
    return len(missed_due(plan)), -(value_of(plan) - cost)


def improve(model: Model, start: Plan, until: float, companion: Companion, clock: Clock) -> tuple[Plan, bool]:
    """A large-neighbourhood search from ``start`` (a draft): a few linked teams at a time re-planned at their
    best by the solver, every other card held where it is; a better plan is kept. One team at a time first (many
    small, quick problems); once every team was tried in vain, one more team at a time (joint moves). Until
    ``until`` (by ``clock``), until ``companion`` has its answer, or until the watcher stops it (then ``True``).
    """
    settings, plan = model.settings, model.plan
    best, best_score = start, score(start, plan, settings)
    rng = random.Random(settings.seed)
    links = team_links(plan)
    seeds: list[str] = []
    size, quiet = 1, 0  # teams at a time; neighbourhoods tried in a row that found nothing better
    while True:
        # Told now and after each neighbourhood: the better plan of the two searches, the lower bound.
        if model.told(both(None if best_score[0] else -best_score[1], companion.progress, model.relaxed)):
            companion.stop.set()
            return best, True
        if clock() >= until - LAST_START or companion.done.is_set():
            return best, False
        theirs = companion.better_than(-best_score[1]) if not best_score[0] else None
        if theirs is not None and keeps_placement_rules(theirs, settings.share, settings.first):
            best, best_score, size, quiet = theirs, score(theirs, plan, settings), 1, 0  # new ground: small steps
        if not seeds:
            seeds = sorted(links)
            rng.shuffle(seeds)
        group = grouped(seeds.pop(), size, links, rng)
        sub, pinned = neighbourhood(best, group, settings.first)
        left = min(NEIGHBOURHOOD_TIME * size, until - clock())
        # Elastic: a due feature the plan misses may stay missed (at a cost), so the neighbourhood has a plan.
        part = Model(sub, replace(settings, time_limit=max(0.1, left)), pinned=pinned, elastic=True)
        part.start_from(sub)
        found = part.solve()
        quiet += 1
        if found.outcome in (Outcome.OPTIMAL, Outcome.FEASIBLE):
            candidate = best.with_cards({c.ref: c for c in found.plan.cards if c.ref not in pinned})
            better = score(candidate, plan, settings)
            kept = keeps_placement_rules(candidate, settings.share, settings.first)
            if better < (best_score[0], best_score[1] - 1e-6) and kept:
                best, best_score, quiet = candidate, better, 0
        if quiet >= len(links):
            size, quiet = min(size + 1, NEIGHBOURHOOD_TEAMS, len(links)), 0


def both(mine: float | None, heard: Progress, relaxed: float) -> Progress:
    """The progress of the two searches together: the better plan's value, the lower bound."""
    values = [v for v in (mine, heard.value) if v is not None]
    return Progress(max(values, default=None), min(relaxed, heard.bound))


class Companion:
    """The whole model searched by the solver on a thread of its own (the solver lets go of Python's lock while
    it runs), until its time limit, until it is sure, or until asked to stop; its progress kept for the other."""

    def __init__(self, plan: Plan, settings: Settings, start: Plan | None = None) -> None:
        self.stop, self.done = threading.Event(), threading.Event()
        self.progress = Progress(None, math.inf)
        self.solution: Solution | None = None
        self.model = Model(plan, settings, watch=self.hear)
        if start is not None and not missed_due(start):
            self.model.start_from(start)
        # The solver's better plans, for the neighbourhoods to start from. (The other way, the neighbourhoods' plans
        # handed to the solver as it dives, made its own heuristics find less on the art demo.)
        self.found: tuple[float, list[float]] | None = None  # the solver's best plan so far: value, columns
        self.model.h.cbMipImprovingSolution += self.improving
        self.thread = threading.Thread(target=self.run, name="artsync-optimizer", daemon=True)
        self.thread.start()

    def hear(self, progress: Progress) -> bool:
        self.progress = progress
        return self.stop.is_set()

    def improving(self, event: highspy.highs.HighsCallbackEvent) -> None:
        self.found = float(event.data_out.objective_function_value), list(event.data_out.mip_solution)

    def better_than(self, value: float) -> Plan | None:
        """The solver's best plan, when it is worth more than ``value``."""
        found = self.found
        if found is None or found[0] <= value + 1e-6:
            return None
        return self.model.plan.with_cards(self.model.placed(found[1])[0])

    def run(self) -> None:
        try:
            self.solution = self.model.solve()
        finally:
            self.done.set()

    def finish(self, until: float, clock: Clock, tell: Callable[[Progress], bool]) -> Solution | None:
        """Its answer once it has one or ``until`` (by ``clock``) comes, when it is asked to stop — or when
        ``tell``, told its progress meanwhile, says so; None if the solver does not stop within a moment (it may be
        deep in a long step, where it asks nobody: it ends by itself, its bound so far in ``progress``)."""
        while self.thread.is_alive() and (left := until - clock()) > 0:
            self.thread.join(timeout=min(left, FINISH_WAIT / 2))
            if self.thread.is_alive() and tell(self.progress):
                break
        self.stop.set()
        self.thread.join(timeout=FINISH_WAIT)
        return self.solution


def team_links(plan: Plan) -> dict[str, dict[str, int]]:
    """How strongly each team is linked to each other: the features and dependencies they share."""
    team_of = {c.ref: c.team for c in plan.cards}
    links: dict[str, dict[str, int]] = {t.key: {} for t in plan.teams}
    shared = [{c.team for c in cards} for cards in plan.cards_by_feature.values()]
    shared += [{team_of[d.consumer], team_of[d.provider]} for d in plan.dependencies
               if d.consumer in team_of and d.provider in team_of]  # fmt: skip
    for teams in shared:
        for a in teams & links.keys():
            for b in teams - {a}:
                links[a][b] = links[a].get(b, 0) + 1
    return links


def grouped(seed: str, size: int, links: dict[str, dict[str, int]], rng: random.Random) -> frozenset[str]:
    """``seed`` and the teams most linked to the group, one by one, until it has ``size`` teams."""
    group = [seed]
    while len(group) < size:
        strength: dict[str, int] = {}
        for member in group:
            for other, n in links[member].items():
                if other not in group and other in links:
                    strength[other] = strength.get(other, 0) + n
        others = sorted(k for k in links if k not in group)
        if not others:
            break
        group.append(max(others, key=lambda k: (strength.get(k, 0), rng.random())))
    return frozenset(group)


def neighbourhood(plan: Plan, teams: frozenset[str], first: int) -> tuple[Plan, frozenset[str]]:
    """The part of ``plan`` a neighbourhood re-plans: every card of ``teams``, the features they are part of and
    the cards they depend on or that depend on them, with all the cards of those features; every card not of
    ``teams`` is held (pinned) where it is."""
    free = {c.ref for c in plan.cards if c.team in teams and not fixed(c, first)}
    near = set(free)
    for d in plan.dependencies:
        if d.consumer in free or d.provider in free:
            near.update((d.consumer, d.provider))
    cards = plan.cards_by_ref
    features = {c.feature for c in plan.cards if c.team in teams} | {cards[r].feature for r in near if r in cards}
    kept = tuple(c for c in plan.cards if c.feature in features)
    refs = {c.ref for c in kept}
    part = replace(
        plan,
        features=tuple(f for f in plan.features if f.key in features),
        cards=kept,
        dependencies=tuple(d for d in plan.dependencies if d.consumer in refs and d.provider in refs),
    )
    return part, frozenset(refs - free)


def moves(before: Plan, after: Plan) -> list[str]:
    """The cards ``after`` places elsewhere than ``before``."""
    was = {c.ref: c.iteration for c in before.cards}
    return [c.ref for c in after.cards if was.get(c.ref) != c.iteration]


def mandatory(plan: Plan) -> dict[str, int]:
    """The features a plan must deliver, each with the last iteration it may be delivered in: a milestone's by
    the milestone's iteration, a committed objective's by the end of the PI."""
    last = max((it.index for it in plan.pi.iterations if not it.is_ip), default=0)
    due: dict[str, int] = {}
    for objective in plan.objectives:
        if objective.committed:
            for key in objective.features:
                due[key] = min(due.get(key, last), last)
    for milestone in plan.milestones:
        for key in milestone.features:
            due[key] = min(due.get(key, last), milestone.iteration)
    return due


def fixed(card: Card, first: int) -> bool:
    """A card no plan moves: done, or in an iteration that is over."""
    return card.iteration is not None and (card.iteration < first or card.status == "done")


def keeps_hard_rules(plan: Plan, share: float = 1.0, first: int = 1) -> bool:
    """Whether a plan keeps every rule the optimizer may not break (it may pay to bend the soft ones)."""
    return keeps_placement_rules(plan, share, first) and not missed_due(plan)


def keeps_placement_rules(plan: Plan, share: float = 1.0, first: int = 1) -> bool:
    """The hard rules but the due features': nothing in the IP iteration, no team over ``share`` of its capacity,
    no consumer planned before its provider or without it — the iterations before ``first`` and the cards that
    stay (``fixed``) being history, not choices."""
    ip = {it.index for it in plan.pi.iterations if it.is_ip}
    at = {c.ref: c.iteration for c in plan.cards}
    load: dict[tuple[str, int], float] = {}
    for card in plan.cards:
        if card.iteration in ip and not fixed(card, first):
            return False
        if card.iteration is not None and card.iteration >= first:
            load[card.team, card.iteration] = load.get((card.team, card.iteration), 0.0) + card.points
    teams = plan.teams_by_key
    if any(key not in teams or used > share * teams[key].capacity(i) + 1e-9 for (key, i), used in load.items()):
        return False
    cards = plan.cards_by_ref
    for dep in plan.dependencies:
        consumer, provider = at.get(dep.consumer), at.get(dep.provider)
        late = consumer is not None and dep.provider in at and (provider is None or provider > consumer)
        if late and not fixed(cards[dep.consumer], first):
            return False
    return True


def missed_due(plan: Plan) -> list[str]:
    """The features the plan must deliver (``mandatory``) that it does not deliver by their due iteration."""
    by_feature = plan.cards_by_feature
    return [key for key, due in mandatory(plan).items()
            if any(c.iteration is None or c.iteration > due for c in by_feature.get(key, []))]  # fmt: skip


def wsjf_greedy(plan: Plan, share: float = 1.0, first: int = 1) -> Plan:
    """What a person would do by hand: the features the plan must deliver first (milestones' by their dates, then
    committed objectives'), then the rest in WSJF order."""
    from artsync.domain.wsjf import rank

    return greedy(plan, [f.key for f in rank(plan.features)], share, first)


def greedy(plan: Plan, order: list[str], share: float = 1.0, first: int = 1) -> Plan:
    """Features one by one — the ones the plan must deliver first, by their due iteration, then ``order`` — each
    card in the earliest iteration of its team with room left and after its providers, the features of providers
    not yet planned planned first; a feature whose cards do not all fit (by its due iteration) is left unplanned,
    and so are the providers planned for it."""
    iterations = [it.index for it in plan.pi.iterations if not it.is_ip]
    if not iterations:
        return plan
    teams = plan.teams_by_key
    left = {(t.key, i): share * t.capacity(i) for t in plan.teams for i in iterations}
    at: dict[str, int | None] = {c.ref: c.iteration if fixed(c, first) else None for c in plan.cards}
    for card in plan.cards:
        if fixed(card, first) and (card.team, card.iteration) in left:
            left[card.team, card.iteration] -= card.points  # type: ignore[index]
    iterations = [i for i in iterations if i >= first] or iterations[-1:]
    needs: dict[str, list[str]] = {}
    for d in plan.dependencies:
        if d.provider in at and d.provider != d.consumer:
            needs.setdefault(d.consumer, []).append(d.provider)
    by_feature, cards = plan.cards_by_feature, plan.cards_by_ref

    def place(key: str, last: int, chosen: dict[str, int], by: dict[str, int], trying: set[str], gap: int) -> bool:
        """Place the cards of ``key`` by iteration ``last`` (a card in ``by``: by its iteration there) into
        ``chosen``, the features they wait for first, ``gap`` iterations after them (0: in the same one, at risk)."""
        trying.add(key)
        mine = [c for c in by_feature.get(key, []) if chosen.get(c.ref, at[c.ref]) is None]
        while mine:
            ready = [c for c in mine if all(chosen.get(p, at[p]) is not None for p in needs.get(c.ref, []))]
            if not ready:  # a provider elsewhere not planned yet: plan its feature first, to finish before
                waiting = [(c, p) for c in mine for p in needs.get(c.ref, [])
                           if chosen.get(p, at[p]) is None and cards[p].feature not in trying]  # fmt: skip
                if not waiting:
                    return False
                for c, p in waiting:
                    by[p] = min(by.get(p, last), by.get(c.ref, last), last) - gap
                if not place(cards[waiting[0][1]].feature, iterations[-1], chosen, by, trying, gap):
                    return False
                continue
            card = ready[0]
            after = [chosen.get(p, at[p]) for p in needs.get(card.ref, [])]
            earliest = max((i + gap for i in after if i is not None), default=iterations[0])
            latest = min(last, by.get(card.ref, last))
            fits = [i for i in iterations if earliest <= i <= latest and left.get((card.team, i), 0.0) >= card.points]
            if not fits or card.team not in teams:
                return False
            chosen[card.ref] = fits[0]
            left[card.team, fits[0]] -= card.points
            mine.remove(card)
        return True

    def planned(key: str, gap: int = 1) -> bool:
        chosen: dict[str, int] = {}
        if place(key, due.get(key, iterations[-1]), chosen, {}, set(), gap):
            at.update(chosen)
            return True
        for ref, i in chosen.items():  # not all of it fits: none of it is planned
            left[cards[ref].team, i] += cards[ref].points
        return False

    due = mandatory(plan)
    soonest = sorted(due, key=lambda key: (due[key], key))
    missed = [key for key in soonest if not planned(key)]
    while missed:  # a due feature whose providers were planned since, for another, may fit now
        missed, before = [key for key in missed if not planned(key)], missed
        if missed == before:
            break
    missed = [key for key in missed if not planned(key, gap=0)]  # a provider in the same iteration: at risk
    for key in order:
        if key not in due:
            planned(key)
    return plan.with_cards({c.ref: replace(c, iteration=at[c.ref]) for c in plan.cards})


BANNER = threading.Lock()
banner_shown = False


def new_highs() -> highspy.Highs:
    """A HiGHS instance. The first one of a process writes HiGHS's banner straight to the standard output, whatever
    its options say: that one is made with the output pointed elsewhere, so a command's output stays its own."""
    global banner_shown
    import highspy

    with BANNER:
        if banner_shown:
            return highspy.Highs()  # type: ignore[no-untyped-call]  # highspy ships no types for it
        sys.stdout.flush()
        kept = os.dup(1)
        try:
            with open(os.devnull, "w") as nowhere:
                os.dup2(nowhere.fileno(), 1)
                h = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(kept, 1)
            os.close(kept)
        banner_shown = True
        return h


class Model:
    """The mixed-integer program of a plan: x[card, iteration] binary, one column per pair, and the rows; built in
    Python lists and handed to HiGHS in one piece."""

    def __init__(
        self,
        plan: Plan,
        settings: Settings,
        *,
        elastic: bool = False,
        watch: Watch | None = None,
        pinned: frozenset[str] = frozenset(),
        clock: Clock | None = None,
    ) -> None:
        self.plan, self.settings, self.elastic, self.watch = plan, settings, elastic, watch
        self.clock = clock  # seconds, monotonic: a large draft's searches keep to the time limit by it
        self.pinned = pinned  # cards held where the plan has them (the rest of the train, in a neighbourhood)
        self.relaxed = math.inf  # the LP relaxation's value, once solved: a proven bound
        self.iterations = [it.index for it in plan.pi.iterations if not it.is_ip]
        self.cards = list(plan.cards)
        self.costs: list[float] = []
        self.uppers: list[float] = []
        self.lowers: list[float] = []
        self.integer: list[int] = []
        self.lower_rows: list[float] = []
        self.upper_rows: list[float] = []
        self.starts: list[int] = []
        self.indices: list[int] = []
        self.values: list[float] = []
        self.x: dict[tuple[int, int], int] = {}
        self.stays: dict[int, int] = {}  # card → its "stays unplanned" column (a repair)
        self.over: list[tuple[list[int], int, float, int]] = []  # cards, iteration, near load, column
        self.same: list[tuple[int, int, int, int]] = []  # consumer, provider, iteration, column
        self.delivered: dict[tuple[str, int], int] = {}
        self.missed: dict[str, int] = {}  # elastic: a due feature → its "missed" column
        self.chosen: list[float] = []  # the solution's column values, once solved
        self.start: list[float] = []  # the columns of the plan the search was given to start from, if any
        self.began: float | None = None  # when the time limit began to count, by the clock
        self.build()
        self.h = self.highs(relaxed=False)

    @property
    def columns(self) -> int:
        return len(self.costs)

    def column(self, cost: float, upper: float = 1.0, integer: bool = True, lower: float = 0.0) -> int:
        self.costs.append(cost)
        self.uppers.append(upper)
        self.lowers.append(lower)
        if integer:
            self.integer.append(len(self.costs) - 1)
        return len(self.costs) - 1

    def row(self, lower: float, upper: float, terms: Mapping[int, float]) -> None:
        self.starts.append(len(self.indices))
        self.indices.extend(terms)
        self.values.extend(terms.values())
        self.lower_rows.append(lower)
        self.upper_rows.append(upper)

    def build(self) -> None:
        plan, settings, inf = self.plan, self.settings, math.inf
        iterations = self.iterations
        # x[n, i]: card n finishes in iteration i. A repair pays ``move_cost`` to keep a card where it is (so a
        # move costs it); the constant is taken off the value again in ``solve``.
        for n, card in enumerate(self.cards):
            stays = fixed(card, settings.first)
            pinned = stays or card.ref in self.pinned
            for i in iterations:
                # A card that is done or in an iteration that is over stays; none goes into one that is over.
                upper = 0.0 if (pinned and card.iteration != i) or (not pinned and i < settings.first) else 1.0
                lower = 1.0 if pinned and card.iteration == i else 0.0
                self.x[n, i] = self.column(settings.move_cost if card.iteration == i else 0.0, upper, lower=lower)
            one = {self.x[n, i]: 1.0 for i in iterations}
            if settings.move_cost and card.iteration is None:
                self.stays[n] = self.column(settings.move_cost)  # stays unplanned
                one[self.stays[n]] = 1.0
            self.row(-inf, 1, one)  # one iteration, or unplanned
        by_then = {  # card n planned by iteration j: the sum of these
            (n, j): {self.x[n, i]: -1.0 for i in iterations if i <= j}
            for n in range(len(self.cards))
            for j in iterations
        }
        # The cost of delay avoided: y[f, j] = 1 when feature f is delivered by iteration j (so by j + 1 too).
        index = {c.ref: n for n, c in enumerate(self.cards)}
        by_feature: dict[str, list[int]] = {}
        for n, card in enumerate(self.cards):
            by_feature.setdefault(card.feature, []).append(n)
        for feature in plan.features:
            mine = by_feature.get(feature.key, [])
            if not mine:
                continue
            earlier = None
            for j in iterations:
                y = self.delivered[feature.key, j] = self.column(float(feature.wsjf.cost_of_delay))
                for n in mine:  # y ≤ card n planned by j
                    self.row(-inf, 0, {y: 1.0, **by_then[n, j]})
                if earlier is not None:
                    self.row(-inf, 0, {earlier: 1.0, y: -1.0})
                earlier = y
        # Capacity: hard at ``share``, a penalty per point above NEAR_CAPACITY.
        for team in plan.teams:
            mine = [n for n, c in enumerate(self.cards) if c.team == team.key]
            for i in iterations:
                if i < settings.first:
                    continue  # an iteration that is over: its load is history, not a choice
                capacity = team.capacity(i)
                load = {self.x[n, i]: float(self.cards[n].points) for n in mine if self.cards[n].points}
                if not load:
                    continue
                self.row(-inf, settings.share * capacity, load)
                over = self.column(-OVER_NEAR, upper=inf, integer=False)
                self.over.append((mine, i, NEAR_CAPACITY * capacity, over))
                self.row(-inf, NEAR_CAPACITY * capacity, {**load, over: -1.0})
        self.delivered_by_capacity()
        # Dependencies: the provider by the consumer's iteration; in the same one (not before it) at a penalty.
        for dep in plan.dependencies:
            consumer, provider = index.get(dep.consumer), index.get(dep.provider)
            if consumer is None or provider is None or consumer == provider:
                continue
            if fixed(self.cards[consumer], settings.first):
                continue  # the consumer stays where it is: when its provider came is history too
            for j in iterations:
                # Cumulative: the consumer planned by j (not only in j) needs its provider by j; the same plans, but
                # the LP relaxation cannot plan a whole consumer on half a provider.
                consumer_by = {column: -value for column, value in by_then[consumer, j].items()}
                self.row(-inf, 0, {**consumer_by, **by_then[provider, j]})
                same = self.column(-SAME_ITERATION)
                self.same.append((consumer, provider, j, same))
                before = {self.x[provider, i]: -1.0 for i in iterations if i < j}
                self.row(-inf, 0, {self.x[consumer, j]: 1.0, **before, same: -1.0})
        # The features the plan must deliver (milestones', committed objectives'), by their due iteration; elastic:
        # each may be missed, at a cost above all the value any plan can have (so as few as can be are missed).
        missing = 1.0 + sum(f.wsjf.cost_of_delay for f in plan.features) * len(iterations)
        for key, due in mandatory(plan).items():
            if self.elastic and by_feature.get(key):
                self.missed[key] = self.column(-missing)
            for n in by_feature.get(key, []):
                by_due = {self.x[n, i]: 1.0 for i in iterations if i <= due}
                if key in self.missed:
                    by_due[self.missed[key]] = 1.0
                self.row(1, inf, by_due)

    def delivered_by_capacity(self) -> None:
        """Rows the rules imply but the solver would not see: the features a team delivers by iteration j weigh, in
        its points, at most what the team can do up to j. The LP relaxation is no tighter for them, but the
        solver's cover cuts on these rows (whole features, not cards, against a whole prefix of the PI) close
        about a fifth of the gap left at the root on the art demo."""
        first, share = self.settings.first, self.settings.share
        if self.pinned or len(self.cards) > CUT_ROWS_CARDS:
            return
        for team in self.plan.teams:
            weight: dict[str, int] = {}
            history: dict[int, int] = {}  # the load of the iterations that are over: what it was
            for card in self.cards:
                if card.team == team.key:
                    weight[card.feature] = weight.get(card.feature, 0) + card.points
                    if card.iteration is not None and card.iteration < first:
                        history[card.iteration] = history.get(card.iteration, 0) + card.points
            room = 0.0
            for j in self.iterations:
                room += history.get(j, 0) if j < first else share * team.capacity(j)
                terms = {self.delivered[key, j]: float(points) for key, points in weight.items()
                         if points and (key, j) in self.delivered}  # fmt: skip
                if len(terms) > 1:  # points are whole: so is what fits
                    self.row(-math.inf, math.floor(room + 1e-9), terms)

    def highs(self, *, relaxed: bool) -> highspy.Highs:
        """HiGHS holding the model (``relaxed``: its LP relaxation, every column continuous)."""
        import highspy
        import numpy as np

        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.columns, len(self.lower_rows)
        lp.col_cost_ = np.array(self.costs)
        lp.col_lower_ = np.array(self.lowers)
        lp.col_upper_ = np.array(self.uppers)
        lp.row_lower_ = np.array(self.lower_rows)
        lp.row_upper_ = np.array(self.upper_rows)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
        lp.a_matrix_.start_ = np.array([*self.starts, len(self.indices)], dtype=np.int32)
        lp.a_matrix_.index_ = np.array(self.indices, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(self.values)
        lp.sense_ = highspy.ObjSense.kMaximize
        if not relaxed:
            integrality = [highspy.HighsVarType.kContinuous] * self.columns
            for column in self.integer:
                integrality[column] = highspy.HighsVarType.kInteger
            lp.integrality_ = integrality
        h = new_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", float(self.settings.time_limit))
        h.setOptionValue("random_seed", int(self.settings.seed))
        h.setOptionValue("threads", 1)  # the same seed and time limit give the same plan
        h.passModel(lp)
        return h

    def preferred(self) -> list[str]:
        """The features in the order the LP relaxation prefers them: the most delivered first, then the most cost
        of delay per point."""
        import highspy

        h = self.highs(relaxed=True)
        h.setOptionValue("solver", "ipm")  # an interior point method: on the 40-team train, half the simplex's time
        h.run()
        solved = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        values = h.getSolution().col_value if solved else []
        if solved:
            self.relaxed = float(h.getInfo().objective_function_value)
        points: dict[str, int] = {}
        for card in self.cards:
            points[card.feature] = points.get(card.feature, 0) + card.points
        share: dict[str, float] = {}
        for (key, _), column in self.delivered.items():
            share[key] = share.get(key, 0.0) + (values[column] if len(values) else 0.0)
        features = self.plan.features_by_key
        density = {key: features[key].wsjf.cost_of_delay / max(1, points.get(key, 0)) for key in features}
        return sorted(features, key=lambda key: (-round(share.get(key, 0.0), 6), -density[key], key))

    def start_from(self, plan: Plan) -> None:
        """Give the solver ``plan`` (a placement that keeps the hard rules) as the plan to beat."""
        import highspy

        solution = highspy.HighsSolution()
        solution.col_value = self.start = list(self.values_of(plan))
        self.h.setSolution(solution)

    def values_of(self, plan: Plan) -> np.ndarray:
        """The model's columns for ``plan``."""
        import numpy as np

        at = {c.ref: c.iteration for c in plan.cards}
        values = np.zeros(self.columns)
        for (n, i), column in self.x.items():
            values[column] = 1.0 if at.get(self.cards[n].ref) == i else 0.0
        for n, column in self.stays.items():
            values[column] = 1.0 if at.get(self.cards[n].ref) is None else 0.0
        by_feature = plan.cards_by_feature
        for (key, j), column in self.delivered.items():
            when = [c.iteration for c in by_feature.get(key, [])]
            values[column] = 1.0 if all(i is not None and i <= j for i in when) else 0.0
        for cards, i, near, column in self.over:
            load = sum(self.cards[n].points for n in cards if at.get(self.cards[n].ref) == i)
            values[column] = max(0.0, load - near)
        for consumer, provider, j, column in self.same:
            both = at.get(self.cards[consumer].ref) == j and at.get(self.cards[provider].ref) == j
            values[column] = 1.0 if both else 0.0
        for key in set(missed_due(plan)) & set(self.missed):
            values[self.missed[key]] = 1.0
        return values

    def heard(self, event: highspy.highs.HighsCallbackEvent) -> None:
        """The solver's news: passed on to ``watch`` (in the plan's terms), which may stop the search."""
        out, constant = event.data_out, self.settings.move_cost * len(self.cards)
        found = out.mip_primal_bound if math.isfinite(out.mip_primal_bound) else None
        progress = Progress(None if found is None else float(found) - constant, float(out.mip_dual_bound) - constant)
        if self.told(progress):
            event.interrupt()

    def search(self, plan: Plan, began: float | None = None) -> Solution:
        """Solve, starting from the best plan at hand that keeps the rules (see ``starting_plan``).

        A draft of a train larger than one neighbourhood is searched two ways at once: the whole model by the
        solver on a second thread (``Companion``: its bound, and perhaps the best plan), and neighbourhoods of a
        few teams on this one (``improve``: good plans soon, on the largest trains too). The answer is the better
        plan, with the whole model's bound or the LP relaxation's, whichever is lower. The time limit counts from
        ``began`` (by the clock) when given: the caller's start, before the model was built.
        """
        limit, clock = self.settings.time_limit, self.clock
        self.began = began
        large = (not self.elastic and not self.settings.move_cost and self.settings.solver == "highs"
                 and len(self.plan.teams) > NEIGHBOURHOOD_TEAMS)  # fmt: skip
        given = max(limit / 2, limit - FINISH_WAIT - WRAP_UP)  # the time a search may take: the rest, for it to stop
        deadline = (began if began is not None else clock() if clock else 0.0) + given
        start = None if self.elastic else starting_plan(self, plan)
        companion = Companion(self.plan, replace(self.settings, time_limit=given), start) if large and clock else None
        if companion is None or clock is None:
            if start is not None and not missed_due(start):  # one missing a due feature is no plan to start from
                self.start_from(start)
            return self.solve()
        if start is not None:
            start, _ = improve(self, start, deadline, companion, clock)
        mine = start if start is not None and not missed_due(start) else None
        best = None if mine is None else value_of(mine)
        whole = companion.finish(deadline, clock, lambda heard: self.told(both(best, heard, self.relaxed)))
        theirs = companion.better_than(-math.inf if best is None else best) if whole is None else None
        if theirs is not None and keeps_hard_rules(theirs, self.settings.share, self.settings.first):
            mine, best = theirs, value_of(theirs)  # the solver did not stop in time: its best plan it told of
        if whole is not None and whole.outcome in (Outcome.OPTIMAL, Outcome.INFEASIBLE):
            return whole
        bound = min(whole.bound if whole is not None else companion.progress.bound, self.relaxed)
        found = whole is not None and whole.outcome is Outcome.FEASIBLE
        if whole is not None and (mine is None or best is None or (found and whole.value >= best)):
            return replace(whole, bound=bound) if whole.outcome is Outcome.FEASIBLE else whole
        if mine is None or best is None:  # neither search has a plan yet
            return Solution(Outcome.UNSOLVED, self.plan, -math.inf, bound, ())
        return Solution(Outcome.FEASIBLE, mine, best, max(bound, best), tuple(moves(plan, mine)))

    def told(self, progress: Progress) -> bool:
        """``progress`` to the watcher, if any: whether it asks to stop."""
        return self.watch is not None and self.watch(progress)

    def solve(self) -> Solution:
        if self.settings.solver == "cp-sat":
            return self.solve_cp_sat()
        import highspy
        import numpy as np

        if self.watch is not None:
            self.h.cbMipInterrupt += self.heard
        self.h.run()
        status = self.h.getModelStatus()
        info = self.h.getInfo()
        if status == highspy.HighsModelStatus.kInfeasible:
            return Solution(Outcome.INFEASIBLE, self.plan, float("-inf"), float("-inf"), ())
        if info.primal_solution_status == 0:  # the time ran out before any plan was found
            return Solution(Outcome.UNSOLVED, self.plan, float("-inf"), float(info.mip_dual_bound), ())
        values = self.chosen = list(self.h.getSolution().col_value)
        objective = float(info.objective_function_value)
        if self.start and abs(float(np.dot(self.costs, values)) - objective) > 1e-6 * (1 + abs(objective)):
            # HiGHS may answer with the start's columns and the optimum's value when its presolve solves the whole
            # model: solved again without the start, the columns are the optimum's.
            self.h, self.start = self.highs(relaxed=False), []
            return self.solve()
        optimal = status == highspy.HighsModelStatus.kOptimal
        return self.answer(values, objective, float(info.mip_dual_bound), optimal)

    def answer(self, values: list[float], objective: float, bound: float, optimal: bool) -> Solution:
        """The solution of the model's column ``values``, worth ``objective`` under the solver's ``bound``."""
        placed, moved = self.placed(values)
        constant = self.settings.move_cost * len(self.cards)  # the moves the value counts: those not made
        constant -= sum(-self.costs[column] for column in self.missed.values() if values[column] > 0.5)
        bound = min(bound, self.relaxed) - constant
        return Solution(Outcome.OPTIMAL if optimal else Outcome.FEASIBLE, self.plan.with_cards(placed),
                        objective - constant, bound, tuple(sorted(moved)))  # fmt: skip

    def solve_cp_sat(self) -> Solution:
        """The same model solved by OR-Tools' CP-SAT (``Settings.solver``), started from the same plan. Its
        coefficients must be whole: the rows that hold a continuous column or a fractional bound are taken in
        hundredths, and the objective in thousandths; the answer's value is counted again from the columns."""
        from ortools.sat.python import cp_model

        scale = [1] * self.columns
        for column in set(range(self.columns)) - set(self.integer):
            scale[column] = CP_HUNDREDTHS
        ceiling = CP_HUNDREDTHS * (1 + sum(card.points for card in self.cards))  # above any load
        cp = cp_model.CpModel()
        columns = [
            cp.new_int_var(math.ceil(lower * scale[c] - 1e-9),
                           ceiling if math.isinf(upper) else math.floor(upper * scale[c] + 1e-9), f"c{c}")
            for c, (lower, upper) in enumerate(zip(self.lowers, self.uppers, strict=True))
        ]  # fmt: skip
        ends = [*self.starts[1:], len(self.indices)]
        for r, (start, end) in enumerate(zip(self.starts, ends, strict=True)):
            lower, upper = self.lower_rows[r], self.upper_rows[r]
            terms = list(zip(self.indices[start:end], self.values[start:end], strict=True))
            whole = all(scale[c] == 1 for c, _ in terms) and all(math.isinf(b) or b == int(b) for b in (lower, upper))
            factor = 1 if whole else CP_HUNDREDTHS
            expression = sum(round(value * factor / scale[c]) * columns[c] for c, value in terms)
            if not math.isinf(lower):
                cp.add(expression >= math.ceil(lower * factor - 1e-9))
            if not math.isinf(upper):
                cp.add(expression <= math.floor(upper * factor + 1e-9))
        cp.maximize(sum(round(cost * CP_OBJECTIVE / scale[c]) * columns[c]
                        for c, cost in enumerate(self.costs) if cost))  # fmt: skip
        for c, value in enumerate(self.start):
            cp.add_hint(columns[c], round(value * scale[c]))
        solver = cp_model.CpSolver()
        limit = self.settings.time_limit
        if self.clock is not None and self.began is not None:  # what is left of it: building took some
            limit = max(0.1, self.began + limit - WRAP_UP - self.clock())
        solver.parameters.max_time_in_seconds = float(limit)
        solver.parameters.random_seed = int(self.settings.seed)
        constant = self.settings.move_cost * len(self.cards)

        found: list[float] = []  # the best plan's value so far, as CP-SAT counts it

        def told(bound: float) -> bool:
            value = found[-1] / CP_OBJECTIVE - constant if found else None
            return self.told(Progress(value, bound / CP_OBJECTIVE - constant))

        class Heard(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(self) -> None:
                found.append(self.objective_value)
                if told(self.best_objective_bound):
                    self.stop_search()

        def bound_moved(bound: float) -> None:  # news between plans too: a stop asked for is heard sooner
            if told(bound):
                solver.stop_search()

        solver.best_bound_callback = bound_moved
        status = solver.solve(cp, Heard())
        bound = float(solver.best_objective_bound) / CP_OBJECTIVE
        if status == cp_model.INFEASIBLE:
            return Solution(Outcome.INFEASIBLE, self.plan, -math.inf, -math.inf, ())
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # the time ran out before any plan was found
            return Solution(Outcome.UNSOLVED, self.plan, -math.inf, bound - constant, ())
        values = self.chosen = [solver.value(column) / scale[c] for c, column in enumerate(columns)]
        objective = math.fsum(cost * value for cost, value in zip(self.costs, values, strict=True))
        return self.answer(values, objective, max(bound, objective), status == cp_model.OPTIMAL)

    def placed(self, values: Sequence[float]) -> tuple[dict[str, Card], list[str]]:
        """The cards the model's column ``values`` place elsewhere than the plan, as placed there, and their refs."""
        placed: dict[str, Card] = {}
        moved = []
        for n, card in enumerate(self.cards):
            at = next((i for i in self.iterations if values[self.x[n, i]] > 0.5), None)
            if fixed(card, self.settings.first):
                at = card.iteration  # it stays, in the IP iteration too
            if at != card.iteration:
                moved.append(card.ref)
                placed[card.ref] = replace(card, iteration=at)
        return placed, moved
