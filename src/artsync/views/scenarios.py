"""Scenarios as the API, the CLI's ``--json`` and the scenarios page show them."""

from __future__ import annotations

from pydantic import Field

from artsync.domain.scenarios import EXAMPLES, Measures
from artsync.services.scenarios import Comparison, Scenario
from artsync.views.base import Record, Written


class MoveRecord(Record):
    """A card the scenario places elsewhere than the board does (``added``: a card it adds, with its points)."""

    ref: str
    before: int | None
    after: int | None
    version: int
    added: int | None = None


class MeasuresRecord(Record):
    """What a plan achieves: the columns of the comparison."""

    milestones_met: int
    milestones: int
    objectives_covered: int
    objectives: int
    cost_of_delay_avoided: float
    moved: int
    errors: int
    warnings: int

    @classmethod
    def of(cls, m: Measures) -> MeasuresRecord:
        return cls.model_validate(m.as_dict())


class ProgressRecord(Record):
    """A running solve: when it started, the best plan's value so far, the proven bound, the gap between them."""

    started: str | None = None
    value: float | None = None
    bound: float | None = None
    gap: float | None = None


class ScenarioRecord(Written):
    """A scenario: what it supposes, how it is solved, and the optimizer's answer once solved."""

    key: str
    name: str
    kind: str
    state: str
    changes: list[str]
    time_limit: float
    share: float
    outcome: str | None
    value: float | None
    bound: float | None
    gap: float | None
    moves: list[MoveRecord]
    unmet: list[str]
    uncleared: list[str]
    measures: MeasuresRecord | None
    progress: ProgressRecord | None
    created_by: str
    version: int
    solver: str = Field(description="the solver that searches: highs, or cp-sat (OR-Tools) when installed")

    @classmethod
    def of(cls, s: Scenario, seq: int | None = None) -> ScenarioRecord:
        return cls(key=s.key, name=s.name, kind=s.kind, state=s.state, changes=list(s.changes),
                   time_limit=s.time_limit, share=s.share, outcome=s.outcome, value=s.value, bound=s.bound,
                   gap=s.gap, moves=[MoveRecord(**m.__dict__) for m in s.moves], unmet=list(s.unmet),
                   uncleared=list(s.uncleared), measures=MeasuresRecord.of(s.measures) if s.measures else None,
                   progress=ProgressRecord(**s.progress) if s.progress else None, created_by=s.created_by,
                   version=s.version, solver=s.solver, seq=seq)  # fmt: skip


class ScenarioList(Record):
    scenarios: list[ScenarioRecord]
    examples: tuple[str, ...] = EXAMPLES  # how each kind of change is written


class ComparisonRecord(Record):
    """Scenarios side by side, beside the board as it is."""

    board: MeasuresRecord
    scenarios: list[ScenarioRecord]

    @classmethod
    def of(cls, c: Comparison) -> ComparisonRecord:
        return cls(board=MeasuresRecord.of(c.board), scenarios=[ScenarioRecord.of(s) for s in c.scenarios])
