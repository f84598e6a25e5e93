"""The train and its board as the API, the CLI's ``--json`` and the pages show them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from artsync.domain import board as rules
from artsync.domain import cadence, events, findings, forecast, lifecycle, plan, progress
from artsync.domain.event_text import sentence
from artsync.domain.findings import Severity
from artsync.domain.lifecycle import PIState
from artsync.domain.plan import CardStatus, DependencyState
from artsync.domain.wsjf import rank
from artsync.formats.plan_schema import FeatureRecord, ObjectiveRecord
from artsync.services.board import Board as BoardResult
from artsync.services.forecast import TrainForecast
from artsync.services.people import Person as PersonResult
from artsync.services.trains import TrainSummary
from artsync.services.writes import Changed
from artsync.views.base import Instant, Record, Written, seq_of


class Train(Record):
    key: str
    name: str
    pi: str | None
    teams: int
    features: int
    cards: int
    last_seq: int

    @classmethod
    def of(cls, t: TrainSummary) -> Train:
        return cls.model_validate(t.__dict__)


class TrainList(Record):
    trains: list[Train]


class Iteration(Record):
    index: int
    label: str
    start: dt.date
    end: dt.date
    is_ip: bool

    @classmethod
    def all_of(cls, pi: cadence.PI) -> list[Iteration]:
        return [cls(index=i.index, label=i.label, start=i.start, end=i.end, is_ip=i.is_ip) for i in pi.iterations]


class PIDates(Record):
    """A PI's dates, state and iterations (the last is normally the IP iteration)."""

    key: str
    state: PIState
    start: dt.date
    end: dt.date
    iteration_weeks: int
    iterations: list[Iteration]

    @classmethod
    def of(cls, pi: cadence.PI) -> PIDates:
        return cls(key=pi.key, state=PIState(pi.state), start=pi.start, end=pi.end,
                   iteration_weeks=pi.iteration_weeks, iterations=Iteration.all_of(pi))  # fmt: skip


class PI(PIDates):
    ip_last: bool
    current: bool
    version: int

    @classmethod
    def with_version(cls, pi: cadence.PI, version: int, current: bool) -> PI:
        return cls(**dict(PIDates.of(pi)), ip_last=pi.ip_last, current=current, version=version)


class PIList(Record):
    pis: list[PI]


class Cell(Record):
    iteration: int
    load: int
    capacity: int


class TeamRow(Record):
    key: str
    name: str
    velocity: int
    cells: list[Cell]


class BoardCard(Record):
    ref: str
    feature: str
    title: str
    team: str
    iteration: int | None
    points: int
    status: CardStatus
    id: int
    version: int


class DependencyLine(Record):
    consumer: str
    provider: str
    state: DependencyState
    status: rules.DependencyStatus  # on the board: ok, at risk, broken, unplanned provider


class Milestone(Record):
    key: str
    name: str
    iteration: int
    date: dt.date | None
    features: list[str]


class BoardRules(Record):
    """The domain's rules the board's page applies itself while cards move, so it never keeps a copy."""

    near_capacity: float = Field(description="above this share of capacity a team's load is near (domain/board.py)")
    dependency_status: dict[rules.Order, rules.DependencyStatus] = Field(
        description="where a dependency stands, by how the provider's iteration stands to the consumer's"
    )
    dependency_moves: dict[DependencyState, list[DependencyState]] = Field(
        description="the states a dependency may move to from each state (domain/lifecycle.py)"
    )
    card_changes: list[str] = Field(
        description="the actions of card events whose `after` is the card's whole state (domain/events.py): "
        "a board applies them in place; any other event means reading the board again"
    )
    unshown: list[str] = Field(
        description="the entities of events the board does not show (risks, votes, meetings…, domain/events.py): "
        "a board only takes their seq"
    )

    @classmethod
    def of_domain(cls) -> BoardRules:
        moves: dict[DependencyState, list[DependencyState]] = {state: [] for state in DependencyState}
        for state, to in lifecycle.DEPENDENCY_MOVES:
            moves[DependencyState(state)].append(DependencyState(to))
        return cls(near_capacity=rules.NEAR_CAPACITY, dependency_status=dict(rules.STATUS_BY_ORDER),
                   dependency_moves=moves, card_changes=list(events.CARD_CHANGES_IN_PLACE),
                   unshown=sorted(events.OFF_THE_BOARD))  # fmt: skip


