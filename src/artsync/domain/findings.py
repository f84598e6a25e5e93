"""Board analysis: where the teams are out of sync, written for a person.

``analyze(plan)`` returns Findings. Each has a stable ``id`` — derived from the
kind and the items the problem is *about*, so the same problem keeps its id
from one run to the next — a severity, the items it concerns, a message and a
suggested fix. A clean plan yields no findings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from artsync.domain.board import DependencyStatus, dependency_status, load_status, loads
from artsync.domain.plan import Card, Plan, card_ref


class Severity(StrEnum):
    """How much a finding matters: an error breaks the plan, a warning puts it at risk."""

    ERROR = "error"
    WARNING = "warning"


ERROR = Severity.ERROR
WARNING = Severity.WARNING
SEVERITIES = tuple(Severity)

KINDS: dict[str, str] = {
    "dependency-at-risk": WARNING,
    "dependency-broken": ERROR,
    "dependency-unplanned-provider": ERROR,
    "dependency-cycle": ERROR,
    "dependency-declared-broken": ERROR,
    "over-capacity": ERROR,
    "near-capacity": WARNING,
    "ip-iteration-planned": WARNING,
    "milestone-miss": ERROR,
    "objective-unplanned-feature": ERROR,
    "priority-inversion": WARNING,
    "risk-unroamed": WARNING,
    "card-too-big": WARNING,
    "milestone-at-risk": WARNING,  # from the forecast (domain/forecast.py), not from the plan alone
}


@dataclass(frozen=True)
class Finding:
    """Something the analysis noticed, with what to do about it."""

    id: str
    kind: str
    severity: str
    items: tuple[str, ...]
    message: str
    fix: str


def finding(kind: str, subject: tuple[str, ...], items: tuple[str, ...], message: str, fix: str) -> Finding:
    """Build a Finding whose id depends only on its kind and ``subject``."""
    digest = hashlib.sha1("|".join((kind, *subject)).encode()).hexdigest()[:10]
    return Finding(f"{kind}-{digest}", kind, KINDS[kind], items, message, fix)


def severity_rank(severity: str) -> int:
    """Errors sort before warnings."""
    return SEVERITIES.index(severity)


def analyze(plan: Plan) -> list[Finding]:
    """Every finding about ``plan``, errors first, then by kind and items."""
    found = [
        *dependency_findings(plan),
        *cycle_findings(plan),
        *capacity_findings(plan),
        *ip_iteration_findings(plan),
        *milestone_findings(plan),
        *objective_findings(plan),
        *priority_findings(plan),
        *risk_findings(plan),
        *card_size_findings(plan),
    ]
    return sorted(found, key=lambda f: (severity_rank(f.severity), f.kind, f.items, f.id))


class Labels:
    """Iteration names for messages: ``I3``, ``IP``."""

    def __init__(self, plan: Plan) -> None:
        self._labels = {it.index: it.label for it in plan.pi.iterations}

    def __call__(self, iteration: int) -> str:
        return self._labels.get(iteration, f"I{iteration}")


def dependency_findings(plan: Plan) -> Iterator[Finding]:
    """Providers planned in the same iteration as, after, or without their consumer; and dependencies a team
    declared broken (the provider will not deliver it as planned), whatever the board says."""
    label = Labels(plan)
    cards = plan.cards_by_ref
    for dep in plan.dependencies:
        consumer, provider = cards[dep.consumer], cards[dep.provider]
        if dep.state == "broken":
            yield finding(
                "dependency-declared-broken",
                (dep.consumer, dep.provider),
                (dep.consumer, dep.provider),
                f"{dep.consumer} needs {dep.provider}, and the dependency was declared broken: "
                f"{provider.team} will not deliver it as planned.",
                f"Bring {consumer.team} and {provider.team} together (open it as a conflict): another provider, "
                f"a later {dep.consumer}, or less scope; then request it again.",
            )
            continue
        status = dependency_status(consumer.iteration, provider.iteration)
        subject = (dep.consumer, dep.provider)
        if status is DependencyStatus.AT_RISK:
            assert consumer.iteration is not None
            at = label(consumer.iteration)
            yield finding(
                "dependency-at-risk",
                subject,
                subject,
                f"{dep.consumer} needs {dep.provider}, which is planned in the same iteration ({at}).",
                f"Ask {provider.team} to deliver {provider.feature} an iteration earlier, "
                f"or move {dep.consumer} later.",
            )
        elif status is DependencyStatus.BROKEN:
            assert consumer.iteration is not None and provider.iteration is not None
            yield finding(
                "dependency-broken",
                subject,
                subject,
                f"{dep.consumer} ({label(consumer.iteration)}) needs {dep.provider}, "
                f"which is planned later, in {label(provider.iteration)}.",
                f"Move {dep.provider} before {label(consumer.iteration)}, "
                f"or move {dep.consumer} after {label(provider.iteration)}.",
            )
        elif status is DependencyStatus.UNPLANNED_PROVIDER:
            assert consumer.iteration is not None
            yield finding(
                "dependency-unplanned-provider",
                subject,
                subject,
                f"{dep.consumer} ({label(consumer.iteration)}) needs {dep.provider}, which is not planned.",
                f"Ask {provider.team} to plan {dep.provider} before {label(consumer.iteration)}, "
                f"or unplan {dep.consumer} until it is.",
            )


def dependency_cycles(plan: Plan) -> list[tuple[str, ...]]:
    """The groups of cards that need each other in a cycle (each sorted), wherever the cards are planned."""
    graph: dict[str, list[str]] = {}
    for dep in plan.dependencies:
        graph.setdefault(dep.consumer, []).append(dep.provider)
    return [tuple(sorted(component)) for component in strongly_connected(graph) if len(component) > 1]


def cycle_findings(plan: Plan) -> Iterator[Finding]:
    """Cards that need each other in a cycle, so that none can be delivered first."""
    for refs in dependency_cycles(plan):
        yield finding(
            "dependency-cycle",
            refs,
            refs,
            f"{join_words(refs)} depend on each other in a cycle: none of them can be delivered first.",
            "Break the cycle: remove one of the dependencies, or split a card so that one part can go first.",
        )


def strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iterative so long chains cannot overflow."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = graph.get(node, [])
            recursed = False
            for i in range(child, len(successors)):
                succ = successors[i]
                if succ not in index:
                    work.append((node, i + 1))
                    work.append((succ, 0))
                    recursed = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if recursed:
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def capacity_findings(plan: Plan) -> Iterator[Finding]:
    """Team-iterations loaded above capacity, or above the 80% that leaves room for the unexpected."""
    label = Labels(plan)
    teams = plan.teams_by_key
    for (team_key, iteration), load in sorted(loads(plan.cards).items()):
        team = teams[team_key]
        capacity = team.capacity(iteration)
        status = load_status(load, capacity)
        subject = (team_key, str(iteration))
        items = (team_key, label(iteration))
        share = f"{round(100 * load / capacity)}%" if capacity else "no capacity at all"
        if status == "over":
            yield finding(
                "over-capacity",
                subject,
                items,
                f"{team.name} is loaded {load} points in {label(iteration)} "
                f"against a capacity of {capacity} ({share}).",
                f"Move {load - capacity} points out of {label(iteration)} to a lighter iteration "
                f"or to another team, or adjust {team.name}'s capacity if it is wrong.",
            )
        elif status == "near":
            yield finding(
                "near-capacity",
                subject,
                items,
                f"{team.name} is loaded {load} of {capacity} points in {label(iteration)} ({share}), "
                "above the 80% that keeps room for the unexpected.",
                f"Consider moving a card out of {label(iteration)} so the team keeps some slack.",
            )


def ip_iteration_findings(plan: Plan) -> Iterator[Finding]:
    """Feature work planned in the IP iteration, which is kept as a buffer."""
    ip = plan.pi.ip_iteration
    if ip is None:
        return
    for card in plan.cards:
        if card.iteration == ip:
            yield finding(
                "ip-iteration-planned",
                (card.ref,),
                (card.ref,),
                f"{card.ref} ({card.points} points) is planned in the IP iteration, which is kept for "
                "innovation, Inspect & Adapt and the next PI planning.",
                f"Move {card.ref} into a development iteration (I1–I{ip - 1}) or leave it unplanned.",
            )


def milestone_findings(plan: Plan) -> Iterator[Finding]:
    """Cards of a milestone's features planned after the milestone, or not at all."""
    label = Labels(plan)
    for milestone in plan.milestones:
        due = label(milestone.iteration)
        when = milestone.date.isoformat() if milestone.date else due
        for feature in milestone.features:
            for card in plan.cards_by_feature.get(feature, []):
                if card.iteration is not None and card.iteration <= milestone.iteration:
                    continue
                planned = "is not planned" if card.iteration is None else f"is planned in {label(card.iteration)}"
                yield finding(
                    "milestone-miss",
                    (milestone.key, card.ref),
                    (milestone.key, feature, card.ref),
                    f"Milestone {milestone.key} '{milestone.name}' ({when}, {due}) needs {feature}, "
                    f"but {card.ref} {planned}.",
                    f"Plan {card.ref} in {due} or earlier, or agree a new date for {milestone.key} "
                    "with its stakeholders.",
                )


