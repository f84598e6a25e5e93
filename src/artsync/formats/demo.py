"""Demo trains: realistic, seeded plans with a few of each kind of problem in them.

``demo_plan(size, seed)`` is pure: the same size and seed give the same plan.
The board is first planned cleanly — each team takes its cards in WSJF order
up to about 75% of capacity, and dependencies point to earlier iterations —
then a handful of known problems is put in so the analysis has something to
say: dependencies at risk, broken, on an unplanned provider and in a cycle;
an over-loaded and a nearly full iteration; work in the IP iteration; a
milestone that will be missed; a committed objective with unplanned work; a
priority inversion; unROAMed risks; a card too big for any iteration.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from artsync.domain.cadence import PI
from artsync.domain.plan import (
    Card,
    Dependency,
    Feature,
    Milestone,
    Objective,
    Plan,
    Risk,
    Team,
    Train,
)
from artsync.domain.wsjf import WsjfInputs, rank

PLANNED_LOAD = 0.75


@dataclass(frozen=True)
class DemoSize:
    train_key: str
    train_name: str
    teams: int
    features: int
    providers_per_consumer: tuple[int, int]  # how many earlier cards a planned card needs, at most
    unplanned_dependency_share: float


SIZES: dict[str, DemoSize] = {
    "small": DemoSize("SHOP", "Online Shop ART", 6, 60, (0, 1), 0.1),
    "art": DemoSize("PAY", "Payments ART", 10, 150, (0, 1), 0.15),
    "train": DemoSize("FLEET", "Connected Fleet Solution Train", 40, 2000, (1, 3), 0.35),
}
DEMO_PI_START = date(2026, 10, 19)

TEAM_NAMES = (
    "Phoenix",
    "Atlas",
    "Orion",
    "Kestrel",
    "Nova",
    "Falcon",
    "Lynx",
    "Comet",
    "Zephyr",
    "Aurora",
    "Borealis",
    "Cobalt",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Harbor",
    "Indigo",
    "Juniper",
    "Kraken",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Onyx",
    "Pioneer",
    "Quasar",
    "Raven",
    "Sierra",
    "Tundra",
    "Umber",
    "Vortex",
    "Willow",
    "Xenon",
    "Yukon",
    "Zenith",
    "Apex",
    "Beacon",
    "Cedar",
    "Dune",
    "Echo",
)
AREAS = (
    "card payments",
    "refunds",
    "invoices",
    "checkout",
    "fraud checks",
    "payouts",
    "currency conversion",
    "wallet top-ups",
    "subscriptions",
    "statements",
    "merchant onboarding",
    "chargebacks",
    "loyalty points",
    "tax reports",
    "bank transfers",
    "direct debits",
    "customer support",
    "reconciliation",
    "pricing",
    "notifications",
    "identity checks",
    "dispute handling",
    "partner APIs",
    "reporting",
)
BUSINESS = (
    "Self-service {}",
    "Real-time {}",
    "Bulk {}",
    "Mobile {}",
    "Audit trail for {}",
    "Public API for {}",
    "Faster {}",
    "Automated {}",
    "Multi-currency {}",
    "Accessible {}",
    "Insights dashboard for {}",
)
ENABLER = (
    "Move {} to event streaming",
    "Observability for {}",
    "Load-test {}",
    "Split {} out of the monolith",
    "Contract tests for {}",
    "Encrypt {} data at rest",
)
RISKS = (
    "Vendor sandbox for {} may not be ready before iteration 2",
    "Key engineer on {} leaves mid-PI",
    "Regulator has not confirmed the rules for {}",
    "Performance of {} under peak load is unknown",
    "Shared test environment for {} is unstable",
    "Third-party SDK for {} is being deprecated",
    "Data migration of {} may take longer than planned",
    "Security review of {} is booked late in the PI",
)
PEOPLE = ("Alice Moreau", "Bob Chen", "Charlie Okafor", "Dana Silva", "Evan Novak", "Farah Haddad")
WEIGHTED_SCALE = (1, 1, 2, 2, 3, 3, 5, 5, 8, 13, 20)
SIZES_SCALE = (1, 2, 2, 3, 3, 5, 5, 8, 8, 13, 20)


DEMO_PASSWORD = "artsync-demo"


@dataclass(frozen=True)
class DemoPerson:
    name: str
    role: str
    team_index: int | None  # index into the train's teams, for team roles
    what: str


DEMO_PEOPLE = (
    DemoPerson("rita", "rte", None, "Release Train Engineer: may do everything"),
    DemoPerson("pam", "product_manager", None, "Product Management: owns features and WSJF"),
    DemoPerson("bob", "business_owner", None, "Business Owner: sets business value"),
    DemoPerson("olga", "product_owner", 0, "owns the team's cards, objectives, risks and dependencies"),
    DemoPerson("sam", "scrum_master", 0, "owns the team's cards, objectives, risks and dependencies"),
    DemoPerson("mia", "member", 0, "moves the team's cards, raises risks"),
    DemoPerson("otto", "member", 1, "moves the team's cards, raises risks"),
    DemoPerson("vic", "viewer", None, "reads everything"),
)


def demo_plan(size: str = "art", seed: int = 7, start: date = DEMO_PI_START, key: str = "PI-2026.4") -> Plan:
    """A realistic train for ``size`` (small, art or train) in PI planning; the same seed gives the same plan."""
    spec = SIZES[size]
    rng = random.Random(f"{size}:{seed}")
    pi = PI(key=key, start=start, iteration_weeks=2, iteration_count=5, ip_last=True)
    teams = demo_teams(rng, spec)
    features = demo_features(rng, spec, first=101, count=spec.features - 1)  # + the epic-sized card below
    cards = plan_cleanly(pi, teams, features, demo_cards(rng, teams, features))
    problems = Problems(rng, pi, teams, features, cards)
    problems.inject()
    dependencies = problems.dependencies + plan_dependencies(rng, spec, cards, problems.reserved)
    dependencies = declare_one_broken(dependencies, problems.reserved)
    teams = problems.teams
    features = problems.features
    milestones = demo_milestones(rng, pi, features, problems.cards, problems.reserved, problems.late_card)
    objectives = demo_objectives(rng, teams, features, problems.cards, problems.reserved)
    risks = demo_risks(rng, teams)
    return Plan(
        train=Train(spec.train_key, spec.train_name),
        pi=pi,
        teams=tuple(teams),
        features=tuple(features),
        cards=tuple(sorted(problems.cards.values(), key=lambda c: (c.feature, c.team))),
        dependencies=tuple(sorted(dependencies, key=lambda d: d.key)),
        milestones=tuple(milestones),
        objectives=tuple(objectives),
        risks=tuple(risks),
    )


def previous_plan(size: str, seed: int, current: Plan, key: str) -> Plan:
    """The PI before ``current``: the same teams on other features, planned cleanly, ten weeks earlier.

    Its risks are all ROAMed and its dependencies committed, as a plan the train went on to execute.
    """
    spec = SIZES[size]
    rng = random.Random(f"{size}:{seed}:previous")
    weeks = current.pi.iteration_weeks * current.pi.iteration_count
    pi = PI(key=key, start=current.pi.start - timedelta(weeks=weeks), iteration_weeks=current.pi.iteration_weeks,
            iteration_count=current.pi.iteration_count, ip_last=current.pi.ip_last)  # fmt: skip
    teams = [replace(t, capacity_overrides={}) for t in current.teams]
    count = max(20, spec.features * 3 // 5)
    features = demo_features(rng, spec, first=101 - count, count=count)
    planned = plan_cleanly(pi, teams, features, demo_cards(rng, teams, features))
    cards = {ref: c for ref, c in planned.items() if c.iteration is not None}  # what did not fit waits for later
    dependencies = [replace(d, state="committed") for d in plan_dependencies(rng, spec, cards, set())]
    objectives = demo_objectives(rng, teams, features, cards, set())
    milestones = [
        Milestone("M1", "Release to all merchants", pi.iteration_count - 1, None,
                  tuple(sorted(rng.sample(done_features(features, cards, pi.iteration_count - 1, set()), 3)))),
    ]  # fmt: skip
    roamed = ("resolved", "resolved", "accepted", "mitigated", "resolved")
    risks = [
        replace(r, roam=state, owner=r.owner or rng.choice(PEOPLE))
        for r, state in zip(demo_risks(rng, teams), roamed, strict=False)
    ]
    return Plan(
        train=current.train,
        pi=pi,
        teams=tuple(teams),
        features=tuple(features),
        cards=tuple(sorted(cards.values(), key=lambda c: (c.feature, c.team))),
        dependencies=tuple(sorted(dependencies, key=lambda d: d.key)),
        milestones=tuple(milestones),
        objectives=tuple(objectives),
        risks=tuple(risks),
    )


def demo_teams(rng: random.Random, spec: DemoSize) -> list[Team]:
    return [Team(TEAM_NAMES[i], f"Team {TEAM_NAMES[i]}", rng.randrange(30, 51, 2)) for i in range(spec.teams)]


def demo_features(rng: random.Random, spec: DemoSize, *, first: int, count: int) -> list[Feature]:
    """``count`` features keyed from ``first`` on, with WSJF inputs on the usual scales."""
    features: list[Feature] = []
    for n in range(count):
        area = rng.choice(AREAS)
        enabler = rng.random() < 0.2
        template = rng.choice(ENABLER if enabler else BUSINESS)
        inputs = WsjfInputs(
            rng.choice(WEIGHTED_SCALE), rng.choice(WEIGHTED_SCALE), rng.choice(WEIGHTED_SCALE), rng.choice(SIZES_SCALE)
        )
        title = template.format(area)
        features.append(Feature(f"{spec.train_key}-{first + n}", title[0].upper() + title[1:], kind(enabler), inputs))
    return features


def demo_cards(rng: random.Random, teams: list[Team], features: list[Feature]) -> dict[str, Card]:
    """Each feature needs one to three teams; its size spreads over them in points."""
    cards: dict[str, Card] = {}
    for feature in features:
        for team in rng.sample(teams, rng.choice((1, 1, 1, 2, 2, 3))):
            points = max(1, min(team.velocity // 2, feature.wsjf.size + rng.randrange(0, 6)))
            card = Card(feature.key, team.key, None, points)
            cards[card.ref] = card
    return cards


def plan_cleanly(pi: PI, teams: list[Team], features: list[Feature], cards: dict[str, Card]) -> dict[str, Card]:
    """Each team's cards in WSJF order into the earliest iteration with room, up to ~75% load; the first
    card that fits nowhere stops the team, so planned work always outranks unplanned. The IP iteration
    takes no feature work."""
    development = range(1, pi.iteration_count)
    order = {f.key: i for i, f in enumerate(rank(features))}
    load = {(t.key, i): 0 for t in teams for i in development}
    for team in teams:
        own = sorted((c for c in cards.values() if c.team == team.key), key=lambda c: order[c.feature])
        for card in own:
            room = [i for i in development if load[team.key, i] + card.points <= PLANNED_LOAD * team.velocity]
            if not room:
                break
            load[team.key, room[0]] += card.points
            cards[card.ref] = replace(card, iteration=room[0])
    return cards


def kind(enabler: bool) -> str:
    return "enabler" if enabler else "business"


class Problems:
    """Puts a few known problems into a clean plan, remembering which cards it used."""

    def __init__(
        self,
        rng: random.Random,
        pi: PI,
        teams: list[Team],
        features: list[Feature],
        cards: dict[str, Card],
    ) -> None:
        self.rng, self.pi, self.teams, self.features, self.cards = rng, pi, teams, features, cards
        self.reserved: set[str] = set()
        self.dependencies: list[Dependency] = []
        self.late_card: Card | None = None

    def pick(self, iteration: int | object | None = ..., *, exclude_team: str | None = None) -> Card:
        """A card not used yet, planned in ``iteration`` (``...`` = any planned, None = unplanned)."""
        candidates = [
            c
            for ref, c in sorted(self.cards.items())
            if ref not in self.reserved
            and c.team != exclude_team
            and (c.iteration is not None if iteration is ... else c.iteration == iteration)
        ]
        card = self.rng.choice(candidates)
        self.reserved.add(card.ref)
        return card

    def needs(self, consumer: Card, provider: Card) -> None:
        self.dependencies.append(Dependency(consumer.ref, provider.ref))

    def inject(self) -> None:
        last = self.pi.iteration_count - 1
        # Two dependencies at risk (same iteration), one broken (provider later), one on an unplanned provider.
        for iteration in (2, 3):
            consumer = self.pick(iteration)
            self.needs(consumer, self.pick(iteration, exclude_team=consumer.team))
        consumer = self.pick(2)
        self.needs(consumer, self.pick(last, exclude_team=consumer.team))
        consumer = self.pick(last)
        self.needs(consumer, self.pick(None, exclude_team=consumer.team))
        # Three unplanned cards that need each other in a cycle.
        a = self.pick(None)
        b = self.pick(None, exclude_team=a.team)
        c = self.pick(None, exclude_team=b.team)
        self.needs(a, b)
        self.needs(b, c)
        self.needs(c, a)
        # Work pushed into the IP iteration.
        card = self.pick()
        self.cards[card.ref] = replace(card, iteration=self.pi.iteration_count)
        # A card pushed late: it will miss the milestone that needs its feature.
        early = self.pick(1)
        self.late_card = replace(early, iteration=last)
        self.cards[early.ref] = self.late_card
        # A high-WSJF card deferred while lower-WSJF work stays planned: a priority inversion.
        team_cards = sorted(
            (c for c in self.cards.values() if c.team == self.teams[0].key and c.iteration is not None),
            key=lambda c: self.score(c),
        )
        deferred = next(c for c in reversed(team_cards) if c.ref not in self.reserved)
        self.reserved.add(deferred.ref)
        self.cards[deferred.ref] = replace(deferred, iteration=None)
        # An epic-sized card no iteration can hold, on a low-priority feature.
        team = self.teams[-1]
        big = Feature(
            f"{self.features[0].key.split('-')[0]}-{101 + len(self.features)}",
            "Replatform the legacy ledger",
            "enabler",
            WsjfInputs(1, 1, 2, 20),
        )
        self.features = [*self.features, big]
        card = Card(big.key, team.key, None, team.velocity + 15)
        self.cards[card.ref] = card
        self.reserved.add(card.ref)
        # Leave and holidays, last so that no later move changes the load: one team over capacity in
        # iteration 2, another nearly full in iteration 3.
        over, near = self.rng.sample(self.teams, 2)
        self.set_capacity(over, 2, max(1, self.load_of(over, 2) - 6))
        self.set_capacity(near, 3, max(1, round(self.load_of(near, 3) / 0.9)))

    def load_of(self, team: Team, iteration: int) -> int:
        return sum(c.points for c in self.cards.values() if c.team == team.key and c.iteration == iteration)

    def score(self, card: Card) -> float:
        return next(f.wsjf.score for f in self.features if f.key == card.feature)

    def set_capacity(self, team: Team, iteration: int, points: int) -> None:
        index = self.teams.index(team)
        self.teams[index] = replace(team, capacity_overrides={**team.capacity_overrides, iteration: points})


def declare_one_broken(dependencies: list[Dependency], reserved: set[str]) -> list[Dependency]:
    """One healthy dependency whose providing team has said it will not deliver (chosen without the random
    generator, so the rest of the demo stays as it was); and a few that their providers committed to."""
    healthy = sorted((d for d in dependencies if d.consumer not in reserved and d.provider not in reserved),
                     key=lambda d: d.key)  # fmt: skip
    if not healthy:
        return dependencies
    states = {healthy[0].key: "broken"} | {d.key: "committed" for d in healthy[1:4]}
    return [replace(d, state=states.get(d.key, d.state)) for d in dependencies]


def plan_dependencies(
    rng: random.Random, spec: DemoSize, cards: dict[str, Card], reserved: set[str]
) -> list[Dependency]:
    """Healthy dependencies: a planned card needs cards of other teams planned in earlier iterations."""
    free = [c for ref, c in sorted(cards.items()) if ref not in reserved]
    by_iteration: dict[int, list[Card]] = {}
    for card in free:
        if card.iteration is not None:
            by_iteration.setdefault(card.iteration, []).append(card)
    found: dict[str, Dependency] = {}
    low, high = spec.providers_per_consumer
    for consumer in free:
        if consumer.iteration is None:
            continue
        earlier = [c for i in range(1, consumer.iteration) for c in by_iteration.get(i, []) if c.team != consumer.team]
        if not earlier:
            continue
        for provider in rng.sample(earlier, min(len(earlier), rng.randint(low, high))):
            dep = Dependency(consumer.ref, provider.ref)
            found[dep.key] = dep
    # Some unplanned work already needs other cards; a provider earlier in the list keeps it acyclic.
    unplanned = [c for c in free if c.iteration is None]
    for i, consumer in enumerate(unplanned):
        if i and rng.random() < spec.unplanned_dependency_share:
            provider = rng.choice(unplanned[:i])
            if provider.team != consumer.team:
                dep = Dependency(consumer.ref, provider.ref)
                found[dep.key] = dep
    return list(found.values())


def done_features(features: list[Feature], cards: dict[str, Card], iteration: int, reserved: set[str]) -> list[str]:
    """The features whose every card is planned by ``iteration`` (and not one the problems use)."""
    by_feature: dict[str, list[Card]] = {}
    for card in cards.values():
        by_feature.setdefault(card.feature, []).append(card)
    return [
        f.key
        for f in features
        if f.key in by_feature
        and all(
            c.iteration is not None and c.iteration <= iteration and c.ref not in reserved for c in by_feature[f.key]
        )
    ]


def demo_milestones(
    rng: random.Random, pi: PI, features: list[Feature], cards: dict[str, Card], reserved: set[str], late: Card | None
) -> list[Milestone]:
    """A release that will be met, a regulatory date that one feature will miss, and a learning milestone."""

    def done_by(iteration: int) -> list[str]:
        return done_features(features, cards, iteration, reserved)

    regulatory = rng.sample(done_by(3), min(2, len(done_by(3))))
    if late is not None:
        regulatory.append(late.feature)
    deadline = pi.iterations[2].end - timedelta(days=2)  # the Friday that ends iteration 3
    return [
        Milestone("M1", "Beta release to pilot merchants", 2, None, tuple(sorted(rng.sample(done_by(2), 3)))),
        Milestone("M2", "Regulatory deadline", 3, deadline, tuple(sorted(regulatory))),
        Milestone("M3", "Learning milestone: checkout A/B result", 4, None, tuple(sorted(rng.sample(done_by(4), 2)))),
    ]


def demo_objectives(
    rng: random.Random, teams: list[Team], features: list[Feature], cards: dict[str, Card], reserved: set[str]
) -> list[Objective]:
    """Per team, two or three committed objectives on planned work and one uncommitted stretch."""
    objectives: list[Objective] = []
    titles = {f.key: f.title for f in features}
    overcommitted = False  # one team commits to work that is not on the board
    for team in teams:
        planned = sorted({c.feature for c in cards.values() if c.team == team.key and c.iteration is not None})
        unplanned = sorted({c.feature for c in cards.values() if c.team == team.key and c.iteration is None})
        ready = [f for f in planned if all(c.iteration is not None for c in cards.values() if c.feature == f)]
        for n, feature in enumerate(rng.sample(ready, min(len(ready), rng.choice((2, 3)))), start=1):
            objectives.append(
                Objective(
                    f"{team.key}-O{n}",
                    team.key,
                    f"Deliver: {titles[feature]}",
                    True,
                    rng.randint(3, 10),
                    None,
                    (feature,),
                )
            )
        if unplanned:
            stretch = rng.choice(unplanned)
            committed, overcommitted = not overcommitted, True
            objectives.append(
                Objective(
                    f"{team.key}-O9",
                    team.key,
                    f"Explore: {titles[stretch]}",
                    committed,
                    rng.randint(1, 5),
                    None,
                    (stretch,),
                )
            )
    return objectives


def demo_risks(rng: random.Random, teams: list[Team]) -> list[Risk]:
    """Eight risks; three are not ROAMed yet."""
    states = ("unroamed", "unroamed", "unroamed", "owned", "owned", "mitigated", "accepted", "resolved")
    risks = []
    for n, state in enumerate(states, start=1):
        team = rng.choice(teams)
        owner = rng.choice(PEOPLE) if state != "unroamed" else None
        risks.append(Risk(f"R{n}", rng.choice(RISKS).format(rng.choice(AREAS)), state, owner, team.key))
    return risks
