"""The ART sync agenda, generated from what the event log says changed since the previous ART sync.

Per team: what finished, what slipped against the baseline, what became blocked. Then dependencies
newly at risk or broken (and who must talk to whom), new findings, risks and impediments that changed
or are aging, action items due or overdue, and decisions pending. Nothing from before the previous
sync appears, except what still stands and is late: aging impediments, overdue actions, pending
decisions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from artsync.domain.board import DependencyStatus, dependency_status
from artsync.domain.events import Entity, Event
from artsync.domain.findings import Finding
from artsync.domain.impediments import Impediment
from artsync.domain.meetings import ActionItem, Decision
from artsync.domain.plan import Plan, split_card_ref

TROUBLE = (DependencyStatus.AT_RISK, DependencyStatus.BROKEN, DependencyStatus.UNPLANNED_PROVIDER)


@dataclass(frozen=True)
class Slip:
    """A card later than the baseline planned it: ``now`` None means unplanned, ``removed`` off the board."""

    ref: str
    planned: int
    now: int | None
    removed: bool = False


@dataclass(frozen=True)
class TeamReport:
    team: str
    finished: tuple[str, ...] = ()
    slipped: tuple[Slip, ...] = ()
    blocked: tuple[str, ...] = ()

    @property
    def quiet(self) -> bool:
        return not (self.finished or self.slipped or self.blocked)


@dataclass(frozen=True)
class DependencyTrouble:
    """A dependency that became at risk or broken: the two teams must talk."""

    consumer: str
    provider: str
    status: str  # at-risk | broken | unplanned-provider, or "declared broken" by a team

    @property
    def teams(self) -> tuple[str, str]:
        return split_card_ref(self.consumer)[1], split_card_ref(self.provider)[1]


@dataclass(frozen=True)
class Change:
    """An item that changed in the window, with the log's words for the change."""

    key: str
    text: str
    changes: tuple[str, ...]


@dataclass(frozen=True)
class Agenda:
    since_seq: int
    until_seq: int
    today: date
    horizon: date
    teams: tuple[TeamReport, ...]
    dependencies: tuple[DependencyTrouble, ...]
    findings: tuple[Finding, ...]
    risks: tuple[Change, ...]
    impediments_changed: tuple[Change, ...]
    impediments_aging: tuple[Impediment, ...]
    actions_overdue: tuple[ActionItem, ...]
    actions_due: tuple[ActionItem, ...]
    decisions_pending: tuple[Decision, ...]

    @property
    def empty(self) -> bool:
        return all(t.quiet for t in self.teams) and not (
            self.dependencies
            or self.findings
            or self.risks
            or self.impediments_changed
            or self.impediments_aging
            or self.actions_overdue
            or self.actions_due
            or self.decisions_pending
        )


