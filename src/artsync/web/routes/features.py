"""The ART backlog's features: read one, edit its WSJF inputs (PATCH with If-Match)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict

from artsync.services.features import FeatureView, edit_feature, get_feature
from artsync.web.deps import CurrentCaller, Db, require_if_match, set_etag
from artsync.web.fields import Title

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


def feature_body(view: FeatureView) -> dict[str, Any]:
    f = view.feature
    return {
        **f.record(),
        "cost_of_delay": f.wsjf.cost_of_delay,
        "wsjf": round(f.wsjf.score, 2),
        "version": view.version,
    }


@router.get("/trains/{key}/features/{feature}")
def read_feature(key: str, feature: str, db: Db, caller: CurrentCaller, response: Response) -> dict[str, Any]:
    """One feature with its WSJF, and its version as ETag."""
    view = get_feature(db, actor=caller.actor, train_key=key, key=feature)
    set_etag(response, view.version)
    return feature_body(view)


@router.patch("/trains/{key}/features/{feature}")
def patch_feature(
    key: str,
    feature: str,
    change: FeaturePatch,
    request: Request,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
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
    return feature_body(view)
