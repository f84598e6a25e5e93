"""What a team tracker (Jira, Azure DevOps) says of the train, and what changes on the board because of it.

A connection keeps a mirror of the tracker's items — the features, the teams' work items, their sprints —
and the plan they imply is made from the whole mirror (``implied``). A pull compares three things: what the
tracker implied at the last pull (the base), what it implies now, and the board. Only what the tracker
changed since the base is brought to the board; when the board changed the same thing since then too, the
per-field rule decides and the overruled value is kept in the conflict log (``reconcile``).

Conventions (docs/connectors.md):

- a card is one team's part of a feature: the feature's child items on the team's board (or the feature
  itself, when it sits on one team's board and has no children there), their points summed;
- the card sits in the iteration of its latest sprint; a sprint belongs to the PI iteration that holds its
  middle day; an item in a sprint outside the PI is reported, never guessed;
- status: every item done → done; one blocked → blocked; one started or done → in progress; else not started;
- an item that is blocked by another: its card needs the other's card (within one card, nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from artsync.domain.cadence import PI
from artsync.domain.plan import Card, CardStatus, Feature, Milestone, card_ref, split_card_ref
from artsync.domain.wsjf import WsjfInputs


class Progress(StrEnum):
    """A tracker item's status category."""

    TO_DO = "to do"
    IN_PROGRESS = "in progress"
    DONE = "done"


@dataclass(frozen=True)
class Sprint:
    """A team's sprint (Jira) or iteration path (Azure DevOps), with its dates when the tracker has them."""

    id: str
    team: str
    name: str
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Item:
    """A tracker item as a pull keeps it: a feature, or a team's work item under one."""

    key: str
    title: str
    is_feature: bool
    parent: str | None = None  # a work item's feature
    team: str | None = None  # the team whose board holds it
    sprint: str | None = None  # its latest sprint's id
    points: int = 0
    progress: Progress = Progress.TO_DO
    blocked: bool = False
    blocked_by: tuple[str, ...] = ()  # keys of the items it waits for
    wsjf: WsjfInputs | None = None
    kind: str = "business"
    releases: tuple[str, ...] = ()  # the releases (Jira's fix versions) it is in


@dataclass(frozen=True)
class Release:
    """A release the tracker knows (Jira's fix version), and the day it is due."""

    name: str
    day: date | None


DEFAULT_WSJF = WsjfInputs(1, 1, 1, 1)  # a feature without WSJF fields in its tracker: scored in artsync


@dataclass(frozen=True)
class Implied:
    """The plan a tracker implies: features by key, cards by ref, dependencies as (consumer, provider)."""

    features: dict[str, Feature] = field(default_factory=dict)
    cards: dict[str, Card] = field(default_factory=dict)
    dependencies: frozenset[tuple[str, str]] = frozenset()
    problems: tuple[str, ...] = ()
    scored: frozenset[str] = frozenset()  # the features whose WSJF inputs the tracker holds; the others' are artsync's
    milestones: dict[str, Milestone] = field(default_factory=dict)  # the releases due within the PI, by key


def sprint_iteration(pi: PI, sprint: Sprint) -> int | None:
    """The PI iteration holding the sprint's middle day; None without dates or outside the PI."""
    if sprint.start is None or sprint.end is None:
        return None
    middle = sprint.start + (sprint.end - sprint.start) / 2
    return next((it.index for it in pi.iterations if it.contains(middle)), None)


def card_status(items: Iterable[Item]) -> CardStatus:
    """A card's status from its items'."""
    found = list(items)
    if found and all(i.progress is Progress.DONE for i in found):
        return CardStatus.DONE
    if any(i.blocked for i in found):
        return CardStatus.BLOCKED
    if any(i.progress is not Progress.TO_DO for i in found):
        return CardStatus.IN_PROGRESS
    return CardStatus.NOT_STARTED


