"""A train with life besides its plan, for tests: ART events, impediments, actions, a decision, a conflict.

Seeded once per train through the same services people use, so it is all in the event log.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.findings import analyze
from artsync.domain.permissions import Actor
from artsync.services.conflicts import conflict_from_finding
from artsync.services.impediments import raise_impediment, update_impediment
from artsync.services.meetings import add_action, add_decision, schedule_meeting
from artsync.services.trains import get_plan
from artsync.store.models import MeetingRow, TrainRow


def seed_activity(db: Session, *, actor: Actor, train_key: str, today: date | None = None) -> bool:
    """Give the demo train its ART events and open items, unless it has some already; True when seeded.

    The operator loading the demo acts in the names of the demo people, so the log reads as theirs.
    """
    train = db.scalars(select(TrainRow).where(TrainRow.key == train_key)).one()
    if db.scalars(select(MeetingRow.id).where(MeetingRow.train_id == train.id)).first() is not None:
        return False
    today = today or date.today()
    plan = get_plan(db, actor=actor, train_key=train_key)
    rita, sam, otto = (Actor(name, actor.grants, local_admin=actor.local_admin) for name in ("rita", "sam", "otto"))
    teams = [t.key for t in plan.teams]
    schedule_meeting(db, actor=rita, train_key=train_key, kind="pi_planning", day=today, title="PI planning, day 1")
    schedule_meeting(db, actor=rita, train_key=train_key, kind="pi_planning", day=today + timedelta(days=1),
                     title="PI planning, day 2")  # fmt: skip
    for week in range(1, 4):
        schedule_meeting(db, actor=rita, train_key=train_key, kind="art_sync", day=today + timedelta(weeks=week))
    raised = raise_impediment(db, actor=sam, train_key=train_key, text="Shared test environment is down twice a week",
                              team=teams[0], owner="sam")  # fmt: skip
    update_impediment(db, actor=rita, train_key=train_key, key=raised.value.key, level="train", owner="rita",
                      note="Ops asked for a second environment")  # fmt: skip
    raise_impediment(db, actor=otto, train_key=train_key, text="No licence yet for the load-testing tool",
                     team=teams[1])  # fmt: skip
    add_action(db, actor=rita, train_key=train_key, text="Confirm the refund rules with the regulator", owner="bob",
               due=today - timedelta(days=1))  # fmt: skip
    add_action(db, actor=rita, train_key=train_key, text="Share the architecture runway for payouts", owner="pam",
               due=today + timedelta(days=5))  # fmt: skip
    add_decision(db, actor=rita, train_key=train_key, question="Move the regulatory milestone, or cut scope?")
    overload = next((f for f in analyze(plan) if f.kind == "over-capacity"), None)
    if overload is not None:
        conflict_from_finding(db, actor=otto, train_key=train_key, finding_id=overload.id)
    return True
