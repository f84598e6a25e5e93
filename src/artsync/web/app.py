"""The web application, built by ``create_app(settings)``: no global state, nothing at import time."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware

from artsync import __version__
from artsync.domain import conflicts, impediments, wsjf
from artsync.domain.event_text import deed
from artsync.domain.plan import FEATURE_KINDS
from artsync.errors import ArtsyncError
from artsync.realtime.hub import Hub
from artsync.realtime.notify import make_relay
from artsync.services.card_memory import CardMemory
from artsync.services.cards import remember_current_cards
from artsync.services.transaction import WAKE
from artsync.settings import Settings
from artsync.store.db import connections_kept, ensure_schema, make_engine, session_factory
from artsync.web import problems
from artsync.web.deps import look_up_all
from artsync.web.identities import Identities, Lookups
from artsync.web.live import LiveChannel, Watch
from artsync.web.live_socket import Room
from artsync.web.openapi import add_api_docs, describe_errors
from artsync.web.routes import (
    art_events,
    calendar,
    cards,
    connections,
    dependencies,
    event_pages,
    features,
    health,
    measures,
    notifications,
    pages,
    pis,
    planning,
    risks,
    scenarios,
    trains,
)
from artsync.web.routes.trains import BoardCache
from artsync.web.security import Protections

HERE = Path(__file__).parent
# Connections of a worker's pool kept from requests with a session (deps.get_db) for the edits and lookups that take
# one and hand it back on the same thread.
SESSIONS_HEADROOM = 2
logger = logging.getLogger("artsync.notify")


async def notify_forever(app: Any, settings: Settings) -> None:
    """The notification worker inside the server: a round every ``notify_interval`` seconds, off the event loop,
    in the one worker of the server that holds the notifier's lock (``services.outbox.NotifierLock``); the others
    ask again each round and load nothing of it meanwhile. ``app.state.notifier`` says whether this worker sends.
    """
    from artsync.services.outbox import NotifierLock

    state = app.state
    lock = NotifierLock(state.engine)
    senders: Any = None

    def one_round() -> None:
        nonlocal senders
        from artsync.services.delivery import NetworkSenders
        from artsync.services.outbox import notification_round

        senders = senders or NetworkSenders(settings)
        with state.sessions() as db:
            notification_round(db, senders=senders, now=datetime.now(UTC), digest_hour=settings.digest_hour)

    try:
        while True:
            try:
                state.notifier = await asyncio.to_thread(lock.held)
                if state.notifier:
                    await asyncio.to_thread(one_round)
            except Exception:  # a round that fails (the database away) is tried again next time
                logger.exception("notification round failed")
            await asyncio.sleep(settings.notify_interval)  # the worker's pace
    finally:
        state.notifier = False
        lock.release()


async def sync_forever(app: Any, settings: Settings) -> None:
    """Every ``sync_every`` seconds, a pull of every connected train and the pushes, off the event loop."""
    from artsync.connectors.sync import sync_round
    from artsync.domain.permissions import Actor
    from artsync.web.deps import wake_boards

    def one_round() -> None:
        with app.state.sessions() as db:
            db.info[WAKE] = functools.partial(wake_boards, app)
            outcome = sync_round(db, actor=Actor.local("artsync"))
        for train, said in outcome.items():
            if said not in ("pulled", "nothing changed"):
                logger.warning("pull of %s failed: %s", train, said)

    while True:
        await asyncio.sleep(settings.sync_every)
        try:
            await asyncio.to_thread(one_round)
        except Exception:  # the database away: tried again next time
            logger.exception("tracker sync round failed")


def vocabulary() -> dict[str, tuple[str | int, ...]]:
    """The domain's vocabularies the pages offer as choices."""
    return {
        "wsjf_scale": wsjf.SCALE,
        "feature_kinds": FEATURE_KINDS,
        "conflict_statuses": conflicts.STATUSES,
        "impediment_levels": impediments.LEVELS,
        "impediment_states": impediments.STATES,
    }


