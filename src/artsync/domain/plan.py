"""The train's plan for one PI as plain values: teams, backlog, board, objectives, risks.

A ``Plan`` is the whole picture that the analysis, the board view and the
interchange format work on. It is immutable: changing it (``with_card_moved``)
gives a new plan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import cached_property

from artsync.domain.cadence import PI
from artsync.domain.wsjf import WsjfInputs


# Each vocabulary once: the CLI's choices, the API's schemas and the plan format all take these.
class FeatureKind(StrEnum):
    BUSINESS = "business"
    ENABLER = "enabler"


class RoamState(StrEnum):
    """A risk's ROAM state (DOMAIN.md); a new risk is unroamed."""

    UNROAMED = "unroamed"
    RESOLVED = "resolved"
    OWNED = "owned"
    ACCEPTED = "accepted"
    MITIGATED = "mitigated"


class CardStatus(StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    DONE = "done"
    BLOCKED = "blocked"


class DependencyState(StrEnum):
    """``requested → committed → delivered``, or ``broken``."""

    REQUESTED = "requested"
    COMMITTED = "committed"
    DELIVERED = "delivered"
    BROKEN = "broken"


FEATURE_KINDS = tuple(FeatureKind)
ROAM_STATES = tuple(RoamState)


def check_roam(roam: str, owner: str | None) -> str | None:
    """Why a risk cannot be in ``roam`` with ``owner``, or None when it can: an owned risk needs an owner."""
    if roam not in ROAM_STATES:
        return f"{roam!r} is not a ROAM state; use one of {', '.join(ROAM_STATES)}"
    if roam == RoamState.OWNED and not (owner and owner.strip()):
        return "an owned risk needs an owner"
    return None


CARD_STATUSES = tuple(CardStatus)
DEPENDENCY_STATES = tuple(DependencyState)
# Keys of trains, PIs, teams, features and other items: letters, digits, '.', '_', '-'; at most 64.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def card_ref(feature: str, team: str) -> str:
    """How a card is written everywhere: ``FEATURE@TEAM``."""
    return f"{feature}@{team}"


def split_card_ref(ref: str) -> tuple[str, str]:
    """``"ART-1@Phoenix"`` → ``("ART-1", "Phoenix")``; raises ValueError when malformed."""
    feature, sep, team = ref.rpartition("@")
    if not sep or not feature or not team:
        raise ValueError(f"{ref!r} is not a card reference; write it FEATURE@TEAM, e.g. ART-12@Phoenix")
    return feature, team


@dataclass(frozen=True)
class Train:
    """An Agile Release Train."""

    key: str
    name: str


@dataclass(frozen=True)
class Team:
    """An agile team of the train; capacity per iteration defaults to its velocity."""

    key: str
    name: str
    velocity: int
    capacity_overrides: Mapping[int, int] = field(default_factory=dict)
    size: int | None = None  # people on the team, when known

    def capacity(self, iteration: int) -> int:
        """Points available in ``iteration``: the override when set, else the velocity."""
        return self.capacity_overrides.get(iteration, self.velocity)


@dataclass(frozen=True)
class Feature:
    """An item of the ART backlog, prioritised by WSJF."""

    key: str
    title: str
    kind: str
    wsjf: WsjfInputs

    def record(self) -> dict[str, str | int]:
        """The feature as flat fields, as the plan format, the store and listings all write it."""
        w = self.wsjf
        return {"key": self.key, "title": self.title, "kind": self.kind, "ubv": w.ubv, "tc": w.tc, "rroe": w.rroe,
                "size": w.size}  # fmt: skip


@dataclass(frozen=True)
class Card:
    """One team's part of a feature, planned in an iteration (1-based) or unplanned (None)."""

    feature: str
    team: str
    iteration: int | None
    points: int
    status: str = "not started"

    @cached_property
    def ref(self) -> str:
        """``FEATURE@TEAM`` (asked for thousands of times per board: made once per card)."""
        return card_ref(self.feature, self.team)


@dataclass(frozen=True)
class Dependency:
    """The consumer card needs the provider card to be delivered first."""

    consumer: str  # card ref
    provider: str  # card ref
    state: str = "requested"

    @property
    def key(self) -> str:
        """``CONSUMER->PROVIDER``: a dependency is identified by its two cards."""
        return f"{self.consumer}->{self.provider}"


@dataclass(frozen=True)
class Milestone:
    """A date or iteration that the listed features must meet."""

    key: str
    name: str
    iteration: int
    date: date | None = None  # when given, ``iteration`` is the one containing it
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class Objective:
    """A PI objective of a team (or of the train when ``team`` is None)."""

    key: str
    team: str | None
    text: str
    committed: bool
    planned_bv: int | None = None
    actual_bv: int | None = None
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class Risk:
    """A risk to the PI and its ROAM state."""

    key: str
    text: str
    roam: str = "unroamed"
    owner: str | None = None
    team: str | None = None
    note: str | None = None  # why it stands where it does on the ROAM board


@dataclass(frozen=True)
class Plan:
    """Everything the train has planned for one PI."""

    train: Train
    pi: PI
    teams: tuple[Team, ...] = ()
    features: tuple[Feature, ...] = ()
    cards: tuple[Card, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    objectives: tuple[Objective, ...] = ()
    risks: tuple[Risk, ...] = ()

    def with_cards(self, changed: Mapping[str, Card]) -> Plan:
        """The plan with the cards ``changed`` (by ref) in place of the ones it has."""
        if not changed:
            return self
        return replace(self, cards=tuple(changed.get(c.ref, c) for c in self.cards))

    @cached_property
    def teams_by_key(self) -> dict[str, Team]:
        """Teams by key."""
        return {t.key: t for t in self.teams}

    @cached_property
    def features_by_key(self) -> dict[str, Feature]:
        """Features by key."""
        return {f.key: f for f in self.features}

    @cached_property
    def cards_by_ref(self) -> dict[str, Card]:
        """Cards by ``FEATURE@TEAM``."""
        return {c.ref: c for c in self.cards}

    @cached_property
    def cards_by_feature(self) -> dict[str, list[Card]]:
        """Each feature's cards, across teams."""
        by_feature: dict[str, list[Card]] = {}
        for card in self.cards:
            by_feature.setdefault(card.feature, []).append(card)
        return by_feature

    def with_card_moved(self, ref: str, iteration: int | None) -> Plan:
        """The same plan with card ``ref`` moved to ``iteration`` (None = unplanned)."""
        if ref not in self.cards_by_ref:
            raise KeyError(ref)
        cards = tuple(replace(c, iteration=iteration) if c.ref == ref else c for c in self.cards)
        return replace(self, cards=cards)


def next_key(prefix: str, taken: Iterable[str]) -> str:
    """The next key ``<prefix><n>`` after the highest taken: R1, R2, … (a key is never handed out twice)."""
    numbers = [int(k[len(prefix) :]) for k in taken if k.startswith(prefix) and k[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}"
