"""Dependencies between cards: add one (POST, idempotent with Idempotency-Key), remove one, move it through
its lifecycle (requested → committed → delivered, or broken)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict

from artsync.domain.plan import DependencyState
from artsync.formats.fields import Ref
from artsync.services.dependencies import add_dependency, remove_dependency, set_dependency_state
from artsync.views.planning import Dependency
from artsync.web.deps import CurrentCaller, Db, parse_if_match

router = APIRouter(prefix="/api/v1", tags=["dependencies"])


class NewDependency(BaseModel):
    """``consumer`` needs ``provider`` delivered first; both written FEATURE@TEAM."""

    model_config = ConfigDict(extra="forbid")
    consumer: Ref
    provider: Ref


@router.post("/trains/{key}/dependencies", status_code=201)
def create_dependency(
    key: str,
    new: NewDependency,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=120)] = None,
) -> Dependency:
    """Add a dependency; a retry with the same Idempotency-Key returns the first result."""
    changed = add_dependency(
        db, actor=caller.actor, train_key=key, consumer=new.consumer, provider=new.provider, request_key=idempotency_key
    )
    return Dependency.of(changed)


@router.delete("/trains/{key}/dependencies")
def delete_dependency(
    key: str,
    db: Db,
    caller: CurrentCaller,
    consumer: str = Query(max_length=200),
    provider: str = Query(max_length=200),
) -> Dependency:
    """Remove the dependency of ``consumer`` on ``provider``."""
    changed = remove_dependency(db, actor=caller.actor, train_key=key, consumer=consumer, provider=provider)
    return Dependency.of(changed)


class DependencyMove(BaseModel):
    """The state to move the dependency to: the providing team commits and delivers; either side breaks it;
    the consumer requests it again."""

    model_config = ConfigDict(extra="forbid")
    state: DependencyState


@router.patch("/trains/{key}/dependencies")
def move_dependency(
    key: str,
    body: DependencyMove,
    db: Db,
    caller: CurrentCaller,
    consumer: str = Query(max_length=200),
    provider: str = Query(max_length=200),
    if_match: Annotated[str | None, Header()] = None,
) -> Dependency:
    """Move the dependency of ``consumer`` on ``provider`` to another state (logged); If-Match is optional."""
    moved = set_dependency_state(
        db, actor=caller.actor, train_key=key, consumer=consumer, provider=provider, state=body.state,
        version=parse_if_match(if_match),
    )  # fmt: skip
    return Dependency.of(moved)
