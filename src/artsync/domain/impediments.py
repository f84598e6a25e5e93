"""Impediments: what stands in a team's way, escalated team → train → portfolio until someone removes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

LEVELS = ("team", "train", "portfolio")
STATES = ("open", "resolved")
# An impediment open this many days or more is aging: it surfaces in the ART sync agenda and the cockpit.
AGING_DAYS = 5


@dataclass(frozen=True)
class Impediment:
    """Something in the way, at the level that must remove it, with whoever owns its removal."""

    key: str
    text: str
    level: str
    raised_by: str
    raised_at: datetime
    team: str | None = None
    owner: str | None = None
    state: str = "open"
    note: str | None = None
    resolved_at: datetime | None = None

    def age(self, today: date) -> int:
        """Whole days since it was raised (to when it was resolved, if it was)."""
        until = self.resolved_at.date() if self.resolved_at else today
        return max(0, (until - self.raised_at.date()).days)

    def aging(self, today: date) -> bool:
        """Open for ``AGING_DAYS`` days or more."""
        return self.state == "open" and self.age(today) >= AGING_DAYS


def check_level(level: str) -> str | None:
    if level not in LEVELS:
        return f"an impediment's level is one of {' → '.join(LEVELS)}, not {level!r}"
    return None


def escalated(level: str) -> str | None:
    """The next level up, or None at the top (portfolio)."""
    at = LEVELS.index(level)
    return LEVELS[at + 1] if at + 1 < len(LEVELS) else None
