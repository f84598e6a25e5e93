"""The demo train's story: the PI before, closed at Inspect & Adapt, and the PI it is in today.

Everything is played through the services people use, each step at the moment it happened
(``store.mapping.as_of``), so the event log, history, drift, measures, report and forecast tell one
story whose dates fit the PI and today:

- the previous PI: planned, voted and committed at its PI planning, executed iteration by
  iteration (a few cards finish late or not at all), ART syncs and system demos held with minutes,
  actual business value set and problems worked at Inspect & Adapt, then closed;
- the current PI (stage ``executing``): planned and committed at a PI planning held in the previous
  PI's IP iteration, today inside its third iteration; iterations 1 and 2 mostly done, a few slips
  against the baseline made by named people, dependencies committed and delivered (one broken),
  cards in progress and blocked, aging impediments, actions, decisions and a conflict; the
  problems the demo plan carries on purpose are still there for the RTE to find;
- or (stage ``planning``) the same train on the eve of the current PI's planning: draft plan on the
  board, PI planning tomorrow, the confidence vote not yet held.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from artsync.domain.findings import analyze
from artsync.domain.permissions import Actor
from artsync.domain.plan import Card, Plan
from artsync.formats.demo import DEMO_PASSWORD, DEMO_PEOPLE, demo_plan, previous_plan
from artsync.services.baselines import commit_pi
from artsync.services.cards import move_card, set_card_status
from artsync.services.conflicts import conflict_from_finding
from artsync.services.dependencies import set_dependency_state
from artsync.services.impediments import raise_impediment, update_impediment
from artsync.services.meetings import (
    add_action,
    add_decision,
    complete_action,
    decide,
    end_meeting,
    record_outcome,
    record_team_status,
    schedule_meeting,
    start_meeting,
)
from artsync.services.objectives import set_business_value
from artsync.services.people import add_user
from artsync.services.pis import advance_pi
from artsync.services.plans import import_pi_plan, import_plan
from artsync.services.trains import get_plan
from artsync.services.transaction import transaction
from artsync.services.votes import cast_vote, close_vote, open_vote
from artsync.services.workshop import add_cause, add_improvement, add_problem
from artsync.store.mapping import as_of
from artsync.store.models import TrainRow

STAGES = ("executing", "planning")
# Who speaks for each team in the log (the demo people of the first two teams, then names without accounts).
TEAM_VOICES = ("olga", "otto", "lena", "raj", "tom", "kim", "ana", "joe", "eva", "ian")
VOTERS = ("rita", "pam", "bob", "olga", "sam", "mia", "otto", "lena", "raj", "tom", "kim", "ana")


@dataclass(frozen=True)
class DemoStory:
    """What ``play_demo`` made: the train, its PIs and the stage it stands at."""

    plan: Plan  # the current PI's plan as it was imported
    previous: str
    current: str
    stage: str
    today: date


def pi_key(start: date) -> str:
    return f"PI-{start.year}.{(start.month - 1) // 3 + 1}"


def key_before(key: str) -> str:
    year, quarter = (int(part) for part in key.removeprefix("PI-").split("."))
    return f"PI-{year - 1}.4" if quarter == 1 else f"PI-{year}.{quarter - 1}"


def current_start(today: date, stage: str) -> date:
    """When the current PI starts: four weeks before this week (today is in iteration 3), or — on the
    eve of PI planning — the Monday after the two planning days that start tomorrow."""
    monday = today - timedelta(days=today.weekday())
    if stage == "executing":
        return monday - timedelta(weeks=4)
    second_day = today + timedelta(days=2)
    return second_day + timedelta(days=7 - second_day.weekday())


def planning_days(start: date, today: date, stage: str) -> tuple[date, date]:
    """PI planning's two days: the Thursday and Friday before the PI, or tomorrow and after for the eve."""
    if stage == "planning":
        return today + timedelta(days=1), today + timedelta(days=2)
    return start - timedelta(days=4), start - timedelta(days=3)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def play_demo(
    db: Session, *, actor: Actor, size: str = "art", seed: int = 7, today: date | None = None, stage: str = "executing"
) -> DemoStory:
    """Load the demo train afresh (removing the same train first, with its log) and play its story to ``today``."""
    today = today or date.today()
    if stage not in STAGES:
        raise ValueError(f"stage is one of {', '.join(STAGES)}")
    start = current_start(today, stage)
    key = pi_key(start)
    plan = demo_plan(size, seed, start=start, key=key)
    before = previous_plan(size, seed, plan, key_before(key))
    with transaction(db):
        db.execute(delete(TrainRow).where(TrainRow.key == plan.train.key))
    story = Story(db, actor, plan, today, random.Random(f"{size}:{seed}:story"))
    story.previous_pi(before, planning_days(start, today, stage)[0])
    story.current_pi(plan, stage)
    story.play()
    return DemoStory(plan, before.pi.key, key, stage, today)


