"""The problem-solving workshop at Inspect & Adapt: a problem, its root causes, the improvements it yields.

Root causes are found by asking "why?" five times (a chain), or by the fishbone diagram's categories.
Improvements become items of the ART backlog, so they are planned in the next PI like any feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WHY = "why"
FISHBONE = ("people", "process", "tools", "program", "environment")
CATEGORIES = (WHY, *FISHBONE)


@dataclass(frozen=True)
class Cause:
    category: str  # "why" (the next link of the five whys) or a fishbone category
    text: str


@dataclass(frozen=True)
class Problem:
    key: str
    pi: str
    text: str
    raised_by: str
    raised_at: datetime
    team: str | None = None
    causes: tuple[Cause, ...] = ()
    improvements: tuple[str, ...] = ()  # backlog feature keys

    @property
    def whys(self) -> tuple[str, ...]:
        """The five-whys chain, in the order asked."""
        return tuple(c.text for c in self.causes if c.category == WHY)

    @property
    def fishbone(self) -> dict[str, tuple[str, ...]]:
        """The causes on each bone of the fishbone, for the categories that have some."""
        return {k: tuple(c.text for c in self.causes if c.category == k) for k in FISHBONE
                if any(c.category == k for c in self.causes)}  # fmt: skip


def check_category(category: str) -> str | None:
    if category not in CATEGORIES:
        return f"a root cause is a 'why' or on one of the fishbone's bones ({', '.join(FISHBONE)}), not {category!r}"
    return None
