from __future__ import annotations

import pytest

from artsync.domain.plan import Feature
from artsync.domain.wsjf import WsjfInputs, on_scale, rank


def test_cost_of_delay_is_value_plus_time_criticality_plus_rroe() -> None:
    assert WsjfInputs(ubv=8, tc=5, rroe=2, size=3).cost_of_delay == 15


def test_wsjf_is_cost_of_delay_over_job_size() -> None:
    assert WsjfInputs(ubv=8, tc=5, rroe=2, size=3).score == pytest.approx(5.0)
    assert WsjfInputs(ubv=1, tc=1, rroe=1, size=20).score == pytest.approx(0.15)


@pytest.mark.parametrize("value", [0, 4, 21, 2.0, True, "3"], ids=["zero", "four", "21", "float", "bool", "string"])
def test_inputs_off_the_modified_fibonacci_scale_are_refused(value: object) -> None:
    assert not on_scale(value)
    with pytest.raises(ValueError, match="not on the scale 1,2,3,5,8,13,20"):
        WsjfInputs(ubv=value, tc=1, rroe=1, size=1)  # type: ignore[arg-type]


def test_rank_puts_higher_wsjf_first_and_breaks_ties_by_smaller_job_then_key() -> None:
    features = [
        Feature("B", "b", "business", WsjfInputs(2, 2, 2, 2)),  # 3.0, size 2
        Feature("A", "a", "business", WsjfInputs(1, 1, 1, 1)),  # 3.0, size 1
        Feature("C", "c", "business", WsjfInputs(20, 20, 20, 1)),  # 60
        Feature("D", "d", "business", WsjfInputs(1, 1, 1, 1)),  # 3.0, size 1
    ]
    assert [f.key for f in rank(features)] == ["C", "A", "D", "B"]