def build_agenda(
    *,
    events: Iterable[Event],
    since_seq: int,
    plan: Plan,
    baseline: Plan | None,
    findings: Iterable[Finding],
    known_findings: set[str],
    impediments: Iterable[Impediment],
    actions: Iterable[ActionItem],
    decisions: Iterable[Decision],
    today: date,
    horizon: date,
) -> Agenda:
    """The agenda for the events after ``since_seq`` (those of the previous sync and before are left out).

    ``known_findings`` are the ids that stood when the previous sync ended (or at commit); ``horizon``
    is the day of the next sync: action items due by then are listed.
    """
    window = [e for e in events if e.seq > since_seq]
    cards = {c.ref: c for c in plan.cards}
    planned = {c.ref: c.iteration for c in baseline.cards} if baseline else {}

    finished: dict[str, list[str]] = {}
    blocked: dict[str, list[str]] = {}
    slipped: dict[str, list[Slip]] = {}
    start_iteration: dict[str, int | None] = {}  # where each card touched in the window stood before it
    for e in window:
        if e.entity != Entity.CARD:
            continue
        if e.entity_id not in start_iteration and e.before is not None:
            start_iteration[e.entity_id] = e.before.get("iteration")
    for ref in dict.fromkeys(e.entity_id for e in window if e.entity == Entity.CARD):
        team = split_card_ref(ref)[1]
        card = cards.get(ref)
        was = planned.get(ref)
        if card is None:
            if was is not None:
                slipped.setdefault(team, []).append(Slip(ref, was, None, removed=True))
            continue
        if card.status == "done" and any(
            e.entity_id == ref and e.action == "status" and (e.after or {}).get("status") == "done" for e in window
        ):
            finished.setdefault(team, []).append(ref)
        if card.status == "blocked" and any(
            e.entity_id == ref and e.action == "status" and (e.after or {}).get("status") == "blocked" for e in window
        ):
            blocked.setdefault(team, []).append(ref)
        moved = any(e.entity_id == ref and e.action == "moved" for e in window)
        if moved and was is not None and (card.iteration is None or card.iteration > was):
            slipped.setdefault(team, []).append(Slip(ref, was, card.iteration))

    reports = tuple(
        TeamReport(
            t.key,
            tuple(sorted(finished.get(t.key, []))),
            tuple(sorted(slipped.get(t.key, []), key=lambda s: s.ref)),
            tuple(sorted(blocked.get(t.key, []))),
        )
        for t in plan.teams
    )

    troubles: dict[tuple[str, str], DependencyTrouble] = {}
    declared = {e.entity_id for e in window if e.entity == Entity.DEPENDENCY and e.action == "broken"}
    for d in plan.dependencies:
        now = dependency_status(cards[d.consumer].iteration, cards[d.provider].iteration)
        if d.key in declared and d.state == "broken":
            troubles[(d.consumer, d.provider)] = DependencyTrouble(d.consumer, d.provider, "declared broken")
            continue
        if now not in TROUBLE or not ({d.consumer, d.provider} & start_iteration.keys()):
            continue
        before = dependency_status(
            start_iteration.get(d.consumer, cards[d.consumer].iteration),
            start_iteration.get(d.provider, cards[d.provider].iteration),
        )
        if before != now and not (before == DependencyStatus.BROKEN and now == DependencyStatus.AT_RISK):
            troubles[(d.consumer, d.provider)] = DependencyTrouble(d.consumer, d.provider, now.value)

    risks = {r.key: r for r in plan.risks}
    open_impediments = list(impediments)
    by_key = {i.key: i for i in open_impediments}
    return Agenda(
        since_seq=since_seq,
        until_seq=max((e.seq for e in window), default=since_seq),
        today=today,
        horizon=horizon,
        teams=reports,
        dependencies=tuple(troubles[k] for k in sorted(troubles)),
        findings=tuple(f for f in findings if f.id not in known_findings),
        risks=changes(window, "risk", {k: r.text for k, r in risks.items()}),
        impediments_changed=changes(window, "impediment", {k: i.text for k, i in by_key.items()}),
        impediments_aging=tuple(
            sorted((i for i in open_impediments if i.aging(today)), key=lambda i: (-i.age(today), i.key))
        ),
        actions_overdue=tuple(sorted((a for a in actions if a.overdue(today)), key=lambda a: (a.due, a.key))),
        actions_due=tuple(
            sorted((a for a in actions if a.due_by(horizon) and not a.overdue(today)), key=lambda a: (a.due, a.key))
        ),
        decisions_pending=tuple(d for d in decisions if d.state == "pending"),
    )


def changes(window: list[Event], entity: str, texts: dict[str, str]) -> tuple[Change, ...]:
    """The items of ``entity`` that changed in the window, each with its changes in log order."""
    found: dict[str, list[str]] = {}
    for e in window:
        if e.entity == entity:
            said = (
                f"{e.action} by {e.actor}" if e.before is None else e.summary().removeprefix(f"{entity} {e.entity_id} ")
            )
            found.setdefault(e.entity_id, []).append(said)
    return tuple(Change(key, texts.get(key, ""), tuple(lines)) for key, lines in sorted(found.items()))