def objective_findings(plan: Plan) -> Iterator[Finding]:
    """Committed objectives that rely on a feature with an unplanned card."""
    for objective in plan.objectives:
        if not objective.committed:
            continue
        owner = f"of {objective.team}" if objective.team else "of the train"
        for feature in objective.features:
            for card in plan.cards_by_feature.get(feature, []):
                if card.iteration is not None:
                    continue
                items: tuple[str, ...] = (objective.key, feature, card.ref)
                if objective.team:
                    items = (*items, objective.team)
                yield finding(
                    "objective-unplanned-feature",
                    (objective.key, card.ref),
                    items,
                    f"Committed objective {objective.key} {owner} ('{objective.text}') relies on {feature}, "
                    f"but {card.ref} is not planned.",
                    f"Plan {card.ref}, or make {objective.key} uncommitted until the work fits.",
                )


def priority_findings(plan: Plan) -> Iterator[Finding]:
    """On one team, higher-WSJF work left unplanned while lower-WSJF work is planned."""
    features = plan.features_by_key
    label = Labels(plan)
    by_team: dict[str, list[Card]] = {}
    for card in plan.cards:
        by_team.setdefault(card.team, []).append(card)

    def score(card: Card) -> float:
        return features[card.feature].wsjf.score

    for team_key, cards in sorted(by_team.items()):
        planned = sorted((c for c in cards if c.iteration is not None), key=lambda c: (score(c), c.ref))
        if not planned:
            continue
        lowest = planned[0]
        for card in cards:
            if card.iteration is not None or score(card) <= score(lowest):
                continue
            below = sum(1 for c in planned if score(c) < score(card))
            others = f" and {below - 1} more" if below > 1 else ""
            assert lowest.iteration is not None
            yield finding(
                "priority-inversion",
                (card.ref,),
                (card.ref, lowest.ref),
                f"On {team_key}, {card.feature} (WSJF {score(card):.2f}) is unplanned while "
                f"lower-priority {lowest.feature} (WSJF {score(lowest):.2f}) is planned in "
                f"{label(lowest.iteration)}{others}.",
                f"Plan {card.ref} in place of {lowest.ref}, or re-score {card.feature} if it is no longer urgent.",
            )


