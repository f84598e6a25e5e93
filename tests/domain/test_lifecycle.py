from __future__ import annotations

import pytest

from artsync.domain.lifecycle import check_transition, dependency_move, next_state


@pytest.mark.parametrize(
    ("state", "following"),
    [("draft", "planning"), ("planning", "executing"), ("executing", "closed"), ("closed", None)],
)
def test_a_pi_moves_one_step_at_a_time(state: str, following: str | None) -> None:
    assert next_state(state) == following


@pytest.mark.parametrize(
    ("state", "to", "reason"),
    [
        ("planning", "closed", "one step at a time"),
        ("executing", "planning", "from executing the next is closed"),
        ("planning", "planning", "already planning"),
        ("closed", "draft", "does not move on"),
        ("draft", "done", "not a PI state"),
    ],
    ids=["skip-a-step", "backwards", "same-state", "from-closed", "unknown-state"],
)
def test_a_pi_refuses_other_moves_with_a_reason(state: str, to: str, reason: str) -> None:
    problem = check_transition(state, to)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    ("state", "to", "side"),
    [
        ("requested", "committed", "provider"),
        ("committed", "delivered", "provider"),
        ("requested", "broken", "either"),
        ("committed", "broken", "either"),
        ("broken", "requested", "consumer"),
    ],
)
def test_who_moves_a_dependency_along(state: str, to: str, side: str) -> None:
    assert dependency_move(state, to) == side


@pytest.mark.parametrize(
    ("state", "to"), [("requested", "delivered"), ("delivered", "broken"), ("broken", "committed")]
)
def test_other_dependency_moves_are_refused_with_what_is_possible(state: str, to: str) -> None:
    with pytest.raises(ValueError, match=f"a {state} dependency cannot become {to}"):
        dependency_move(state, to)
