"""The ART backlog's features: read one, edit its WSJF inputs (PATCH with If-Match)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, ConfigDict

from artsync.formats.fields import Title
from artsync.services.features import edit_feature, get_feature
from artsync.views.planning import Feature
from artsync.web.deps import CurrentCaller, Db, require_if_match, set_etag

router = APIRouter(prefix="/api/v1", tags=["features"])


class FeaturePatch(BaseModel):
    """Any of the editable fields; WSJF inputs on 1, 2, 3, 5, 8, 13, 20."""

    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    kind: Literal["business", "enabler"] | None = None
    ubv: int | None = None
    tc: int | None = None
    rroe: int | None = None
    size: int | None = None


@router.get("/trains/{key}/features/{feature}")
def read_feature(key: str, feature: str, db: Db, caller: CurrentCaller, response: Response) -> Feature:
    """One feature with its WSJF, and its version as ETag."""
    view = get_feature(db, actor=caller.actor, train_key=key, key=feature)
    set_etag(response, view.version)
    return Feature.of_view(view)


@router.patch("/trains/{key}/features/{feature}")
def patch_feature(
    key: str,
    feature: str,
    change: FeaturePatch,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Feature:
    """Edit a feature (product management); 412 when If-Match is stale."""
    version = require_if_match(if_match)
    view = edit_feature(
        db,
        actor=caller.actor,
        train_key=key,
        key=feature,
        changes=change.model_dump(exclude_none=True),
        version=version,
    )
    set_etag(response, view.version)
    return Feature.of_view(view)
