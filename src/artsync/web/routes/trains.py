"""Trains and what hangs off them: the board, findings, the event log, teams, milestones, objectives, risks."""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date
from typing import Annotated, Any, TypeVar, cast

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from artsync.domain.permissions import Actor
from artsync.formats.plan_schema import PlanDocument
from artsync.services.board import Board as BoardResult
from artsync.services.board import board_now
from artsync.services.events import list_events
from artsync.services.findings import list_findings
from artsync.services.trains import get_plan, list_trains, train_seq
from artsync.views import board as views
from artsync.views.planning import ObjectiveList, RiskList
from artsync.web.deps import CurrentCaller, Db, read

router = APIRouter(prefix="/api/v1", tags=["trains"])
T = TypeVar("T")


@router.get("/trains")
def trains(db: Db, caller: CurrentCaller) -> views.TrainList:
    """The trains you have a role on."""
    return views.TrainList(trains=[views.Train.of(t) for t in list_trains(db, actor=caller.actor)])


@router.get("/trains/{key}")
def train(key: str, db: Db, caller: CurrentCaller) -> views.Train:
    """One train: its name, current PI and the size of its plan."""
    found = [t for t in list_trains(db, actor=caller.actor) if t.key == key]
    if not found:
        get_plan(db, actor=caller.actor, train_key=key)  # raises the right 404 or 403
    return views.Train.of(found[0])


@router.get("/trains/{key}/pi")
def pi(key: str, db: Db, caller: CurrentCaller) -> views.PIDates:
    """The train's current PI: dates, state and iterations (the last is the IP iteration)."""
    return views.PIDates.of(get_plan(db, actor=caller.actor, train_key=key).pi)


BIG_BOARD = 256 * 1024  # bytes of JSON