class Board(Record):
    """The board of the current PI as of event ``seq``: teams × iterations, cards, dependencies, milestones."""

    train: str
    pi: str
    iterations: list[Iteration]
    teams: list[TeamRow]
    cards: list[BoardCard]
    dependencies: list[DependencyLine]
    milestones: list[Milestone]
    objectives: list[ObjectiveRecord] = Field(description="the PI objectives, each beside its team's row")
    cycles: list[list[str]] = Field(description="cards that need each other in a cycle, so none can go first")
    rules: BoardRules
    seq: int

    @classmethod
    def of(cls, board: BoardResult) -> Board:
        p = board.plan
        return cls(
            train=p.train.key,
            pi=p.pi.key,
            iterations=Iteration.all_of(p.pi),
            teams=team_rows(p),
            cards=[board_card(board, c) for c in p.cards],
            dependencies=dependency_lines(p),
            milestones=milestones(p),
            objectives=[ObjectiveRecord.of(o) for o in sorted(p.objectives, key=lambda o: o.key)],
            cycles=[list(refs) for refs in findings.dependency_cycles(p)],
            rules=BoardRules.of_domain(),
            seq=board.seq,
        )

    def brought_up(self, board: BoardResult, changed: set[str]) -> Board:
        """This board as ``board`` has it now, when only the cards ``changed`` were added or changed, cards were taken
        off, dependencies were added, removed or moved and objectives written, edited or valued: those cards, the
        loads and the dependencies' statuses are made again — and the dependencies and their cycles, and the
        objectives, when they are not the ones this board has —, the rest is kept."""
        p = board.plan
        shown = {c.ref: c for c in self.cards}
        cards = [shown[c.ref] if c.ref in shown and c.ref not in changed else board_card(board, c) for c in p.cards]
        update: dict[str, Any] = {"cards": cards, "teams": team_rows(p), "seq": board.seq}
        objectives = [ObjectiveRecord.of(o) for o in sorted(p.objectives, key=lambda o: o.key)]
        if objectives != self.objectives:
            update["objectives"] = objectives
        lines = [(line.consumer, line.provider, line.state) for line in self.dependencies]
        if lines != [(d.consumer, d.provider, d.state) for d in p.dependencies]:
            update["dependencies"] = dependency_lines(p)
            update["cycles"] = [list(refs) for refs in findings.dependency_cycles(p)]
        else:
            statuses = rules.dependency_statuses(p)
            update["dependencies"] = [
                line if line.status == statuses[d.key] else line.model_copy(update={"status": statuses[d.key]})
                for line, d in zip(self.dependencies, p.dependencies, strict=True)
            ]
        return self.model_copy(update=update)


class BoardDependencies(Record):
    """The board's dependency strings and their cycles as of event ``seq``: what a board applies after a dependency
    was added, removed or moved, or a card taken off with its dependencies, instead of reading the whole board."""

    dependencies: list[DependencyLine]
    cycles: list[list[str]] = Field(description="cards that need each other in a cycle, so none can go first")
    seq: int

    @classmethod
    def of(cls, board: Board) -> BoardDependencies:
        return cls(dependencies=board.dependencies, cycles=board.cycles, seq=board.seq)


class BoardCards(Record):
    """Some of the board's cards as of event ``seq`` (those asked for that it has): what a board applies after a
    card was put on it, instead of reading the whole board."""

    cards: list[BoardCard]
    seq: int


def board_card(board: BoardResult, c: plan.Card) -> BoardCard:
    p = board.plan
    return BoardCard(
        ref=c.ref,
        feature=c.feature,
        title=p.features_by_key[c.feature].title,
        team=c.team,
        iteration=c.iteration,
        points=c.points,
        status=CardStatus(c.status),
        id=board.cards[c.ref].id,
        version=board.cards[c.ref].version,
    )


def team_rows(p: plan.Plan) -> list[TeamRow]:
    load = rules.loads(p.cards)
    return [
        TeamRow(
            key=t.key,
            name=t.name,
            velocity=t.velocity,
            cells=[
                Cell(iteration=it.index, load=load.get((t.key, it.index), 0), capacity=t.capacity(it.index))
                for it in p.pi.iterations
            ],
        )
        for t in p.teams
    ]


def dependency_lines(p: plan.Plan) -> list[DependencyLine]:
    statuses = rules.dependency_statuses(p)
    return [
        DependencyLine(consumer=d.consumer, provider=d.provider, state=DependencyState(d.state), status=statuses[d.key])
        for d in p.dependencies
    ]


def milestones(p: plan.Plan) -> list[Milestone]:
    return [
        Milestone(key=m.key, name=m.name, iteration=m.iteration, date=m.date, features=list(m.features))
        for m in p.milestones
    ]


class TeamList(Record):
    teams: list[TeamRow]


class MilestoneList(Record):
    milestones: list[Milestone]


class DependencyList(Record):
    dependencies: list[DependencyLine]


class BacklogItem(FeatureRecord):
    """A feature in the backlog's WSJF order, with the teams that have a card for it."""

    rank: int
    cost_of_delay: int
    wsjf: float
    teams: list[str]
    state: progress.FeatureState = Field(description="from its cards: unplanned, planned, in progress or done")


