"""The PI's lifecycle: draft → planning → executing → closed, one step at a time."""

from __future__ import annotations

PI_STATES = ("draft", "planning", "executing", "closed")


def next_state(state: str) -> str | None:
    """The state after ``state``, or None when the PI is closed."""
    index = PI_STATES.index(state)
    return PI_STATES[index + 1] if index + 1 < len(PI_STATES) else None


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