def risk_findings(plan: Plan) -> Iterator[Finding]:
    """Risks nobody has ROAMed yet."""
    for risk in plan.risks:
        if risk.roam != "unroamed":
            continue
        items = (risk.key, risk.team) if risk.team else (risk.key,)
        yield finding(
            "risk-unroamed",
            (risk.key,),
            items,
            f"Risk {risk.key} ('{risk.text}') has not been ROAMed.",
            "ROAM it — resolved, owned (name an owner), accepted or mitigated — before the confidence vote.",
        )


def card_size_findings(plan: Plan) -> Iterator[Finding]:
    """Cards larger than their team's capacity in every development iteration."""
    development = [it.index for it in plan.pi.iterations if not it.is_ip]
    if not development:
        return
    teams = plan.teams_by_key
    most: dict[str, int] = {}
    for card in plan.cards:
        team = teams[card.team]
        if card.team not in most:
            most[card.team] = max(team.capacity(i) for i in development)
        if card.points > most[card.team]:
            yield finding(
                "card-too-big",
                (card.ref,),
                (card.ref, card.team),
                f"{card.ref} is {card.points} points, more than {team.name} can take in any "
                f"development iteration (at most {most[card.team]}).",
                f"Split {card.ref} into parts that each fit an iteration.",
            )


def join_words(words: tuple[str, ...]) -> str:
    """``a, b and c``."""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


__all__ = ["Finding", "analyze", "card_ref"]
