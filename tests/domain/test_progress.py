"""A feature's state from its cards, as the backlog shows and filters it."""

from __future__ import annotations

import pytest

from artsync.domain.plan import Card
from artsync.domain.progress import FeatureState, feature_state


def card(team: str, iteration: int | None, status: str = "not started") -> Card:
    return Card("F-1", team, iteration, 3, status)


@pytest.mark.parametrize(
    ("cards", "state"),
    [
        ([], FeatureState.UNPLANNED),
        ([card("A", None), card("B", None)], FeatureState.UNPLANNED),
        ([card("A", 2), card("B", None)], FeatureState.PLANNED),
        ([card("A", 2, "blocked"), card("B", 3)], FeatureState.IN_PROGRESS),
        ([card("A", 1, "done"), card("B", 3)], FeatureState.IN_PROGRESS),
        ([card("A", 1, "done"), card("B", 2, "done")], FeatureState.DONE),
    ],
)
def test_a_features_state_comes_from_its_cards(cards: list[Card], state: FeatureState) -> None:
    assert feature_state(cards) is state
