"""Weighted Shortest Job First: Cost of Delay divided by job size.

Cost of Delay = user/business value + time criticality + risk reduction and/or
opportunity enablement. Every input is scored on the modified Fibonacci scale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

SCALE: tuple[int, ...] = (1, 2, 3, 5, 8, 13, 20)
SCALE_TEXT = ",".join(str(n) for n in SCALE)


def on_scale(value: object) -> bool:
    """Whether ``value`` is one of 1, 2, 3, 5, 8, 13, 20."""
    return isinstance(value, int) and not isinstance(value, bool) and value in SCALE


@dataclass(frozen=True)
class WsjfInputs:
    """The four relative scores of one feature."""

    ubv: int  # user / business value
    tc: int  # time criticality
    rroe: int  # risk reduction and/or opportunity enablement
    size: int  # job size, a proxy for duration

    def __post_init__(self) -> None:
        for name in ("ubv", "tc", "rroe", "size"):
            value = getattr(self, name)
            if not on_scale(value):
                raise ValueError(f"{name}: {value!r} is not on the scale {SCALE_TEXT}")

    @property
    def cost_of_delay(self) -> int:
        """User/business value + time criticality + RR|OE."""
        return self.ubv + self.tc + self.rroe

    @property
    def score(self) -> float:
        """WSJF = Cost of Delay / job size."""
        return self.cost_of_delay / self.size


class Scored(Protocol):
    """Anything with a key and WSJF inputs, such as a Feature."""

    @property
    def key(self) -> str: ...

    @property
    def wsjf(self) -> WsjfInputs: ...


T = TypeVar("T", bound=Scored)


def rank(items: Iterable[T]) -> list[T]:
    """Order items by WSJF, highest first; ties go to the smaller job, then the key."""
    return sorted(items, key=lambda f: (-f.wsjf.score, f.wsjf.size, f.key))


# The four columns of a WSJF session, in the order they are scored.
COLUMNS: dict[str, str] = {
    "ubv": "user/business value",
    "tc": "time criticality",
    "rroe": "risk reduction / opportunity enablement",
    "size": "job size",
}


def check_column(column: str, scores: dict[str, int], features: Iterable[str]) -> list[str]:
    """What is wrong with one column scored relatively: every feature scored, each on the scale, the smallest 1.

    Scoring one column at a time across all features, with the smallest item set to 1,
    keeps the scores relative to each other rather than absolute guesses (DOMAIN.md).
    """
    if column not in COLUMNS:
        return [f"{column!r} is not a WSJF column; the columns are {', '.join(COLUMNS)}"]
    wanted = list(features)
    problems = [f"{key}: not in this session" for key in scores if key not in set(wanted)]
    missing = [key for key in wanted if key not in scores]
    if missing:
        problems.append(f"score every feature in the column: {', '.join(missing)} missing")
    problems += [f"{key}: {value!r} is not on the scale {SCALE_TEXT}" for key, value in scores.items()
                 if not on_scale(value)]  # fmt: skip
    valid = [v for v in scores.values() if on_scale(v)]
    if valid and not problems and min(valid) != 1:
        problems.append(
            f"the smallest item in a column is 1 (scores are relative); the smallest {COLUMNS[column]} here is "
            f"{min(valid)}"
        )
    return problems