def milestone_key(release: str) -> str:
    """A release's name as a milestone's key (letters, digits, dot, dash and underscore; at most 64)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", release).strip("-._")[:64] or "release"


def release_milestones(releases: Iterable[Release], features: Iterable[Item], pi: PI) -> dict[str, Milestone]:
    """Each release due within the PI as a milestone in the iteration holding its day, needing its features."""
    found: dict[str, Milestone] = {}
    features = list(features)
    for release in releases:
        at = next((it.index for it in pi.iterations if release.day and it.contains(release.day)), None)
        if at is None:
            continue  # another PI's release, or one without a day
        needed = tuple(sorted(f.key for f in features if release.name in f.releases))
        key = milestone_key(release.name)
        found[key] = Milestone(key, release.name, at, release.day, needed)
    return found


def implied(
    items: Iterable[Item], sprints: Mapping[str, Sprint], pi: PI, teams: Iterable[str], releases: Iterable[Release] = ()
) -> Implied:
    """The features, cards and dependencies the tracker's items imply for the PI, with what could not be placed;
    with ``releases``, the milestones they are due by."""
    known_teams = set(teams)
    items = list(items)
    features = {i.key: Feature(i.key, i.title, i.kind, i.wsjf or DEFAULT_WSJF) for i in items if i.is_feature}
    problems: list[str] = []
    # A work item's card: its feature and team; a feature on a team's board with no children there is its own.
    work: dict[str, list[Item]] = {}
    card_of: dict[str, str] = {}
    children = {(i.parent, i.team) for i in items if not i.is_feature}
    for i in items:
        feature = i.key if i.is_feature else i.parent
        if i.team is None or feature is None or (i.is_feature and (i.key, i.team) in children):
            continue
        if feature not in features:
            problems.append(f"{i.key}: its feature {feature} is not one of the project's features; left out")
            continue
        if i.team not in known_teams:
            problems.append(f"{i.key}: team {i.team} is not on the train; left out")
            continue
        ref = card_ref(feature, i.team)
        work.setdefault(ref, []).append(i)
        card_of[i.key] = ref
    cards: dict[str, Card] = {}
    for ref, mine in sorted(work.items()):
        planned: list[int] = []
        for i in mine:
            sprint = sprints.get(i.sprint) if i.sprint else None
            if i.sprint and sprint is None:
                problems.append(f"{i.key}: sprint {i.sprint} is not one of its team's sprints; left unplanned")
            elif sprint is not None:
                at = sprint_iteration(pi, sprint)
                if at is None:
                    problems.append(f"{i.key}: sprint {sprint.name!r} is not within {pi.key}; left unplanned")
                else:
                    planned.append(at)
        feature, team = split_card_ref(ref)
        cards[ref] = Card(feature, team, max(planned, default=None), sum(i.points for i in mine), card_status(mine))
    dependencies = set()
    for i in items:
        for other in i.blocked_by:
            consumer, provider = card_of.get(i.key), card_of.get(other)
            if consumer and provider and consumer != provider:
                dependencies.add((consumer, provider))
    scored = frozenset(i.key for i in items if i.is_feature and i.wsjf is not None)
    milestones = release_milestones(releases, (i for i in items if i.is_feature), pi)
    return Implied(features, cards, frozenset(dependencies), tuple(problems), scored, milestones)


class Winner(StrEnum):
    """Who wins a field both sides changed since the last pull."""

    TRACKER = "tracker"
    ARTSYNC = "artsync"


@dataclass(frozen=True)
class Rules:
    """Who wins each field when both sides changed it; the planned iteration's rule while the PI is planned."""

    status: Winner = Winner.TRACKER
    points: Winner = Winner.TRACKER
    iteration: Winner = Winner.TRACKER
    iteration_in_planning: Winner = Winner.ARTSYNC


@dataclass(frozen=True)
class Conflict:
    """A field both sides changed since the last pull, and which value stands."""

    item: str  # a card's ref
    field: str
    artsync: str
    tracker: str
    winner: Winner


@dataclass(frozen=True)
class Changes:
    """What a pull brings to the board."""

    features_added: tuple[Feature, ...] = ()
    features_edited: tuple[Feature, ...] = ()
    cards_added: tuple[Card, ...] = ()
    cards_moved: tuple[tuple[str, int | None, int | None], ...] = ()  # ref, from, to
    cards_marked: tuple[tuple[str, str, str], ...] = ()  # ref, from, to
    cards_estimated: tuple[tuple[str, int, int], ...] = ()  # ref, from, to
    cards_removed: tuple[str, ...] = ()
    dependencies_added: tuple[tuple[str, str], ...] = ()
    dependencies_removed: tuple[tuple[str, str], ...] = ()
    milestones: tuple[Milestone, ...] = ()  # added, or changed in the tracker since the last pull
    conflicts: tuple[Conflict, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in CHANGE_KINDS)


