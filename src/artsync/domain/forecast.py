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
from typing import TYPE_CHECKING

from artsync.domain.findings import Finding, finding, strongly_connected
from artsync.domain.plan import Plan
from artsync.domain.wsjf import rank

DONE = 0
TRIALS = 10_000
THRESHOLD = 0.70  # a milestone less likely than this raises milestone-at-risk
CONFIDENCE = 0.85
SPREAD = 0.25  # relative spread of throughput when a team has no history yet

if TYPE_CHECKING:  # NumPy (14 MiB) is loaded by the first forecast, not by every process that shows one
    import numpy as np
    import numpy.typing as npt

    Ints = npt.NDArray[np.int64]
    Small = npt.NDArray[np.int16]  # iteration numbers, item × trial
    Points = npt.NDArray[np.float32]  # points per trial and iteration (single precision is plenty, twice as fast)


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


def sample_throughput(rng: np.random.Generator, team: Throughput, trials: int, iterations: int) -> Points:
    """Throughput per trial and iteration: resampled from the history, or velocity ± SPREAD."""
    import numpy as np

    history = np.array([h for h in team.history if h >= 0], dtype=np.float32)
    if history.size and history.sum() > 0:
        return np.asarray(rng.choice(history, size=(trials, iterations)), dtype=np.float32)
    drawn = rng.standard_normal(size=(trials, iterations), dtype=np.float32)
    drawn *= SPREAD * team.velocity
    drawn += team.velocity
    return np.maximum(drawn, 0.0, out=drawn)


STRIDE = 3  # iterations drawn at a time: a team whose cards are all done in every trial draws no further


def cumulative_throughput(
    rng: np.random.Generator, team: Throughput, trials: int, scale: Points, total: float
) -> Points:
    """Points done by the end of each iteration, per trial: drawn ``STRIDE`` iterations at a time, until
    every trial reaches ``total`` or the horizon (``scale``'s length) ends.

    The draws come in the same order however far a caller needs to look, so a forecast of fewer cards
    (the milestones') sees the same futures as the whole forecast, only less of them.
    """
    import numpy as np

    parts: list[Points] = []
    done = np.zeros(trials, dtype=np.float32)
    for start in range(0, scale.size, STRIDE):
        drawn = sample_throughput(rng, team, trials, min(STRIDE, scale.size - start))
        drawn *= scale[None, start : start + drawn.shape[1]]
        part = np.cumsum(drawn, axis=1, out=drawn)
        part += done[:, None]
        parts.append(part)
        done = part[:, -1]
        if done.min() >= total:
            break
    return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]


def board_orders(plan: Plan) -> dict[str, list[str]]:
    """Each team's open cards in the order it works them: planned iteration, then WSJF; unplanned last."""
    position = {f.key: n for n, f in enumerate(rank(plan.features))}
    cards = sorted(
        (c for c in plan.cards if c.status != "done"),
        key=lambda c: (c.iteration is None, c.iteration or 0, position.get(c.feature, 0), c.ref),
    )
    orders: dict[str, list[str]] = {team.key: [] for team in plan.teams}
    for card in cards:
        orders.setdefault(card.team, []).append(card.ref)
    return orders


def iterations_needed(cum: Points, thresholds: Points) -> Small:
    """For every threshold (card) and trial, how many iterations pass before ``cum`` reaches it.

    ``cum`` is trials × iterations, non-decreasing along each row; the answer is cards × trials, the
    number of columns still short of the threshold (``cum.shape[1]`` when none reaches it). Per trial,
    count the iterations by how many cards are done by then; the iterations still short of card ``i``
    are those with at most ``i`` cards done, a running sum of those counts.
    """
    import numpy as np

    trials, cards = cum.shape[0], thresholds.size
    completed = np.searchsorted(thresholds, cum, side="right")  # trials × iterations: cards done by then
    slots = (np.arange(trials)[:, None] * (cards + 1) + completed).ravel()
    counts = np.bincount(slots, minlength=trials * (cards + 1)).reshape(trials, cards + 1)
    return np.ascontiguousarray(np.cumsum(counts[:, :cards], axis=1, dtype=np.int16).T)