def backlog(p: plan.Plan) -> list[BacklogItem]:
    cards: dict[str, list[plan.Card]] = {}
    for card in p.cards:
        cards.setdefault(card.feature, []).append(card)
    return [
        BacklogItem(
            **dict(FeatureRecord.of(f)),
            rank=n,
            cost_of_delay=f.wsjf.cost_of_delay,
            wsjf=round(f.wsjf.score, 2),
            teams=sorted(c.team for c in cards.get(f.key, [])),
            state=progress.feature_state(cards.get(f.key, [])),
        )
        for n, f in enumerate(rank(p.features), start=1)
    ]


class Backlog(Record):
    features: list[BacklogItem]


class Finding(Record):
    id: str
    kind: str
    severity: Severity
    items: list[str]
    message: str
    fix: str

    @classmethod
    def of(cls, f: findings.Finding) -> Finding:
        return cls(id=f.id, kind=f.kind, severity=Severity(f.severity), items=list(f.items), message=f.message,
                   fix=f.fix)  # fmt: skip


class FindingList(Record):
    findings: list[Finding]


class Event(Record):
    """One entry of the train's event log: who changed what, from what, to what."""

    seq: int
    at: Instant
    actor: str
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    summary: str  # the change in fields: "card ART-1@Phoenix moved: iteration 2 → 3"
    sentence: str  # the change as a person says it: "rita moved ART-1@Phoenix from I2 to I3"

    @classmethod
    def of(cls, e: events.Event) -> Event:
        return cls(seq=e.seq, at=e.at, actor=e.actor, entity=e.entity, entity_id=e.entity_id, action=e.action,
                   before=e.before, after=e.after, summary=e.summary(), sentence=sentence(e))  # fmt: skip


class EventList(Record):
    events: list[Event]


class Role(Record):
    train: str
    role: str
    team: str | None


class Person(Record):
    name: str
    has_password: bool
    roles: list[Role]

    @classmethod
    def of(cls, p: PersonResult) -> Person:
        roles = [Role(train=g.train, role=g.role.value, team=g.team) for g in p.grants]
        return cls(name=p.name, has_password=p.has_password, roles=roles)


class PersonList(Record):
    users: list[Person]


class Outlook(Record):
    """One item's forecast: the chance of meeting its deadline, and the iterations by which it is 50% and 85% likely."""

    key: str
    deadline: int | None
    deadline_label: str | None
    probability: float | None
    p50: int
    p50_label: str
    p85: int
    p85_label: str

    @staticmethod
    def fields_of(p: plan.Plan, o: forecast.Outlook) -> dict[str, Any]:
        return {
            "key": o.key,
            "deadline": o.deadline,
            "deadline_label": forecast.iteration_words(p, o.deadline) if o.deadline is not None else None,
            "probability": round(o.probability, 4) if o.probability is not None else None,
            "p50": o.p50,
            "p50_label": "later" if o.p50 >= o.beyond else forecast.iteration_words(p, o.p50),
            "p85": o.p85,
            "p85_label": "not within the forecast" if o.p85 >= o.beyond else forecast.iteration_words(p, o.p85),
        }


class MilestoneOutlook(Outlook):
    name: str


class ObjectiveOutlook(Outlook):
    team: str | None
    text: str
    committed: bool


class Throughput(Record):
    history: list[int]
    velocity: int


class Forecast(Record):
    """The Monte Carlo forecast of the current PI: milestones, objectives and features."""

    train: str
    pi: str
    now: int
    trials: int
    seed: int
    horizon: int
    throughput: dict[str, Throughput]
    milestones: list[MilestoneOutlook]
    objectives: list[ObjectiveOutlook]
    features: list[Outlook]

    @classmethod
    def of(cls, found: TrainForecast) -> Forecast:
        p, f = found.plan, found.forecast
        names = {m.key: m.name for m in p.milestones}
        objectives = {o.key: o for o in p.objectives}
        return cls(
            train=p.train.key,
            pi=p.pi.key,
            now=f.now,
            trials=f.trials,
            seed=f.seed,
            horizon=f.horizon,
            throughput={
                t: Throughput(history=list(v.history), velocity=v.velocity) for t, v in found.throughput.items()
            },
            milestones=[
                MilestoneOutlook(**Outlook.fields_of(p, o), name=names.get(k, "")) for k, o in f.milestones.items()
            ],
            objectives=[
                ObjectiveOutlook(
                    **Outlook.fields_of(p, o),
                    team=objectives[k].team,
                    text=objectives[k].text,
                    committed=objectives[k].committed,
                )
                for k, o in f.objectives.items()
            ],
            features=[Outlook(**Outlook.fields_of(p, o)) for o in f.features.values()],
        )


class PIMoved(Written):
    """A PI moved on in its lifecycle (draft → planning → executing → closed)."""

    key: str
    state: PIState
    version: int

    @classmethod
    def of(cls, moved: Changed[cadence.PI]) -> PIMoved:
        pi = moved.value
        return cls(key=pi.key, state=PIState(pi.state), version=moved.version, seq=seq_of(moved.event))
