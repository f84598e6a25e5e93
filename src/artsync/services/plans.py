"""Loading a whole plan into a train, and reading it back out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from artsync.domain.events import Event
from artsync.domain.permissions import Action, Actor
from artsync.domain.plan import Plan
from artsync.errors import ConflictError, InvalidInputError, NotFoundError
from artsync.services.permissions import authorize
from artsync.services.pis import check_follows
from artsync.services.transaction import transaction
from artsync.services.writes import Write
from artsync.store.mapping import add_pi_plan, delete_plan_rows, insert_plan
from artsync.store.models import TeamRow, TrainRow


@dataclass(frozen=True)
class PlanImported:
    """What an import did."""

    train: str
    replaced: bool
    counts: dict[str, int]
    event: Event


def plan_counts(plan: Plan) -> dict[str, int]:
    """How many of each thing the plan holds."""
    return {
        "teams": len(plan.teams),
        "features": len(plan.features),
        "cards": len(plan.cards),
        "dependencies": len(plan.dependencies),
        "milestones": len(plan.milestones),
        "objectives": len(plan.objectives),
        "risks": len(plan.risks),
    }


def import_plan(db: Session, *, actor: Actor, plan: Plan, replace: bool = False) -> PlanImported:
    """Load ``plan`` as its train's plan, whole or not at all.

    A train that exists already is refused unless ``replace``; replacing keeps
    the train's event log and appends to it.
    """
    counts = plan_counts(plan)
    authorize(actor, plan.train.key, Action.ADMINISTER)
    with transaction(db):
        train = db.scalars(select(TrainRow).where(TrainRow.key == plan.train.key)).first()
        if train is not None and not replace:
            raise ConflictError(
                f"train {plan.train.key} exists already; import with --replace to overwrite its plan "
                "(its event log is kept)"
            )
        replaced = train is not None
        if train is None:
            train = TrainRow(key=plan.train.key, name=plan.train.name, last_seq=0, version=1)
            db.add(train)
            db.flush()
        else:
            delete_plan_rows(db, train)
            train.name = plan.train.name
            train.version += 1
        insert_plan(db, train, plan)
        action = "replaced" if replaced else "imported"
        event = Write(db, actor, train).record(
            "train", train.key, action, before=None, after={"pi": plan.pi.key, **counts}
        )
    return PlanImported(plan.train.key, replaced, counts, event)


def import_pi_plan(db: Session, *, actor: Actor, plan: Plan) -> PlanImported:
    """Add the draft of a new PI to a train that exists, keeping its past PIs: whole or not at all.

    The plan's teams must be the train's; its features that the backlog lacks join it. The new PI
    follows the others (no overlap) and is planned, not executing: it becomes the train's current PI.
    """
    counts = plan_counts(plan)
    authorize(actor, plan.train.key, Action.ADMINISTER)
    if plan.pi.state not in ("draft", "planning"):
        raise InvalidInputError(f"a new PI is imported in draft or planning, not {plan.pi.state}")
    with transaction(db):
        train = db.scalars(select(TrainRow).where(TrainRow.key == plan.train.key)).first()
        if train is None:
            raise NotFoundError(f"no train {plan.train.key}: import its whole plan first")
        known = set(db.scalars(select(TeamRow.key).where(TeamRow.train_id == train.id)))
        if strangers := sorted({t.key for t in plan.teams} - known):
            raise InvalidInputError(f"{plan.train.key} has no team {', '.join(strangers)}: add the teams first")
        check_follows(db, train, plan.pi)
        add_pi_plan(db, train, plan)
        event = Write(db, actor, train).record(
            "pi", plan.pi.key, "imported", before=None, after={"pi": plan.pi.key, **counts}
        )
    return PlanImported(plan.train.key, False, counts, event)
