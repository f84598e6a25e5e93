"""One team's card: read it, move it (PATCH with If-Match)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from artsync.domain.plan import CardStatus
from artsync.errors import InvalidInputError
from artsync.services.cards import edit_card, get_card
from artsync.views.base import seq_of
from artsync.views.planning import Card
from artsync.web.deps import CurrentCaller, Db, in_thread, require_if_match, set_etag

router = APIRouter(prefix="/api/v1", tags=["cards"])


class CardPatch(BaseModel):
    """One change at a time: move the card (``iteration``: a number, or null to unplan) or set its ``status``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1, "maxProperties": 1})
    iteration: int | None = Field(default=None, description="1-based iteration, or null to unplan the card")
    status: CardStatus | None = None


CardId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The card's id, from the board")]


@router.get("/cards/{card_id}")
def read_card(card_id: CardId, db: Db, caller: CurrentCaller, response: Response) -> Card:
    """One card, with its version as ETag."""
    view = get_card(db, actor=caller.actor, card_id=card_id)
    set_etag(response, view.version)
    return Card.of(view.id, view.train, view.card, view.version)


@router.patch("/cards/{card_id}")
async def patch_card(
    card_id: CardId,
    change: CardPatch,
    request: Request,
    caller: CurrentCaller,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Card:
    """Move the card to another iteration or unplan it; refused with 412 when If-Match is stale."""
    version = require_if_match(if_match)
    fields = change.model_fields_set
    if len(fields) != 1:
        raise InvalidInputError("send one change at a time: either iteration or status")
    if "status" in fields and change.status is None:
        raise InvalidInputError("status: use one of not started, in progress, done, blocked")
    # The move is the room's most frequent write: one hop to a thread for the transaction, and the answer checked
    # here (a plain ``def`` route would hop twice, the second time to check the answer).
    train, moved = await in_thread(
        request.app, edit_card, actor=caller.actor, card_id=card_id, version=version, move="iteration" in fields,
        iteration=change.iteration, status=change.status, memory=request.app.state.cards,
    )  # fmt: skip
    set_etag(response, moved.version)
    return Card.of(card_id, train, moved.value, moved.version, seq_of(moved.event))
