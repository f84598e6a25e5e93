"""A Monte Carlo forecast of when each card, feature, milestone and objective will finish.

In each trial every team gets a throughput for each iteration from now on, drawn from its history
(the points it finished in past iterations) or, with no history yet, from its velocity with a spread;
within the PI it is scaled by that iteration's capacity against the velocity, so holidays and leave
count. The team works through its cards in board order (planned iteration, then WSJF, unplanned cards
last); a card finishes in the first iteration by which the team's cumulative throughput covers it and
every card before it, and not before the iteration it is planned in (teams work to the plan, they do
not pull work forward). A consumer cannot finish before its provider. Trials are seeded: the same inputs
give the same answer.

Iterations are numbered as on the board (1 … n, the IP iteration last); a number after the PI's last
iteration means "after the PI"; ``DONE`` (0) means finished already.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from artsync.domain.findings import Finding, finding, strongly_connected
from artsync.domain.plan import Plan
from artsync.domain.wsjf import rank

DONE = 0
TRIALS = 10_000
THRESHOLD = 0.70  # a milestone less likely than this raises milestone-at-risk
CONFIDENCE = 0.85
SPREAD = 0.25  # relative spread of throughput when a team has no history yet
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Throughput:
    """A team's points finished per past iteration (oldest first), and its velocity for when there are none."""

    team: str
    history: tuple[int, ...] = ()
    velocity: int = 0


@dataclass(frozen=True)
class Outlook:
    """When one item will finish: its deadline (an iteration), the chance of making it, and quantiles."""

    key: str
    deadline: int | None
    probability: float | None  # of finishing by the deadline
    p50: int
    p85: int
    beyond: int  # the first iteration number past the horizon: p85 >= beyond means "not within the horizon"

    @property
    def done(self) -> bool:
        return self.p85 == DONE


@dataclass(frozen=True)
class Forecast:
    now: int  # the iteration in progress (1-based); earlier ones are past
    horizon: int  # iterations simulated from ``now``
    trials: int
    seed: int
    cards: dict[str, Outlook] = field(default_factory=dict)
    features: dict[str, Outlook] = field(default_factory=dict)
    milestones: dict[str, Outlook] = field(default_factory=dict)
    objectives: dict[str, Outlook] = field(default_factory=dict)


def sample_throughput(
    rng: np.random.Generator, team: Throughput, trials: int, iterations: int
) -> npt.NDArray[np.float64]:
    """Throughput per trial and iteration: resampled from the history, or velocity ± SPREAD."""
    history = np.array([h for h in team.history if h >= 0], dtype=np.float64)
    if history.size and history.sum() > 0:
        return np.asarray(rng.choice(history, size=(trials, iterations)), dtype=np.float64)
    drawn = rng.normal(team.velocity, SPREAD * team.velocity, size=(trials, iterations))
    return np.asarray(np.clip(drawn, 0.0, None), dtype=np.float64)


def board_order(plan: Plan, team: str) -> list[str]:
    """The team's open cards in the order it works them: planned iteration, then WSJF; unplanned last."""
    position = {f.key: n for n, f in enumerate(rank(plan.features))}
    cards = [c for c in plan.cards if c.team == team and c.status != "done"]
    cards.sort(key=lambda c: (c.iteration is None, c.iteration or 0, position.get(c.feature, 0), c.ref))
    return [c.ref for c in cards]


def first_reaching(cum: npt.NDArray[np.float64], thresholds: npt.NDArray[np.float64]) -> Ints:
    """For every trial (row of ``cum``, non-decreasing) and threshold, the first column reaching it.

    One ``searchsorted`` over all rows at once: each row is shifted by a step larger than any value,
    so rows never overlap. A threshold no column reaches gives ``cum.shape[1]``.
    """
    trials, width = cum.shape
    step = float(max(cum[:, -1].max(initial=0.0), thresholds.max(initial=0.0))) + 1.0
    offsets = np.arange(trials, dtype=np.float64)[:, None] * step
    flat = (cum + offsets).ravel()
    queries = (thresholds[None, :] + offsets).ravel()
    found = np.searchsorted(flat, queries, side="left").reshape(trials, thresholds.size)
    return np.asarray(np.minimum(found - np.arange(trials)[:, None] * width, width), dtype=np.int64)