class BoardCache:
    """The train's board as this worker last brought it up, and its JSON by (train, seq), plain and gzipped, shared
    by every client of this worker: a board is the same for everyone who may read it, and it changes only when the
    train's log grows. The pages read their plan from it too (``current``): in a room, every page open on a
    40-team train would otherwise load the whole plan again at each change."""

    def __init__(self, size: int = 16, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.clock = clock  # when a derivation was made (``derived``'s lag)
        self.made: OrderedDict[tuple[str, int], tuple[bytes, bytes]] = OrderedDict()
        self.lock = threading.Lock()
        self.making: dict[str, asyncio.Lock] = {}  # one board made at a time per train: the others wait for it
        self.bringing: dict[str, threading.Lock] = {}  # one bring-up at a time per train, from any thread
        # What the next board is brought up from, and its view when one was made (None: made at the next request)
        self.latest: dict[str, tuple[BoardResult, views.Board | None]] = {}
        # By train and what: the seq it is as of, itself, and when it was made
        self.derivations: OrderedDict[tuple[str, Hashable], tuple[int, Any, float]] = OrderedDict()

    def get(self, train: str, seq: int) -> tuple[bytes, bytes] | None:
        """The board as of ``seq``, or a newer one (a reader may always be shown more than it asked for)."""
        with self.lock:
            newest = max((s for t, s in self.made if t == train and s >= seq), default=None)
            if newest is None:
                return None
            self.made.move_to_end((train, newest))
            return self.made[(train, newest)]

    def maker(self, train: str) -> asyncio.Lock:
        return self.making.setdefault(train, asyncio.Lock())

    def current(self, db: Session, *, actor: Actor, key: str) -> tuple[BoardResult, views.Board | None]:
        """The train's board now, for ``actor`` (who must be allowed to read it), and its view when there is one:
        brought up from the last one when only what a room changes most changed since (``services/board``), else
        made anew; kept for the next request and the next change. Most requests find it current: one short read of
        the train's seq, and no wait for another request's bring-up."""
        seq = train_seq(db, actor=actor, train_key=key)  # whether ``actor`` may read it, first
        found = self.latest.get(key)
        if found is not None and found[0].seq == seq:
            return found
        with self.bringer(key):
            previous = self.latest.get(key)
            board, changed = board_now(db, actor=actor, train_key=key, since=previous[0] if previous else None)
            view = previous[1] if previous is not None else None
            if view is not None:
                view = view.brought_up(board, changed) if changed is not None else None
            self.latest[key] = (board, view)
            return board, view

    def derived(self, key: str, seq: int, what: Hashable, make: Callable[[], T]) -> T:
        """What ``make`` derives from the train's plan as of ``seq`` alone — the same for everyone who may read the
        train (its findings today, its ranked backlog) —, made once per seq and shared by the pages that show it.
        Only the newest of each is kept (a forecast of a 40-team train holds a few MiB)."""
        return self.lagging(key, seq, what, make, lag=0.0)[0]

    def lagging(self, key: str, seq: int, what: Hashable, make: Callable[[], T], lag: float) -> tuple[T, float]:
        """``derived``, but made at most once every ``lag`` seconds: within that time of the last one made, an
        older seq's is given — what a room editing without pause would otherwise have each worker make several times
        a second. With it, how long until it may be made anew for the newer seq (0: it is as of ``seq``); a page
        shown with it reads itself again then, so it never stays behind once the room is quiet."""
        now = self.clock()
        with self.lock:
            kept = self.derivations.get((key, what))
            if kept is not None and (kept[0] == seq or (kept[0] < seq and now - kept[2] < lag)):
                self.derivations.move_to_end((key, what))
                return cast(T, kept[1]), (0.0 if kept[0] == seq else kept[2] + lag - now)
        made = make()
        with self.lock:
            kept = self.derivations.get((key, what))
            if kept is None or kept[0] <= seq:
                self.derivations[key, what] = (seq, made, now)
                self.derivations.move_to_end((key, what))
            while len(self.derivations) > 4 * self.size:
                self.derivations.popitem(last=False)
        return made, 0.0

    def keep_view(self, key: str, board: BoardResult, view: views.Board) -> None:
        """Keep ``view`` of ``board`` to bring up from, unless the board was brought further meanwhile."""
        with self.bringer(key):
            if key in self.latest and self.latest[key][0] is board:
                self.latest[key] = (board, view)

    def bringer(self, key: str) -> threading.Lock:
        with self.lock:
            return self.bringing.setdefault(key, threading.Lock())

    def put(self, train: str, seq: int, made: tuple[bytes, bytes]) -> tuple[bytes, bytes]:
        with self.lock:
            self.made[(train, seq)] = made
            while len(self.made) > self.size:
                self.made.popitem(last=False)
        return made


def board_view(db: Session, *, cache: BoardCache, actor: Actor, key: str) -> views.Board:
    """The train's board now, as the API shows it; kept to bring the next one up from."""
    board, view = cache.current(db, actor=actor, key=key)
    if view is None:
        view = views.Board.of(board)
        cache.keep_view(key, board, view)
    return view


def make_board(db: Session, *, cache: BoardCache, actor: Actor, key: str) -> tuple[bytes, bytes]:
    """The train's board now as JSON, plain and gzipped; kept for the next request."""
    view = board_view(db, cache=cache, actor=actor, key=key)
    # A big train's board is remade after every change: the fastest level (a third larger) keeps that cheap.
    return cache.put(key, view.seq, packed_json(view))


@router.get("/trains/{key}/board", response_model=views.Board)
async def board(key: str, request: Request, db: Db, caller: CurrentCaller) -> Response:
    """The whole ART planning board in one call, as of event ``seq``."""
    cache: BoardCache = request.app.state.boards
    # Most requests find the board made already: one short read of the train's seq, and the bytes go out.
    seq = await read(db, train_seq, one_statement=True, actor=caller.actor, train_key=key)
    cached = cache.get(key, seq)
    if cached is None:
        # After a change, everyone whose board shows a gap asks at once: one request makes the board, the rest
        # wait for it instead of each making its own (the 40-team train's takes a tenth of a second).
        async with cache.maker(key):
            cached = cache.get(key, seq)
            if cached is None:
                cached = await read(db, make_board, cache=cache, actor=caller.actor, key=key)
    return json_response(request, *cached)  # a views.Board, serialised once per seq


def packed_json(record: BaseModel) -> tuple[bytes, bytes]:
    """``record`` as JSON, plain and gzipped (the fastest level for a big one)."""
    body = record.model_dump_json().encode()
    return body, gzip.compress(body, compresslevel=6 if len(body) < BIG_BOARD else 1)


def json_response(request: Request, plain: bytes, packed: bytes) -> Response:
    """JSON made once per seq, gzipped when the client takes it (compressed once per seq, not once per request)."""
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            packed, media_type="application/json", headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        )
    return Response(plain, media_type="application/json")


@router.get("/trains/{key}/board/dependencies", response_model=views.BoardDependencies)
async def board_dependencies(key: str, request: Request, db: Db, caller: CurrentCaller) -> Response:
    """The board's dependency strings and cycles as of ``seq``, without its cards: what an open board reads after a
    dependency changed (the 40-team train's whole board is 80 KB gzipped, for each person in the room)."""
    cache: BoardCache = request.app.state.boards
    view = await read(db, board_view, cache=cache, actor=caller.actor, key=key)
    plain, packed = cache.derived(key, view.seq, "dependencies", lambda: packed_json(views.BoardDependencies.of(view)))
    return json_response(request, plain, packed)  # serialised and compressed once per seq, as the board is


