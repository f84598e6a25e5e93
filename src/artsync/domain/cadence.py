"""The PI's cadence: its iterations, their dates, and which one is the IP iteration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Iteration:
    """One timebox of a PI, numbered from 1."""

    index: int
    start: date
    end: date  # the last day of the iteration, inclusive
    is_ip: bool

    @property
    def label(self) -> str:
        """Short name used on the board: ``I1`` … or ``IP``."""
        return "IP" if self.is_ip else f"I{self.index}"

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls inside this iteration."""
        return self.start <= day <= self.end


@dataclass(frozen=True)
class PI:
    """A Planning Interval (SAFe 6; Program Increment in SAFe 5)."""

    key: str
    start: date
    iteration_weeks: int = 2
    iteration_count: int = 5
    ip_last: bool = True
    state: str = "planning"

    @property
    def iterations(self) -> tuple[Iteration, ...]:
        """The PI's iterations in order; the last is the IP iteration when ``ip_last``."""
        length = timedelta(weeks=self.iteration_weeks)
        return tuple(
            Iteration(
                index=i,
                start=self.start + (i - 1) * length,
                end=self.start + i * length - timedelta(days=1),
                is_ip=self.ip_last and i == self.iteration_count,
            )
            for i in range(1, self.iteration_count + 1)
        )

    @property
    def end(self) -> date:
        """The PI's last day, inclusive."""
        return self.start + timedelta(weeks=self.iteration_weeks * self.iteration_count, days=-1)

    @property
    def ip_iteration(self) -> int | None:
        """The index of the IP iteration, or None when the PI has none."""
        return self.iteration_count if self.ip_last else None

    def check_iteration(self, iteration: int | None) -> str | None:
        """Why ``iteration`` is not one of this PI's, or None when it is (None itself means unplanned)."""
        if iteration is None or 1 <= iteration <= self.iteration_count:
            return None
        return (
            f"iteration {iteration} is out of range: {self.key} has iterations 1 to {self.iteration_count} "
            "(or use unplanned)"
        )

    def iteration_of(self, day: date) -> int | None:
        """The index of the iteration that contains ``day``, or None outside the PI."""
        if not self.start <= day <= self.end:
            return None
        return (day - self.start).days // (7 * self.iteration_weeks) + 1
