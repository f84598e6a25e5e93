"""The confidence vote that ends PI planning: 1–5 fingers each; the train commits on an average of 3 or more."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

FINGERS = (1, 2, 3, 4, 5)
COMMIT_AVERAGE = 3.0  # DOMAIN.md: the train commits when the average is 3 or more


@dataclass(frozen=True)
class Tally:
    """The result of a vote: how many showed each number of fingers, and the average."""

    histogram: dict[int, int]
    count: int
    average: float | None  # None when nobody voted

    @property
    def passes(self) -> bool:
        """Whether the train may commit on this vote."""
        return self.average is not None and self.average >= COMMIT_AVERAGE


def check_fingers(value: int) -> str | None:
    """Why ``value`` is not a valid vote, or None."""
    if value not in FINGERS:
        return f"a confidence vote is 1 to 5 fingers, not {value}"
    return None


def tally(values: Iterable[int]) -> Tally:
    """Count the votes; the average is rounded to two decimals as people read it."""
    histogram = dict.fromkeys(FINGERS, 0)
    for value in values:
        histogram[value] += 1
    count = sum(histogram.values())
    average = round(sum(v * n for v, n in histogram.items()) / count, 2) if count else None
    return Tally(histogram, count, average)
