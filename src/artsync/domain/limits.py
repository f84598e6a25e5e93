"""How long, how large and how many: the one table of limits every way in obeys.

The API's schemas, the services, the plan format and the store's last check all read
these numbers, so a value that one face accepts is never refused by another, and no
input is large enough to hurt the server or the people reading the board.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    """A whole number from ``low`` to ``high``, both included."""

    low: int
    high: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and self.low <= value <= self.high

    def words(self) -> str:
        return f"a whole number from {self.low} to {self.high}"


# Lengths, in characters.
KEY = 64  # a feature, team, train, PI, risk or milestone key
NAME = 200  # a person, team, train or milestone name; an owner
TITLE = 500  # a feature's title, a meeting's title, a decision's question
TEXT = 4_000  # a risk, an impediment, an objective, a note, a rationale, an option
DOCUMENT = 200_000  # minutes, a benefit hypothesis, acceptance criteria, a report kept with a meeting
PASSWORD = 1_000
URL = 2_000

# Ranges.
POINTS = Range(0, 1_000)  # a card's points
VELOCITY = Range(0, 10_000)  # a team's points per iteration
CAPACITY = Range(0, 10_000)  # a team-iteration's capacity
TEAM_SIZE = Range(1, 1_000)
PLANNED_BV = Range(1, 10)  # planned business value of an objective (DOMAIN.md)
ACTUAL_BV = Range(0, 10)
ITERATION_WEEKS = Range(1, 4)
ITERATIONS = Range(1, 12)
FINGERS = Range(1, 5)  # the confidence vote

# Counts in one plan.
TEAMS = 200
FEATURES = 20_000
CARDS = 100_000
DEPENDENCIES = 100_000
ITEMS = 20_000  # milestones, objectives, risks each

# A plan file, and how deeply its JSON may nest (the format itself needs five levels).
PLAN_BYTES = 64 * 1024 * 1024
JSON_DEPTH = 32
NUMBER_DIGITS = 30  # no number in a plan needs more


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def bad_characters(text: str) -> str | None:
    """What is wrong with text no database keeps: a NUL, or half of a UTF-16 surrogate pair."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    return "contains a NUL character" if found.group() == "\x00" else "contains a lone surrogate (broken UTF-16)"


def text_problem(value: str, limit: int) -> str | None:
    """Why ``value`` cannot be kept as text of at most ``limit`` characters (None when it can)."""
    if len(value) > limit:
        return f"is {len(value):,} characters long; at most {limit:,}"
    return bad_characters(value)