def create_app(settings: Settings) -> FastAPI:
    """The artsync web app for ``settings``: API under /api/v1, pages, static files, the live channel."""
    engine = make_engine(settings.database_url, settings.database_pool)
    sessions = session_factory(engine)
    hub = Hub(sessions, poll_seconds=settings.live_poll_interval)
    memory = CardMemory()  # the cards this process edited or heard edited lately: their next edit need not read them
    hub.observers.append(memory.heard)
    watch = Watch(sessions, settings.live_recheck_interval)
    room = Room()  # the live connections taken over from uvicorn
    # Credentials changed (heard from PostgreSQL or Redis, or committed here): forget who was who, and look at
    # the open live connections at once rather than at the next check.
    identities = Identities(settings.identity_cache_seconds, on_forget=watch.soon)
    lookups = Lookups(identities, functools.partial(look_up_all, sessions))  # a burst's callers read together
    pauses = health.Pauses()
    relay = make_relay(settings.database_url, settings.redis_url, hub, identities.forget)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ensure_schema(engine)
        with sessions() as db:  # before the first request: a room's first move of each card is one statement too
            remember_current_cards(db, memory)
        await hub.start()
        await relay.start()
        await watch.start()
        await room.start()
        # What start-up made lives as long as the worker: keep it out of every collection from now on, so
        # a full collection walks only what requests allocate (no pause that grows with the code loaded).
        gc.collect()
        gc.freeze()
        pauses.start()
        notifier = asyncio.create_task(notify_forever(app, settings)) if settings.notify_in_server else None
        syncer = asyncio.create_task(sync_forever(app, settings)) if settings.sync_every > 0 else None
        try:
            yield
        finally:
            for task in (notifier, syncer):
                if task is not None:
                    task.cancel()
            app.state.tracker_work.shutdown(wait=True, cancel_futures=True)
            app.state.solve_work.shutdown(wait=False, cancel_futures=True)
            pauses.stop()
            await room.stop()
            await watch.stop()
            await relay.stop()
            await hub.stop()
            engine.dispose()

    app = FastAPI(
        title="artsync",
        version=__version__,
        description="The Release Train Engineer's system: one live plan for an Agile Release Train.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by add_api_docs: Swagger UI shipped as static files, no inline script
        redoc_url=None,
        lifespan=lifespan,
        # Operation ids are the handlers' names (read_card, patch_card): what a generated client calls.
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.sessions_at_once = asyncio.Semaphore(max(1, connections_kept(engine) - SESSIONS_HEADROOM))  # deps.get_db
    app.state.hub = hub
    app.state.relay = relay
    app.state.watch = watch
    app.state.room = room
    app.state.identities = identities
    app.state.lookups = lookups
    app.state.pauses = pauses
    app.state.notifier = False  # whether this worker sends the server's notifications (serve --notify)
    app.state.boards = BoardCache()
    app.state.cards = memory
    app.state.tracker_work = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tracker")  # webhooks' pulls
    app.state.tracker_pulls = deque(maxlen=20)  # the latest of them (a test waits for one)
    app.state.solve_work = ThreadPoolExecutor(max_workers=1, thread_name_prefix="solver")  # one solve at a time
    app.state.solves = deque(maxlen=20)  # the latest solves (a test waits for one)
    templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html
    templates.env.globals["vocab"] = vocabulary()  # the pages' choices come from the domain, never a copy
    templates.env.globals["deed"] = deed  # an event as a person says it
    app.state.templates = templates

    app.add_exception_handler(ArtsyncError, problems.artsync_error)
    app.add_exception_handler(RequestValidationError, problems.validation_error)
    app.add_exception_handler(HTTPException, problems.http_error)
    # The database away (restarting, unreachable) on a path no service wrapped: 503 and Retry-After, not 500.
    for away in problems.DATABASE_AWAY:
        app.add_exception_handler(away, problems.busy_error)
    app.add_exception_handler(Exception, problems.unexpected_error)
    app.add_middleware(GZipMiddleware, minimum_size=1024)  # JSON and pages; the board shrinks about tenfold
    app.add_middleware(Protections)
    app.add_middleware(LiveChannel)  # outermost: a live connection holds no more layers than it needs

    # Routes are matched in order, one by one: the ones a room of people hits most come first.
    for module in (
        cards,
        trains,
        pis,
        planning,
        art_events,
        calendar,
        notifications,
        measures,
        features,
        dependencies,
        risks,
        connections,
        scenarios,
        health,
    ):
        app.include_router(module.router)
    app.include_router(pages.router)
    app.include_router(event_pages.router)
    add_api_docs(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    describe_errors(app)
    return app