CHANGE_KINDS = (
    "features_added",
    "features_edited",
    "cards_added",
    "cards_moved",
    "cards_marked",
    "cards_estimated",
    "cards_removed",
    "dependencies_added",
    "dependencies_removed",
    "milestones",
)


def reconcile(
    base: Implied,
    now: Implied,
    board_features: Mapping[str, Feature],
    board_cards: Mapping[str, Card],
    board_dependencies: Iterable[tuple[str, str]],
    *,
    rules: Rules = Rules(),
    planning: bool = False,
    board_milestones: Mapping[str, Milestone] | None = None,
) -> Changes:
    """What the tracker changed since ``base`` (what it implied at the last pull) as changes to the board.

    A value the board holds already is no change; a value the board changed too since the base is a conflict
    that ``rules`` settle (the iteration by ``iteration_in_planning`` while the PI is planned). Only cards and
    dependencies the tracker implied are ever removed; one taken off the board is not brought back; a feature's
    WSJF inputs come from the tracker only when it holds them.
    """
    board_deps = set(board_dependencies)
    added_f = tuple(f for k, f in sorted(now.features.items()) if k not in board_features)
    edited_f = []
    for key, feature in sorted(now.features.items()):
        kept = board_features.get(key)
        if kept is None:
            continue
        if key not in now.scored:  # the tracker has no WSJF fields: the backlog's scores stand
            feature = replace(feature, wsjf=kept.wsjf)
        was = base.features.get(key, kept)
        if key not in now.scored:
            was = replace(was, wsjf=kept.wsjf)
        if feature not in (kept, was):
            edited_f.append(feature)
    added: list[Card] = []
    moved: list[tuple[str, int | None, int | None]] = []
    marked: list[tuple[str, str, str]] = []
    estimated: list[tuple[str, int, int]] = []
    conflicts: list[Conflict] = []

    def brought(ref: str, name: str, theirs: object, mine: object, before: object, rule: Winner) -> bool:
        """Whether the tracker's value of the field comes to the board (noting a conflict when both changed it)."""
        if theirs in (mine, before):
            return False  # the same already, or the tracker did not change it
        if mine != before:  # both changed it since the last pull
            conflicts.append(Conflict(ref, name, str(mine), str(theirs), rule))
            return rule is Winner.TRACKER
        return True

    for ref, card in sorted(now.cards.items()):
        ours = board_cards.get(ref)
        if ours is None:
            if ref not in base.cards:  # new in the tracker; one pulled before and taken off the board stays off
                added.append(card)
            continue
        then = base.cards.get(ref, ours)  # not pulled before: the board's value is the base
        iteration_rule = rules.iteration_in_planning if planning else rules.iteration
        if brought(ref, "iteration", card.iteration, ours.iteration, then.iteration, iteration_rule):
            moved.append((ref, ours.iteration, card.iteration))
        if brought(ref, "status", card.status, ours.status, then.status, rules.status):
            marked.append((ref, ours.status, card.status))
        if brought(ref, "points", card.points, ours.points, then.points, rules.points):
            estimated.append((ref, ours.points, card.points))
    removed = tuple(ref for ref in sorted(base.cards) if ref not in now.cards and ref in board_cards)
    deps_added = tuple(sorted(d for d in now.dependencies - base.dependencies if d not in board_deps))
    deps_removed = tuple(sorted(d for d in base.dependencies - now.dependencies if d in board_deps))
    board_ms = board_milestones or {}
    milestones = tuple(
        m for key, m in sorted(now.milestones.items())
        if key not in board_ms or (m != board_ms[key] and m != base.milestones.get(key))
    )  # fmt: skip
    return Changes(
        milestones=milestones,
        features_added=added_f,
        features_edited=tuple(edited_f),
        cards_added=tuple(added),
        cards_moved=tuple(moved),
        cards_marked=tuple(marked),
        cards_estimated=tuple(estimated),
        cards_removed=removed,
        dependencies_added=deps_added,
        dependencies_removed=deps_removed,
        conflicts=tuple(conflicts),
        problems=now.problems,
    )
