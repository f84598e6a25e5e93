"""Risks: read one, ROAM it (PATCH with If-Match)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, ConfigDict, Field

from artsync.domain import limits
from artsync.domain.plan import RoamState
from artsync.services.risks import get_risk, roam_risk
from artsync.views.planning import Risk
from artsync.web.deps import CurrentCaller, Db, require_if_match, set_etag

router = APIRouter(prefix="/api/v1", tags=["risks"])


class RiskPatch(BaseModel):
    """The ROAM state, with an owner (required for owned) and a note."""

    model_config = ConfigDict(extra="forbid")
    roam: RoamState
    owner: str | None = Field(None, max_length=limits.NAME)
    note: str | None = Field(None, max_length=limits.TEXT)


@router.get("/trains/{key}/risks/{risk}")
def read_risk(key: str, risk: str, db: Db, caller: CurrentCaller, response: Response) -> Risk:
    """One risk and its version as ETag."""
    view = get_risk(db, actor=caller.actor, train_key=key, key=risk)
    set_etag(response, view.version)
    return Risk.of(view)


@router.patch("/trains/{key}/risks/{risk}")
def patch_risk(
    key: str,
    risk: str,
    change: RiskPatch,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Risk:
    """ROAM a risk; 412 when If-Match is stale."""
    version = require_if_match(if_match)
    view = roam_risk(
        db, actor=caller.actor, train_key=key, key=risk, roam=change.roam, owner=change.owner, note=change.note,
        version=version,
    )  # fmt: skip
    set_etag(response, view.version)
    return Risk.of(view)