def forecast(
    plan: Plan,
    throughput: Mapping[str, Throughput],
    *,
    now: int,
    trials: int = TRIALS,
    seed: int = 0,
    horizon: int | None = None,
) -> Forecast:
    """Simulate ``trials`` futures of the plan from iteration ``now`` on."""
    pi = plan.pi
    count = pi.iteration_count
    now = max(1, now)
    horizon = horizon or max(count - now + 1, 0) + 2 * count  # the rest of the PI and two more PIs' worth
    rng = np.random.default_rng(seed)
    refs = [c.ref for c in plan.cards]
    column = {ref: n for n, ref in enumerate(refs)}
    finish = np.zeros((trials, len(refs)), dtype=np.int64)  # DONE unless set below
    beyond = now + horizon
    cards = plan.cards_by_ref
    for team in plan.teams:
        order = board_order(plan, team.key)
        if not order:
            continue
        sampled = sample_throughput(rng, throughput.get(team.key, Throughput(team.key, velocity=team.velocity)),
                                    trials, horizon)  # fmt: skip
        if team.velocity > 0:  # scale by each iteration's capacity (holidays, leave, the team's own figure)
            scale = np.array(
                [team.capacity(now + h) / team.velocity if now + h <= count else 1.0 for h in range(horizon)]
            )
            sampled *= scale[None, :]
        cum = np.cumsum(sampled, axis=1)
        need = np.cumsum([float(cards[ref].points) for ref in order])
        reached = first_reaching(cum, need)
        for n, ref in enumerate(order):
            planned = cards[ref].iteration or now  # a card is not finished before the iteration it is planned in
            finish[:, column[ref]] = np.maximum(now + reached[:, n], planned)
    respect_dependencies(plan, finish, column)
    features = features_finish(plan, finish, column)
    out = Forecast(now, horizon, trials, seed)
    last_dev = max((it.index for it in pi.iterations if not it.is_ip), default=count)
    for ref in refs:
        out.cards[ref] = outlook(ref, finish[:, column[ref]], None, beyond)
    for key, values in features.items():
        out.features[key] = outlook(key, values, None, beyond)
    untaken = np.full(trials, beyond, dtype=np.int64)  # a feature no team has a card for is never finished
    for m in plan.milestones:
        values = latest([features.get(f, untaken) for f in m.features], trials)
        out.milestones[m.key] = outlook(m.key, values, m.iteration, beyond)
    for o in plan.objectives:
        values = latest([features.get(f, untaken) for f in o.features], trials)
        out.objectives[o.key] = outlook(o.key, values, last_dev, beyond)
    return out


def latest(values: list[Ints], trials: int) -> Ints:
    """Per trial, the last of several finishes (an item with nothing to wait for is done)."""
    return np.max(np.stack(values), axis=0) if values else np.zeros(trials, dtype=np.int64)


def respect_dependencies(plan: Plan, finish: Ints, column: dict[str, int]) -> None:
    """A consumer finishes no earlier than its provider; applied in dependency order, cycles left out."""
    graph: dict[str, list[str]] = {}
    for d in plan.dependencies:
        graph.setdefault(d.consumer, []).append(d.provider)
    cyclic = {ref for component in strongly_connected(graph) if len(component) > 1 for ref in component}
    done: set[str] = set()

    def settle(ref: str) -> None:
        stack = [(ref, iter(graph.get(ref, ())))]
        visiting = {ref}
        while stack:
            node, providers = stack[-1]
            provider = next(providers, None)
            if provider is None:
                stack.pop()
                visiting.discard(node)
                if node not in cyclic:
                    for p in graph.get(node, ()):
                        if p not in cyclic:
                            np.maximum(finish[:, column[node]], finish[:, column[p]], out=finish[:, column[node]])
                done.add(node)
            elif provider not in done and provider not in visiting:
                visiting.add(provider)
                stack.append((provider, iter(graph.get(provider, ()))))

    for ref in graph:
        if ref not in done:
            settle(ref)


def features_finish(plan: Plan, finish: Ints, column: dict[str, int]) -> dict[str, Ints]:
    """A feature finishes with its last card."""
    by_feature: dict[str, list[int]] = {}
    for c in plan.cards:
        by_feature.setdefault(c.feature, []).append(column[c.ref])
    return {key: np.max(finish[:, cols], axis=1) for key, cols in by_feature.items()}


def quantile(ordered: Ints, q: float) -> int:
    """The smallest value with at least ``q`` of the trials at or below it."""
    return int(ordered[max(0, min(len(ordered) - 1, int(np.ceil(q * len(ordered))) - 1))])


def outlook(key: str, values: Ints, deadline: int | None, beyond: int) -> Outlook:
    ordered = np.sort(values)
    probability = float(np.mean(values <= deadline)) if deadline is not None else None
    return Outlook(key, deadline, probability, quantile(ordered, 0.5), quantile(ordered, CONFIDENCE), beyond)


def forecast_findings(plan: Plan, outlooks: Forecast, threshold: float = THRESHOLD) -> list[Finding]:
    """``milestone-at-risk`` for every milestone less likely than ``threshold`` to be met."""
    labels = {it.index: it.label for it in plan.pi.iterations}
    found = []
    for m in plan.milestones:
        o = outlooks.milestones.get(m.key)
        if o is None or o.probability is None or o.probability >= threshold:
            continue
        when = f"{m.date}, {labels.get(m.iteration, m.iteration)}" if m.date else labels.get(m.iteration, m.iteration)
        by = "not within the forecast's horizon" if o.p85 >= o.beyond else f"by {iteration_words(plan, o.p85)}"
        found.append(
            finding(
                "milestone-at-risk",
                (m.key,),
                (m.key, *m.features),
                f"Milestone {m.key} '{m.name}' ({when}) is {o.probability:.0%} likely to be met; 85% likely {by}.",
                "Move scope out of it, add capacity to the teams it waits on, or agree a new date now, "
                "while there is time.",
            )
        )
    return found


def iteration_words(plan: Plan, iteration: int) -> str:
    """``I3``, ``IP``, or ``2 iterations after the PI``."""
    if iteration == DONE:
        return "done"
    count = plan.pi.iteration_count
    if iteration <= count:
        return next(it.label for it in plan.pi.iterations if it.index == iteration)
    after = iteration - count
    return f"{after} iteration{'s' if after > 1 else ''} after the PI"
