"""The ART planning board: load against capacity, and where dependencies stand.

Conventions (DOMAIN.md): a card sits in the iteration in which its team
expects to *finish* its part; a provider should deliver in an iteration before
its consumer's — the same iteration is at risk, a later one or none is broken.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from artsync.domain.plan import Card, Dependency, DependencyState, Plan

NEAR_CAPACITY = 0.8  # teams commonly load to about 80% to keep room for the unexpected


class DependencyStatus(StrEnum):
    """Where a dependency stands on the board, judged from the two cards' iterations."""

    OK = "ok"  # provider finishes in an earlier iteration
    AT_RISK = "at-risk"  # same iteration
    BROKEN = "broken"  # provider finishes later
    UNPLANNED_PROVIDER = "unplanned-provider"  # consumer planned, provider not
    PENDING = "pending"  # the consumer is not planned yet: nothing to judge


@dataclass(frozen=True)
class PlacedDependency:
    """A dependency and where it stands on the board."""

    dependency: Dependency
    status: DependencyStatus


class Order(StrEnum):
    """How the provider's iteration stands to the consumer's."""

    CONSUMER_UNPLANNED = "consumer-unplanned"
    PROVIDER_UNPLANNED = "provider-unplanned"
    EARLIER = "earlier"
    SAME = "same"
    LATER = "later"


# The rule, as a table the board's page applies too (it comes with the board: views/board.BoardRules).
STATUS_BY_ORDER: dict[Order, DependencyStatus] = {
    Order.CONSUMER_UNPLANNED: DependencyStatus.PENDING,
    Order.PROVIDER_UNPLANNED: DependencyStatus.UNPLANNED_PROVIDER,
    Order.EARLIER: DependencyStatus.OK,
    Order.SAME: DependencyStatus.AT_RISK,
    Order.LATER: DependencyStatus.BROKEN,
}


def order_of(consumer: int | None, provider: int | None) -> Order:
    """How the provider's iteration stands to the consumer's (None = unplanned)."""
    if consumer is None:
        return Order.CONSUMER_UNPLANNED
    if provider is None:
        return Order.PROVIDER_UNPLANNED
    if provider < consumer:
        return Order.EARLIER
    return Order.SAME if provider == consumer else Order.LATER


def dependency_status(consumer: int | None, provider: int | None) -> DependencyStatus:
    """Judge a dependency from the consumer's and provider's iterations (None = unplanned)."""
    return STATUS_BY_ORDER[order_of(consumer, provider)]


def loads(cards: Iterable[Card]) -> dict[tuple[str, int], int]:
    """Points planned per (team, iteration); unplanned cards carry no load."""
    load: dict[tuple[str, int], int] = {}
    for card in cards:
        if card.iteration is not None:
            cell = (card.team, card.iteration)
            load[cell] = load.get(cell, 0) + card.points
    return load


def load_status(load: int, capacity: int) -> str:
    """``over`` when load exceeds capacity, ``near`` above 80% of it, else ``ok``."""
    if load > capacity:
        return "over"
    if load > NEAR_CAPACITY * capacity:
        return "near"
    return "ok"


def dependency_statuses(plan: Plan) -> dict[str, DependencyStatus]:
    """Each dependency's status, by dependency key: from the two cards' iterations — unless the providing
    team declared it broken (it is, wherever the cards sit) or delivered it (it is done)."""
    cards = plan.cards_by_ref
    declared: dict[str, DependencyStatus] = {
        DependencyState.BROKEN: DependencyStatus.BROKEN,
        DependencyState.DELIVERED: DependencyStatus.OK,
    }
    return {
        d.key: declared.get(d.state) or dependency_status(cards[d.consumer].iteration, cards[d.provider].iteration)
        for d in plan.dependencies
    }
