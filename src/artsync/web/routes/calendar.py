"""The train's calendar as an iCalendar feed, and the revocable tokens calendar clients subscribe with."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from artsync.services.calendar_feed import create_feed_token, feed_calendar, get_calendar, revoke_feed_token
from artsync.views.notifications import Feed, FeedRevoked
from artsync.web.deps import CurrentCaller, Db, identify

router = APIRouter(prefix="/api/v1", tags=["calendar"])


@router.get(
    "/trains/{key}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "The iCalendar feed"}},
)
def calendar_feed(
    key: str,
    request: Request,
    db: Db,
    token: Annotated[str | None, Query(max_length=200, description="A calendar feed token")] = None,
) -> Response:
    """The train's event calendar: iterations, PI planning, ART syncs, system demos, I&A (all-day events).

    A calendar client sends ``?token=`` (a feed token); a signed-in person or program needs none.
    """
    if token is not None:
        name, entries = feed_calendar(db, token=token, train_key=key)
    else:
        name, entries = get_calendar(db, actor=identify(db, request).actor, train_key=key)
    from artsync.formats.icalendar_feed import calendar_ics  # the iCalendar library, loaded when first asked for

    return Response(
        calendar_ics(name, entries),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{key}.ics"', "Cache-Control": "private, max-age=300"},
    )


@router.post("/trains/{key}/calendar/feeds", status_code=201)
def new_feed(key: str, request: Request, db: Db, caller: CurrentCaller) -> Feed:
    """A feed token for your calendar client; the token is shown once, revoke it by its prefix."""
    made = create_feed_token(db, actor=caller.actor, train_key=key)
    return Feed(token=made.token, prefix=made.prefix, url=str(request.base_url).rstrip("/") + made.path)


@router.delete("/calendar/feeds/{prefix}")
def drop_feed(prefix: str, db: Db, caller: CurrentCaller) -> FeedRevoked:
    """Revoke a calendar feed: the client stops getting updates."""
    return FeedRevoked(revoked=prefix, user=revoke_feed_token(db, actor=caller.actor, prefix=prefix))
