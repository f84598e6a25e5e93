"""Planning a PI as the API, the CLI's ``--json`` and the pages show it: the PI's calendar and capacity,
the items people edit (cards, features, objectives, risks, dependencies), the WSJF session,
the confidence vote and the committed baseline."""

from __future__ import annotations

import datetime as dt

from artsync.domain import plan
from artsync.domain.board import DependencyStatus, PlacedDependency, load_status
from artsync.domain.plan import CardStatus, DependencyState, RoamState
from artsync.formats.plan_format import dump_plan
from artsync.formats.plan_schema import FeatureRecord, ObjectiveRecord, PlanDocument
from artsync.services.baselines import Baseline as BaselineResult
from artsync.services.capacity import CalendarChanged, CapacityPlan
from artsync.services.votes import VoteView
from artsync.services.writes import Changed
from artsync.services.wsjf import WsjfSession
from artsync.views.base import Instant, Record, Written, seq_of
from artsync.views.board import Iteration


class Holiday(Record):
    day: dt.date
    name: str


class Leave(Record):
    team: str
    person: str
    first: dt.date
    last: dt.date


class Calendar(Record):
    """The train's holidays and the teams' leave."""

    train: str
    holidays: list[Holiday]
    leave: list[Leave]

    @classmethod
    def of(cls, p: CapacityPlan) -> Calendar:
        return cls(
            train=p.train,
            holidays=[Holiday(day=h.day, name=h.name) for h in p.holidays],
            leave=[Leave(team=x.team, person=x.person, first=x.first, last=x.last) for x in p.leave],
        )


class CalendarChange(Written):
    summary: str

    @classmethod
    def of(cls, result: CalendarChanged) -> CalendarChange:
        return cls(summary=result.summary, seq=seq_of(result.event))


class IterationCapacity(Record):
    iteration: int
    weekdays: int
    holidays: int
    leave_days: int
    availability: float
    calculated: int
    adjusted: int | None
    capacity: int
    load: int
    load_status: str


class TeamCapacity(Record):
    key: str
    name: str
    velocity: int
    size: int | None
    iterations: list[IterationCapacity]


class Capacity(Calendar):
    """Every team's capacity and load in each iteration of a PI, with the calendars it comes from."""

    pi: str
    iterations: list[Iteration]
    teams: list[TeamCapacity]

    @classmethod
    def of(cls, p: CapacityPlan) -> Capacity:
        return cls(
            **dict(Calendar.of(p)),
            pi=p.pi.key,
            iterations=Iteration.all_of(p.pi),
            teams=[
                TeamCapacity(
                    key=t.team,
                    name=t.name,
                    velocity=t.velocity,
                    size=t.size,
                    iterations=[
                        IterationCapacity(
                            iteration=c.iteration,
                            weekdays=c.weekdays,
                            holidays=c.holidays,
                            leave_days=c.leave_days,
                            availability=round(c.availability, 3),
                            calculated=c.calculated,
                            adjusted=c.adjusted,
                            capacity=c.points,
                            load=t.load.get(c.iteration, 0),
                            load_status=load_status(t.load.get(c.iteration, 0), c.points),
                        )
                        for c in t.iterations
                    ],
                )
                for t in p.teams
            ],
        )


class Card(Written):
    """One team's card, with its version (the ETag)."""

    id: int
    train: str
    ref: str
    feature: str
    team: str
    iteration: int | None
    points: int
    status: CardStatus
    version: int

    @classmethod
    def of(cls, card_id: int, train: str, c: plan.Card, version: int, seq: int | None = None) -> Card:
        return cls(id=card_id, train=train, ref=c.ref, feature=c.feature, team=c.team, iteration=c.iteration,
                   points=c.points, status=CardStatus(c.status), version=version, seq=seq)  # fmt: skip


class CardRemoved(Written):
    removed: str


class Feature(FeatureRecord, Written):
    cost_of_delay: int
    wsjf: float
    version: int

    @classmethod
    def of_view(cls, view: Changed[plan.Feature]) -> Feature:
        f = view.value
        return cls(**dict(FeatureRecord.of(f)), cost_of_delay=f.wsjf.cost_of_delay, wsjf=round(f.wsjf.score, 2),
                   version=view.version, seq=seq_of(view.event))  # fmt: skip


class Objective(ObjectiveRecord, Written):
    version: int

    @classmethod
    def of_view(cls, view: Changed[plan.Objective]) -> Objective:
        seq = seq_of(view.event)
        return cls(**dict(ObjectiveRecord.of(view.value)), version=view.version, seq=seq)


