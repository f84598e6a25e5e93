"""Dependencies between cards: add one (POST, idempotent with Idempotency-Key), remove one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from artsync.services.dependencies import DependencyChanged, add_dependency, remove_dependency
from artsync.web.deps import CurrentCaller, Db
from artsync.web.live import announce

router = APIRouter(prefix="/api/v1", tags=["dependencies"])


class NewDependency(BaseModel):
    """``consumer`` needs ``provider`` delivered first; both written FEATURE@TEAM."""

    model_config = ConfigDict(extra="forbid")
    consumer: str = Field(max_length=200)
    provider: str = Field(max_length=200)


def dependency_body(changed: DependencyChanged) -> dict[str, Any]:
    d = changed.dependency
    return {
        "consumer": d.consumer,
        "provider": d.provider,
        "state": d.state,
        "status": changed.status.value,
        "seq": changed.event.seq,
    }


@router.post("/trains/{key}/dependencies", status_code=201)
def create_dependency(
    key: str,
    new: NewDependency,
    request: Request,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=120)] = None,
) -> dict[str, Any]:
    """Add a dependency; a retry with the same Idempotency-Key returns the first result."""
    changed = add_dependency(
        db, actor=caller.actor, train_key=key, consumer=new.consumer, provider=new.provider, request_key=idempotency_key
    )
    announce(request, key)
    return dependency_body(changed)


@router.delete("/trains/{key}/dependencies")
def delete_dependency(
    key: str,
    request: Request,
    db: Db,
    caller: CurrentCaller,
    consumer: str = Query(max_length=200),
    provider: str = Query(max_length=200),
) -> dict[str, Any]:
    """Remove the dependency of ``consumer`` on ``provider``."""
    changed = remove_dependency(db, actor=caller.actor, train_key=key, consumer=consumer, provider=provider)
    announce(request, key)
    return dependency_body(changed)
