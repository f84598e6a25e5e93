"""The PI's lifecycle: draft → planning → executing → closed, one step at a time."""

from __future__ import annotations

from enum import StrEnum


class PIState(StrEnum):
    DRAFT = "draft"
    PLANNING = "planning"
    EXECUTING = "executing"
    CLOSED = "closed"


PI_STATES = tuple(PIState)


def next_state(state: str) -> str | None:
    """The state after ``state``, or None when the PI is closed."""
    index = PI_STATES.index(state)
    return PI_STATES[index + 1] if index + 1 < len(PI_STATES) else None


def check_open(pi: str, state: str, what: str) -> str | None:
    """Why ``what`` of the PI ``pi`` can no longer change, or None while the PI is open: a closed PI is history."""
    return f"PI {pi} is closed: its {what} is history" if state == PIState.CLOSED else None


def check_transition(state: str, to: str) -> str | None:
    """Why the PI cannot move from ``state`` to ``to``, or None when it can."""
    if to not in PI_STATES:
        return f"{to!r} is not a PI state; the states are {' → '.join(PI_STATES)}"
    if to == state:
        return f"the PI is already {state}"
    if to != next_state(state):
        following = next_state(state)
        return (
            f"a PI moves one step at a time ({' → '.join(PI_STATES)}); from {state} the next is {following}"
            if following
            else f"the PI is {state}: it does not move on"
        )
    return None


# A dependency: the consumer requests it, the providing team commits to it and delivers it;
# either side may declare it broken, and the consumer may request it again.
DEPENDENCY_MOVES: dict[tuple[str, str], str] = {
    ("requested", "committed"): "provider",
    ("committed", "delivered"): "provider",
    ("requested", "broken"): "either",
    ("committed", "broken"): "either",
    ("broken", "requested"): "consumer",
}


def dependency_move(state: str, to: str) -> str:
    """Which side may move a dependency from ``state`` to ``to``: provider, consumer or either.

    Raises ValueError with a reason a person can act on when the move is not allowed.
    """
    side = DEPENDENCY_MOVES.get((state, to))
    if side is None:
        allowed = ", ".join(t for (s, t) in DEPENDENCY_MOVES if s == state) or "nothing: it is done"
        raise ValueError(f"a {state} dependency cannot become {to}; from {state} it can become {allowed}")
    return side
