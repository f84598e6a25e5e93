from __future__ import annotations

from collections import Counter

import pytest

from artsync.domain.findings import KINDS, analyze
from artsync.formats.demo import demo_plan
from artsync.formats.plan_format import dump_plan


@pytest.mark.parametrize(("size", "teams", "features"), [("small", 6, 60), ("art", 10, 150), ("train", 40, 2000)])
def test_demo_sizes_have_the_promised_teams_and_features(size: str, teams: int, features: int) -> None:
    plan = demo_plan(size)
    assert (len(plan.teams), len(plan.features)) == (teams, features)


def test_solution_train_demo_has_at_least_1500_dependencies() -> None:
    assert len(demo_plan("train").dependencies) >= 1500


@pytest.mark.parametrize("size", ["small", "art", "train"])
def test_demo_has_a_few_of_every_kind_of_problem(size: str) -> None:
    kinds = Counter(f.kind for f in analyze(demo_plan(size)))
    assert set(kinds) == set(KINDS) - {"milestone-at-risk"}  # that one comes from the forecast, not the plan
    assert max(kinds.values()) <= 5, kinds  # a few, not a wall of red


def test_same_seed_gives_the_same_train_and_another_seed_another() -> None:
    assert dump_plan(demo_plan("small", 11)) == dump_plan(demo_plan("small", 11))
    assert dump_plan(demo_plan("small", 11)) != dump_plan(demo_plan("small", 12))