def forecast(
    plan: Plan,
    throughput: Mapping[str, Throughput],
    *,
    now: int,
    trials: int = TRIALS,
    seed: int = 0,
    horizon: int | None = None,
    milestones_only: bool = False,
) -> Forecast:
    """Simulate ``trials`` futures of the plan from iteration ``now`` on.

    ``milestones_only`` simulates just the cards the milestones wait on (the milestones' cards, every card
    before them in their teams' order, their providers, and so on) and gives the milestones alone: the
    same answer for them as the whole forecast, for less work. Each team draws from its own seeded
    stream, so leaving a team out changes nobody else's draws.
    """
    import numpy as np

    pi = plan.pi
    count = pi.iteration_count
    now = max(1, now)
    horizon = horizon or max(count - now + 1, 0) + 2 * count  # the rest of the PI and two more PIs' worth
    refs = [c.ref for c in plan.cards]
    column = {ref: n for n, ref in enumerate(refs)}
    finish = np.zeros((len(refs), trials), dtype=np.int16)  # card × trial; DONE unless set below
    beyond = now + horizon
    cards = plan.cards_by_ref
    orders = board_orders(plan)
    needed: set[str] | None = None  # every card, or only what the milestones wait on
    if milestones_only:
        orders, needed = waited_on(plan, orders)
    for index, team in enumerate(plan.teams):
        order = orders.get(team.key, [])
        if not order:
            continue
        # scale by each iteration's capacity (holidays, leave, the team's own figure)
        scale = np.array(
            [team.capacity(now + h) / team.velocity if team.velocity and now + h <= count else 1.0
             for h in range(horizon)],
            dtype=np.float32,
        )  # fmt: skip
        need = np.cumsum([cards[ref].points for ref in order], dtype=np.float32)
        rng = np.random.default_rng([seed, index])
        team_throughput = throughput.get(team.key, Throughput(team.key, velocity=team.velocity))
        cum = cumulative_throughput(rng, team_throughput, trials, scale, float(need[-1]))
        finished = iterations_needed(cum, need)
        finished += np.int16(now)
        # A card is not finished before the iteration it is planned in.
        planned = np.array([cards[ref].iteration or now for ref in order], dtype=np.int16)[:, None]
        finish[[column[ref] for ref in order]] = np.maximum(finished, planned)
    respect_dependencies(plan, finish, column, needed)
    features = features_finish(plan, finish, column, None if needed is None else milestone_features(plan))
    out = Forecast(now, horizon, trials, seed)
    last_dev = max((it.index for it in pi.iterations if not it.is_ip), default=count)
    if not milestones_only:
        out.cards.update(outlooks(refs, finish, beyond))
        if features:
            out.features.update(outlooks(list(features), np.stack(list(features.values())), beyond))
    untaken = np.full(trials, beyond, dtype=np.int16)  # a feature no team has a card for is never finished
    for m in plan.milestones:
        values = latest([features.get(f, untaken) for f in m.features], trials)
        out.milestones[m.key] = outlook(m.key, values, m.iteration, beyond)
    for o in [] if milestones_only else plan.objectives:
        values = latest([features.get(f, untaken) for f in o.features], trials)
        out.objectives[o.key] = outlook(o.key, values, last_dev, beyond)
    return out


def milestone_features(plan: Plan) -> set[str]:
    return {f for m in plan.milestones for f in m.features}


def waited_on(plan: Plan, orders: dict[str, list[str]]) -> tuple[dict[str, list[str]], set[str]]:
    """Each team's order cut after the last card some milestone waits on, directly or through providers; and those
    cards (the milestones' features' cards and their providers, and theirs: closed under "waits on")."""
    position = {ref: (team, n) for team, order in orders.items() for n, ref in enumerate(order)}
    providers: dict[str, list[str]] = {}
    for d in plan.dependencies:
        providers.setdefault(d.consumer, []).append(d.provider)
    wanted = milestone_features(plan)
    todo = [c.ref for c in plan.cards if c.feature in wanted]
    reach: dict[str, int] = {}  # per team, how far down its order is needed
    seen: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        todo += providers.get(ref, [])
        if ref in position:
            team, n = position[ref]
            if n >= reach.get(team, -1):
                todo += orders[team][reach.get(team, -1) + 1 : n]
                reach[team] = n
    return {team: orders[team][: n + 1] for team, n in reach.items()}, seen


def latest(values: list[Small], trials: int) -> Small:
    """Per trial, the last of several finishes (an item with nothing to wait for is done)."""
    import numpy as np

    return np.max(np.stack(values), axis=0) if values else np.zeros(trials, dtype=np.int16)


def respect_dependencies(plan: Plan, finish: Small, column: dict[str, int], only: set[str] | None = None) -> None:
    """A consumer finishes no earlier than its provider; applied in dependency order, cycles left out. ``only``: the
    consumers to settle, a set closed under "waits on" (its cards' providers are in it, so are their cycles)."""
    import numpy as np

    graph: dict[str, list[str]] = {}
    for d in plan.dependencies:
        if only is None or d.consumer in only:
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
                            np.maximum(finish[column[node]], finish[column[p]], out=finish[column[node]])
                done.add(node)
            elif provider not in done and provider not in visiting:
                visiting.add(provider)
                stack.append((provider, iter(graph.get(provider, ()))))

    for ref in graph:
        if ref not in done:
            settle(ref)


def features_finish(
    plan: Plan, finish: Small, column: dict[str, int], only: set[str] | None = None
) -> dict[str, Small]:
    """A feature finishes with its last card (``only``: just these features)."""
    import numpy as np

    by_feature: dict[str, list[int]] = {}
    for c in plan.cards:
        if only is None or c.feature in only:
            by_feature.setdefault(c.feature, []).append(column[c.ref])
    return {
        key: finish[cols[0]] if len(cols) == 1 else np.max(finish[cols], axis=0) for key, cols in by_feature.items()
    }


def quantile_index(trials: int, q: float) -> int:
    """The position, in sorted trials, of the smallest value with at least ``q`` of them at or below it."""
    import numpy as np

    return max(0, min(trials - 1, int(np.ceil(q * trials)) - 1))


def outlooks(keys: list[str], matrix: Small, beyond: int) -> dict[str, Outlook]:
    """The 50% and 85% iterations of many items at once (items × trials, sorted row by row)."""
    import numpy as np

    if not keys:
        return {}
    ordered = np.sort(matrix, axis=1, kind="stable")  # a radix sort for 16-bit values
    trials = matrix.shape[1]
    p50 = ordered[:, quantile_index(trials, 0.5)]
    p85 = ordered[:, quantile_index(trials, CONFIDENCE)]
    return {key: Outlook(key, None, None, int(p50[n]), int(p85[n]), beyond) for n, key in enumerate(keys)}


def outlook(key: str, values: Small, deadline: int | None, beyond: int) -> Outlook:
    import numpy as np

    ordered = np.sort(values, kind="stable")
    probability = float(np.mean(values <= deadline)) if deadline is not None else None
    p50 = int(ordered[quantile_index(len(ordered), 0.5)])
    return Outlook(key, deadline, probability, p50, int(ordered[quantile_index(len(ordered), CONFIDENCE)]), beyond)


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