class Story:
    """The train's life as a timeline of steps — a service call by a named person at a moment — played in
    the order they happened, so the log's seqs and times rise together."""

    def __init__(self, db: Session, operator: Actor, plan: Plan, today: date, rng: random.Random) -> None:
        self.db, self.operator, self.train, self.today, self.rng = db, operator, plan.train.key, today, rng
        self.team_index = {t.key: i for i, t in enumerate(plan.teams)}  # the demo people's team order
        self.dependencies: dict[tuple[str, str], str] = {}  # (consumer, provider) → state, as the story sets it
        self.steps: list[tuple[datetime, int, Callable[[], object]]] = []
        self.opened = datetime.min.replace(tzinfo=UTC)  # meetings are scheduled in the PI current from then on

    def when(self, moment: datetime, step: Callable[[], object]) -> None:
        self.steps.append((moment, len(self.steps), step))

    def play(self) -> None:
        for moment, _, step in sorted(self.steps, key=lambda s: s[:2]):
            with as_of(moment):
                step()
        self.steps.clear()

    def as_(self, name: str) -> Actor:
        return Actor(name, self.operator.grants, local_admin=self.operator.local_admin)

    def voice(self, team: str) -> str:
        """Who speaks for ``team`` in the log."""
        index = self.team_index[team]
        return TEAM_VOICES[index % len(TEAM_VOICES)] + ("" if index < len(TEAM_VOICES) else str(index))

    def do(self, moment: datetime, name: str, service: Callable[..., Any], **kwargs: Any) -> None:
        """``name`` calls ``service`` at ``moment``."""
        self.when(moment, partial(self.call, name, service, **kwargs))

    def call(self, name: str, service: Callable[..., Any], **kwargs: Any) -> Any:
        return service(self.db, actor=self.as_(name), train_key=self.train, **kwargs)

    def meeting(self, kind: str, day: date, record: Callable[[int], None] | None = None, **kw: Any) -> None:
        """Schedule a meeting a week ahead; when ``record`` is given, hold it on ``day`` — ``record(id)`` says
        what is said in it, at the meeting's moment — and end it, which writes its minutes."""
        held: dict[str, int] = {}

        def schedule() -> None:
            held["id"] = self.call("rita", schedule_meeting, kind=kind, day=day, **kw).value.meeting.id

        self.when(max(min(at(day - timedelta(days=7), 9), at(self.today, 8)), self.opened), schedule)
        if record is None:
            return
        self.when(at(day, 9), lambda: self.call("rita", start_meeting, meeting_id=held["id"]))
        self.when(at(day, 10), lambda: record(held["id"]))
        self.when(at(day, 11), lambda: self.call("rita", end_meeting, meeting_id=held["id"]))

    def record(self, meeting: int, service: Callable[..., Any], **kwargs: Any) -> None:
        """Said in a running meeting by the RTE, who facilitates it."""
        self.call("rita", service, meeting_id=meeting, **kwargs)

    # --- the PI before ------------------------------------------------------------------------------

    def previous_pi(self, plan: Plan, next_planning: date) -> None:
        pi = plan.pi
        first_day = pi.start - timedelta(days=4)
        self.when(
            at(pi.start - timedelta(days=11), 9), partial(import_plan, self.db, actor=self.as_("rita"), plan=plan)
        )
        self.pi_planning(plan, first_day, votes=(4, 4, 3, 5, 4, 3, 4, 4, 5, 3, 4, 4))
        self.when(at(first_day + timedelta(days=1), 16), partial(self.call, "rita", commit_pi))
        unfinished = self.execute(plan, through=pi.iteration_count - 1, late_share=0.08, left_share=0.05)
        for iteration in pi.iterations[:-1]:
            self.art_syncs(plan, iteration.start, iteration.end, unfinished)
            self.system_demo(plan, iteration.index, iteration.end - timedelta(days=2))
        self.inspect_and_adapt(plan, next_planning - timedelta(days=1), unfinished)

    def pi_planning(self, plan: Plan, first_day: date, votes: tuple[int, ...]) -> None:
        """Two days in the room: drafts, dependencies committed by the providing teams, then the vote."""
        second_day = first_day + timedelta(days=1)

        def day_one(meeting: int) -> None:
            text = f"Vision and top features presented by pam; {len(plan.teams)} teams drafted their plans"
            self.record(meeting, record_outcome, text=text)

        def day_two(meeting: int) -> None:
            self.record(meeting, record_outcome, text="Plans reviewed by the business owners; risks ROAMed")

        self.meeting("pi_planning", first_day, day_one, title="PI planning, day 1")
        self.meeting("pi_planning", second_day, day_two, title="PI planning, day 2")
        for dependency in plan.dependencies:
            self.dependencies[dependency.consumer, dependency.provider] = dependency.state
            if dependency.state == "requested" and self.rng.random() < 0.6:
                self.set_dependency(at(second_day, 12), dependency.consumer, dependency.provider, "committed")
        self.do(at(second_day, 14), "rita", open_vote)
        for voter, fingers in zip(VOTERS, votes, strict=False):
            self.do(at(second_day, 14), voter, cast_vote, fingers=fingers)
        self.do(at(second_day, 15), "rita", close_vote)

    def execute(self, plan: Plan, *, through: int, late_share: float, left_share: float) -> set[str]:
        """Iterations 1 to ``through`` as the teams lived them: cards started, finished near the iteration's
        end — a few a week late, a few not at all — and dependencies delivered as their providers finish.
        Returns the refs of the cards left unfinished."""
        unfinished: set[str] = set()
        for iteration in plan.pi.iterations[:through]:
            mine = [c for c in plan.cards if c.iteration == iteration.index]
            for card in mine:
                self.mark(at(iteration.start, 11), card, "in progress")
            for card in mine:
                roll = self.rng.random()
                if roll < left_share:
                    unfinished.add(card.ref)
                    continue
                late = roll < left_share + late_share
                finished = iteration.end + timedelta(days=5 if late else -2 - self.rng.randrange(0, 4))
                if finished >= self.today:
                    unfinished.add(card.ref)
                    continue
                self.mark(at(finished, 15), card, "done")
                self.deliver(at(finished, 16), card)
        return unfinished

    def mark(self, moment: datetime, card: Card, status: str) -> None:
        self.do(moment, self.voice(card.team), set_card_status, ref=card.ref, status=status)

    def deliver(self, moment: datetime, provider: Card) -> None:
        """The providing team delivers what it promised (committing first to what it never had)."""
        for (consumer, ref), state in list(self.dependencies.items()):
            if ref == provider.ref and state in ("requested", "committed"):
                if state == "requested":
                    self.set_dependency(moment, consumer, ref, "committed")
                self.set_dependency(moment, consumer, ref, "delivered")

    def set_dependency(self, moment: datetime, consumer: str, provider: str, state: str) -> None:
        team = provider.partition("@")[2]
        self.do(moment, self.voice(team), set_dependency_state, consumer=consumer, provider=provider, state=state)
        self.dependencies[consumer, provider] = state

    def art_syncs(self, plan: Plan, start: date, end: date, troubled: set[str]) -> None:
        """The weekly ART sync (Wednesdays): held until today, each team's status and the outcome; planned after."""
        behind = {ref.partition("@")[2] for ref in troubled}
        day = start + timedelta(days=2)
        while day <= end:
            statuses = {
                t.key: "at risk" if t.key in behind and self.rng.random() < 0.5 else "on track" for t in plan.teams
            }

            def held(meeting: int, statuses: dict[str, str] = statuses) -> None:
                for team, status in statuses.items():
                    note = "a card runs late; asking for help in the sync" if status == "at risk" else ""
                    self.record(meeting, record_team_status, team=team, status=status, note=note)
                self.record(meeting, record_outcome, text="Dependencies and impediments reviewed")

            self.meeting("art_sync", day, held if day <= self.today else None)
            day += timedelta(weeks=1)

    def system_demo(self, plan: Plan, iteration: int, day: date) -> None:
        shown = sorted({c.feature for c in plan.cards if c.iteration == iteration})[:3]

        def held(meeting: int) -> None:
            for feature in shown:
                self.record(meeting, record_outcome, text=f"Demonstrated {feature}", item=feature,
                            feedback="Business owners happy; asked for the edge cases next time")  # fmt: skip

        self.meeting("system_demo", day, held if day <= self.today else None, iteration=iteration)

    def inspect_and_adapt(self, plan: Plan, day: date, unfinished: set[str]) -> None:
        """Actual business value, the problem-solving workshop, the PI closed — and the next one opened."""
        late = {ref.partition("@")[0] for ref in unfinished}
        values = {
            o.key: max(
                0, min(10, (o.planned_bv or 5) - (3 if set(o.features) & late else self.rng.choice((0, 0, 1, 1, 2))))
            )
            for o in plan.objectives
        }

        def held(meeting: int) -> None:
            for key, actual in values.items():
                self.call("bob", set_business_value, key=key, actual=actual)
            problem = self.call("sam", add_problem, text="Cards finished late when they waited for another team")
            self.call("sam", add_cause, key=problem.key,
                      text="Dependencies were found in the iteration, not at planning")  # fmt: skip
            self.call("sam", add_cause, key=problem.key, text="The shared test environment was down twice a week",
                      category="environment")  # fmt: skip
            self.call("pam", add_improvement, key=problem.key,
                      title="Map dependencies on the board before PI planning")  # fmt: skip
            self.record(meeting, record_outcome, text="Predictability reviewed; one improvement taken into the backlog")

        self.meeting("inspect_adapt", day, held)
        self.do(at(day, 12), "rita", advance_pi, to="closed", pi_key=plan.pi.key)

    # --- the PI today --------------------------------------------------------------------------------

    def current_pi(self, plan: Plan, stage: str) -> None:
        pi = plan.pi
        first_day, second_day = planning_days(pi.start, self.today, stage)
        draft = replace(plan, pi=replace(pi, state="draft"))
        self.when(
            at(pi.start - timedelta(days=11), 9), partial(import_pi_plan, self.db, actor=self.as_("rita"), plan=draft)
        )
        self.opened = at(first_day - timedelta(days=1), 13)  # after the previous PI's I&A
        self.do(self.opened, "rita", advance_pi, to="planning", pi_key=pi.key)
        if stage == "planning":
            self.meeting("pi_planning", first_day, title="PI planning, day 1")
            self.meeting("pi_planning", second_day, title="PI planning, day 2")
            self.do(self.opened, "rita", add_action, text="Send the vision and top-10 features to the teams",
                    owner="pam", due=first_day)  # fmt: skip
            return
        self.pi_planning(plan, first_day, votes=(4, 3, 4, 4, 3, 3, 4, 5, 3, 4, 3, 4))
        self.do(at(second_day, 16), "rita", commit_pi,
                override_reason="Known problems ROAMed in the room: the cycle and the ledger card go to the next PI's "
                "backlog; the over-loaded iteration is watched at the ART sync")  # fmt: skip
        unfinished = self.execute(plan, through=2, late_share=0.05, left_share=0.1)
        self.slips(plan, unfinished)
        self.in_progress(plan)
        for iteration in pi.iterations[:-1]:
            self.art_syncs(plan, iteration.start, iteration.end, unfinished)
            self.system_demo(plan, iteration.index, iteration.end - timedelta(days=2))
        next_start = pi.end + timedelta(days=1)  # I&A, then the next PI's planning, at the end of the IP iteration
        self.meeting("inspect_adapt", next_start - timedelta(days=5))
        self.meeting("pi_planning", next_start - timedelta(days=4), title="Next PI planning, day 1")
        self.meeting("pi_planning", next_start - timedelta(days=3), title="Next PI planning, day 2")
        self.open_items(plan)

    def slips(self, plan: Plan, unfinished: set[str]) -> None:
        """Unfinished cards of iterations 1 and 2 moved on by their teams: the drift against the baseline."""
        for ref in sorted(unfinished)[:4]:
            card = plan.cards_by_ref[ref]
            if card.iteration is None:
                continue
            moved = plan.pi.iterations[card.iteration - 1].end - timedelta(days=2)
            self.do(at(moved, 16), self.voice(card.team), move_card, ref=ref, to_iteration=min(card.iteration + 1, 3))

    def in_progress(self, plan: Plan) -> None:
        """Iteration 3 under way: most cards in progress, a few done already, two blocked."""
        started = plan.pi.iterations[2].start
        mine = [c for c in plan.cards if c.iteration == 3]
        for card in mine:
            self.mark(at(started, 11), card, "in progress")
        lately = at(max(started, self.today - timedelta(days=1)), 14)
        for n, card in enumerate(self.rng.sample(mine, len(mine))):
            if n < 2:
                self.mark(lately, card, "blocked")
            elif n < 2 + len(mine) // 5:
                self.mark(lately, card, "done")
                self.deliver(lately, card)
            elif n > 2 + len(mine) * 3 // 4:
                self.mark(lately, card, "not started")

    def open_items(self, plan: Plan) -> None:
        """What is open today: impediments of various ages, actions, decisions, a conflict."""
        teams = sorted(self.team_index, key=self.team_index.__getitem__)
        start, today = plan.pi.start, self.today
        raised: dict[str, str] = {}

        def raise_(key: str, name: str, **kwargs: Any) -> None:
            raised[key] = self.call(name, raise_impediment, **kwargs).value.key

        self.when(at(start + timedelta(days=3)), partial(raise_, "environment", "sam",
                  text="Shared test environment is down twice a week", team=teams[0], owner="sam"))  # fmt: skip
        self.when(at(start + timedelta(days=9)), lambda: self.call("rita", update_impediment, key=raised["environment"],
                  level="train", owner="rita", note="Ops asked for a second environment"))  # fmt: skip
        self.when(at(start + timedelta(days=8)), partial(raise_, "licence", "otto",
                  text="No licence yet for the load-testing tool", team=teams[1]))  # fmt: skip
        self.when(at(start + timedelta(days=15)), lambda: self.call("rita", update_impediment, key=raised["licence"],
                  state="resolved", note="Licence bought by pam"))  # fmt: skip
        self.do(at(today - timedelta(days=2)), "otto", raise_impediment,
                text="Card payments sandbox rejects the new certificates", team=teams[1])  # fmt: skip
        noon = at(start + timedelta(days=16), 12)
        self.do(noon, "rita", add_action, text="Confirm the refund rules with the regulator", owner="bob",
                due=today - timedelta(days=1))  # fmt: skip
        self.do(noon, "rita", add_action, text="Share the architecture runway for payouts", owner="pam",
                due=today + timedelta(days=5))  # fmt: skip
        booked: dict[str, str] = {}
        room = partial(self.call, "rita", add_action, text="Book the system demo room", owner="rita",
                       due=start + timedelta(days=20))  # fmt: skip
        self.when(noon, lambda: booked.update(key=room().key))
        self.when(at(start + timedelta(days=18)), lambda: self.call("rita", complete_action, key=booked["key"]))
        asked: dict[str, str] = {}
        self.when(at(start + timedelta(days=18)), lambda: asked.update(
            key=self.call("rita", add_decision, question="Split the payouts epic across two PIs?").key))  # fmt: skip
        self.when(at(start + timedelta(days=23)), lambda: self.call("bob", decide, key=asked["key"],
                  decision="Split it: the API first, the dashboards next PI",
                  rationale="The regulatory deadline needs the API; the dashboards can wait"))  # fmt: skip
        self.do(
            at(start + timedelta(days=23)),
            "rita",
            add_decision,
            question="Move the regulatory milestone, or cut scope?",
        )
        self.when(at(today - timedelta(days=1), 12), self.report_overload)

    def report_overload(self) -> None:
        """A team takes the over-loaded iteration to the conflict log."""
        plan = get_plan(self.db, actor=self.operator, train_key=self.train)
        overload = next((f for f in analyze(plan) if f.kind == "over-capacity"), None)
        if overload is not None:
            self.call("otto", conflict_from_finding, finding_id=overload.id)


def add_demo_people(db: Session, *, actor: Actor, plan: Plan) -> None:
    """The demo people to sign in as (the password is ``DEMO_PASSWORD``)."""
    for person in DEMO_PEOPLE:
        team = plan.teams[person.team_index].key if person.team_index is not None else None
        add_user(db, actor=actor, name=person.name, train_key=plan.train.key, role=person.role, team_key=team,
                 password=DEMO_PASSWORD)  # fmt: skip