class ObjectiveList(Record):
    objectives: list[ObjectiveRecord]

    @classmethod
    def of(cls, p: plan.Plan) -> ObjectiveList:
        return cls(objectives=[ObjectiveRecord.of(o) for o in sorted(p.objectives, key=lambda o: o.key)])


class Risk(Written):
    key: str
    text: str
    roam: RoamState
    owner: str | None
    team: str | None
    version: int

    @classmethod
    def of(cls, view: Changed[plan.Risk]) -> Risk:
        r = view.value
        return cls(key=r.key, text=r.text, roam=RoamState(r.roam), owner=r.owner, team=r.team, version=view.version,
                   seq=seq_of(view.event))  # fmt: skip


class RiskItem(Record):
    key: str
    text: str
    roam: RoamState
    owner: str | None
    team: str | None
    note: str | None

    @classmethod
    def of(cls, r: plan.Risk) -> RiskItem:
        return cls(key=r.key, text=r.text, roam=RoamState(r.roam), owner=r.owner, team=r.team, note=r.note)


class RiskList(Record):
    risks: list[RiskItem]

    @classmethod
    def of(cls, p: plan.Plan) -> RiskList:
        return cls(risks=[RiskItem.of(r) for r in sorted(p.risks, key=lambda r: r.key)])


class Dependency(Written):
    consumer: str
    provider: str
    state: DependencyState
    status: DependencyStatus  # where it stands on the board
    version: int

    @classmethod
    def of(cls, changed: Changed[PlacedDependency]) -> Dependency:
        d = changed.value.dependency
        return cls(consumer=d.consumer, provider=d.provider, state=DependencyState(d.state),
                   status=changed.value.status, version=changed.version, seq=seq_of(changed.event))  # fmt: skip


class RankedFeature(Record):
    rank: int
    key: str
    title: str
    cost_of_delay: int
    size: int
    wsjf: float


class Wsjf(Record):
    """A WSJF session: the features, the scores per column (and who gave them), and the ranking once finished."""

    id: int
    state: str
    features: list[str]
    scores: dict[str, dict[str, int]]
    scorers: dict[str, dict[str, str]]
    remaining: list[str]
    ranking: list[RankedFeature]
    started_by: str
    started_at: Instant
    finished_by: str | None
    finished_at: Instant | None

    @classmethod
    def of(cls, w: WsjfSession) -> Wsjf:
        return cls(
            id=w.id, state=w.state, features=list(w.features), scores=w.scores, scorers=w.scorers,
            remaining=list(w.remaining), ranking=[RankedFeature.model_validate(r) for r in w.ranking],
            started_by=w.started_by, started_at=w.started_at, finished_by=w.finished_by, finished_at=w.finished_at,
        )  # fmt: skip


class Tally(Record):
    histogram: dict[str, int]  # fingers (1–5) → votes
    count: int
    average: float | None
    passes: bool


class Vote(Record):
    """A vote round; the tally only once it is closed, so nobody is swayed while it is open."""

    pi: str
    round: int
    state: str
    opened_by: str
    opened_at: Instant
    closed_at: Instant | None
    voters: list[str]
    mine: int | None
    result: Tally | None

    @classmethod
    def of(cls, v: VoteView) -> Vote:
        t = v.tally
        result = None
        if t is not None:
            histogram = {str(k): n for k, n in sorted(t.histogram.items())}
            result = Tally(histogram=histogram, count=t.count, average=t.average, passes=t.passes)
        return cls(pi=v.pi, round=v.round, state=v.state, opened_by=v.opened_by, opened_at=v.opened_at,
                   closed_at=v.closed_at, voters=list(v.voters), mine=v.mine, result=result)  # fmt: skip


class Baseline(Record):
    """The plan as committed at the end of PI planning: immutable, what predictability and drift measure against."""

    pi: str
    committed_by: str
    committed_at: Instant
    seq: int
    vote_round: int | None
    vote_average: float | None
    override_reason: str | None
    plan: PlanDocument

    @classmethod
    def of(cls, b: BaselineResult) -> Baseline:
        return cls(pi=b.pi, committed_by=b.committed_by, committed_at=b.committed_at, seq=b.seq,
                   vote_round=b.vote_round, vote_average=b.vote_average, override_reason=b.override_reason,
                   plan=PlanDocument.model_validate(dump_plan(b.plan)))  # fmt: skip


class Commitment(Baseline):
    overridden: list[str]  # the findings the RTE committed over, with the reason given

    @classmethod
    def made(cls, b: BaselineResult) -> Commitment:
        return cls(**dict(Baseline.of(b)), overridden=list(b.overridden))
