"""The measures of a PI (progress, predictability, drift) and the problem-solving workshop,
as the API, the CLI's ``--json``, the report's tables and the pages show them."""

from __future__ import annotations

from artsync.domain import drift, workshop
from artsync.domain.predictability import Predictability
from artsync.services.measures import Measures as MeasuresResult
from artsync.views.base import Instant, Record


class PredictabilityRow(Record):
    pi: str
    scope: str  # a team key, or "train"
    planned_bv: int
    actual_bv: int
    percent: float | None
    band: str | None
    objectives: int
    unvalued: int
    note: str

    @classmethod
    def of(cls, pi: str, p: Predictability) -> PredictabilityRow:
        note = p.reason or (f"{p.unvalued} objectives have no actual value yet" if p.unvalued else "")
        return cls(pi=pi, scope=p.scope, planned_bv=p.planned, actual_bv=p.actual, percent=p.percent, band=p.band,
                   objectives=p.objectives, unvalued=p.unvalued, note=note)  # fmt: skip


class DriftRow(Record):
    kind: str
    item: str  # a card ref, or CONSUMER->PROVIDER
    team: str
    detail: str
    points: int
    iterations: int | None
    seq: int | None
    actor: str | None
    at: Instant | None

    @classmethod
    def of(cls, d: drift.Drift) -> DriftRow:
        return cls(kind=d.kind, item=d.item, team=d.team, detail=d.detail, points=d.points, iterations=d.iterations,
                   seq=d.seq, actor=d.actor, at=d.at)  # fmt: skip


class ProgressRow(Record):
    scope: str
    iteration: str
    planned: int
    done: int
    cumulative_planned: int
    cumulative_done: int
    scope_points: int


def progress_rows(m: MeasuresResult) -> list[ProgressRow]:
    rows = []
    for p in m.progress:
        planned, done = p.burn_up
        for n, it in enumerate(p.iterations):
            rows.append(
                ProgressRow(scope=p.scope, iteration=it.label, planned=it.planned, done=it.done,
                            cumulative_planned=planned[n], cumulative_done=done[n], scope_points=p.scope_points)
            )  # fmt: skip
    return rows


class IterationDone(Record):
    iteration: str
    planned: int
    done: int


class FeatureProgress(Record):
    key: str
    title: str
    points: int
    done: int
    percent: float | None
    teams: list[str]
    iterations: list[IterationDone]


class DriftTotal(Record):
    scope: str
    slipped: int
    iterations_slipped: int
    added_points: int
    removed_points: int
    broken: int


class Measures(Record):
    """Progress, predictability (this PI and every PI before) and drift from the committed baseline."""

    train: str
    pi: str
    committed: bool
    progress: list[ProgressRow]
    features: list[FeatureProgress]
    predictability: list[PredictabilityRow]
    trend: list[PredictabilityRow]
    drift: list[DriftRow]
    drift_totals: list[DriftTotal]

    @classmethod
    def of(cls, m: MeasuresResult) -> Measures:
        return cls(
            train=m.plan.train.key,
            pi=m.plan.pi.key,
            committed=m.baseline is not None,
            progress=progress_rows(m),
            features=[
                FeatureProgress(
                    key=f.key,
                    title=f.title,
                    points=f.points,
                    done=f.done,
                    percent=f.percent,
                    teams=list(f.teams),
                    iterations=[IterationDone(iteration=i.label, planned=i.planned, done=i.done) for i in f.iterations],
                )
                for f in m.features
            ],
            predictability=[PredictabilityRow.of(m.predictability.pi, p) for p in m.predictability.measures],
            trend=[PredictabilityRow.of(t.pi, p) for t in m.trend for p in t.measures],
            drift=[DriftRow.of(d) for d in m.drift],
            drift_totals=[
                DriftTotal(
                    scope=t.scope,
                    slipped=t.slipped,
                    iterations_slipped=t.iterations_slipped,
                    added_points=t.added_points,
                    removed_points=t.removed_points,
                    broken=t.broken,
                )
                for t in m.drift_totals
            ],
        )


class WorkshopProblem(Record):
    """A problem of the problem-solving workshop, with its root causes and the improvements it became."""

    key: str
    pi: str
    text: str
    team: str | None
    raised_by: str
    raised_at: Instant
    whys: list[str]
    fishbone: dict[str, list[str]]
    improvements: list[str]  # backlog feature keys

    @classmethod
    def of(cls, p: workshop.Problem) -> WorkshopProblem:
        return cls(key=p.key, pi=p.pi, text=p.text, team=p.team, raised_by=p.raised_by, raised_at=p.raised_at,
                   whys=list(p.whys), fishbone={k: list(v) for k, v in p.fishbone.items()},
                   improvements=list(p.improvements))  # fmt: skip


class ProblemList(Record):
    problems: list[WorkshopProblem]