@router.get("/trains/{key}/board/cards", response_model=views.BoardCards)
async def board_cards(
    key: str,
    request: Request,
    db: Db,
    caller: CurrentCaller,
    ref: Annotated[list[str], Query(max_length=50, description="FEATURE@TEAM, once per card")],
) -> views.BoardCards:
    """The board's cards ``ref`` as of ``seq`` (a ref it does not have is left out): what an open board reads after
    a card was put on it, instead of the whole board."""
    cache: BoardCache = request.app.state.boards
    view = await read(db, board_view, cache=cache, actor=caller.actor, key=key)
    wanted = set(ref)
    return views.BoardCards(cards=[c for c in view.cards if c.ref in wanted], seq=view.seq)


@router.get("/trains/{key}/findings")
def findings(
    key: str, db: Db, caller: CurrentCaller, severity: str | None = Query(None, pattern="^(error|warning)$")
) -> views.FindingList:
    """What the analysis found, errors first, as ``artsync findings --json``."""
    found = list_findings(db, actor=caller.actor, train_key=key, severity=severity)
    return views.FindingList(findings=[views.Finding.of(f) for f in found])


@router.get("/trains/{key}/events")
def events(
    key: str,
    db: Db,
    caller: CurrentCaller,
    after: int = Query(0, ge=0, le=2**31 - 1, description="Only events with a seq above this."),
    limit: int = Query(1000, ge=1, le=10_000),
    item: str | None = Query(None, max_length=200, description="Only events about this card, feature or risk."),
    team: str | None = Query(None, max_length=64, description="Only events about this team's cards."),
) -> views.EventList:
    """The train's event log after ``after``, oldest first."""
    found = list_events(db, actor=caller.actor, train_key=key, after=after, limit=limit, item=item, team=team)
    return views.EventList(events=[views.Event.of(e) for e in found])


@router.get("/trains/{key}/plan")
def plan(key: str, db: Db, caller: CurrentCaller) -> PlanDocument:
    """The whole plan in the artsync-plan/1 format (see docs/plan-format.md)."""
    from artsync.formats.plan_format import dump_plan

    return PlanDocument.model_validate(dump_plan(get_plan(db, actor=caller.actor, train_key=key)))


@router.get("/trains/{key}/teams")
def teams(key: str, db: Db, caller: CurrentCaller) -> views.TeamList:
    """Teams with velocity and capacity per iteration."""
    return views.TeamList(teams=views.team_rows(get_plan(db, actor=caller.actor, train_key=key)))


@router.get("/trains/{key}/features")
def features(key: str, db: Db, caller: CurrentCaller) -> views.Backlog:
    """The ART backlog by WSJF, highest first."""
    return views.Backlog(features=views.backlog(get_plan(db, actor=caller.actor, train_key=key)))


@router.get("/trains/{key}/milestones")
def milestones(key: str, db: Db, caller: CurrentCaller) -> views.MilestoneList:
    """Milestones with the iteration they fall in and the features that must meet them."""
    return views.MilestoneList(milestones=views.milestones(get_plan(db, actor=caller.actor, train_key=key)))


@router.get("/trains/{key}/dependencies")
def dependencies(key: str, db: Db, caller: CurrentCaller) -> views.DependencyList:
    """Dependencies between cards, each with its status on the board."""
    return views.DependencyList(dependencies=views.dependency_lines(get_plan(db, actor=caller.actor, train_key=key)))


@router.get("/trains/{key}/objectives")
def objectives(key: str, db: Db, caller: CurrentCaller) -> ObjectiveList:
    """PI objectives of the teams and the train."""

    return ObjectiveList.of(get_plan(db, actor=caller.actor, train_key=key))


@router.get("/trains/{key}/risks")
def risks(key: str, db: Db, caller: CurrentCaller) -> RiskList:
    """Risks and their ROAM state."""

    return RiskList.of(get_plan(db, actor=caller.actor, train_key=key))


@router.get("/trains/{key}/forecast")
def train_forecast(
    key: str,
    db: Db,
    caller: CurrentCaller,
    trials: Annotated[int, Query(ge=100, le=100_000)] = 10_000,
    seed: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    today: date | None = None,
) -> views.Forecast:
    """When each milestone, objective and feature will finish: a seeded Monte Carlo forecast from throughput."""
    from artsync.services.forecast import get_forecast

    found = get_forecast(db, actor=caller.actor, train_key=key, trials=trials, seed=seed, today=today)
    return views.Forecast.of(found)
