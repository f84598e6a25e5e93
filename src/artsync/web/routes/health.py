"""Is the server up, and how is this worker doing: for a load balancer, and for whoever runs the train's server.

``GET /api/v1/health`` answers without credentials (a load balancer has none). ``GET
/api/v1/health/worker`` tells a signed-in caller about the worker process that answered:
its memory, its open live connections, and the pauses of Python's garbage collector —
the one thing that stops every board of a worker at once.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from artsync import __version__
from artsync.web.deps import CurrentCaller

router = APIRouter(prefix="/api/v1", tags=["health"])
LONG_PAUSE_MS = 20.0  # a pause this long shows on every live board of the worker


class Pauses:
    """The garbage collector's pauses in this process, measured by ``gc.callbacks``."""

    def __init__(self) -> None:
        self.count = 0
        self.long = 0  # pauses over LONG_PAUSE_MS
        self.longest_ms = 0.0
        self.total_ms = 0.0
        self.began = 0.0
        self.recent: deque[tuple[float, float]] = deque(maxlen=50)  # (ended, ms) of the last long pauses
        self.lock = threading.Lock()

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.began = time.perf_counter()
            return
        took = (time.perf_counter() - self.began) * 1000
        with self.lock:
            self.count += 1
            self.total_ms += took
            self.longest_ms = max(self.longest_ms, took)
            if took > LONG_PAUSE_MS:
                self.long += 1
                self.recent.append((time.monotonic(), round(took, 2)))

    def start(self) -> None:
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def stop(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)


class Health(BaseModel):
    status: str = Field(description='"ok" when the server answers')
    version: str


class LongPause(BaseModel):
    ended: float = Field(description="when, on the machine's monotonic clock (CLOCK_MONOTONIC, seconds)")
    ms: float


class GcPauses(BaseModel):
    count: int = Field(description="collections since the worker started")
    over_20_ms: int = Field(description="collections that paused the worker for more than 20 ms")
    longest_ms: float
    total_ms: float
    recent: list[LongPause] = Field(description="the last 50 pauses over 20 ms")


class Worker(BaseModel):
    pid: int
    rss_bytes: int = Field(description="resident memory of the worker process")
    live_connections: int = Field(description="open live-board WebSockets on this worker")
    notifier: bool = Field(description="whether this worker routes and sends the notifications (serve --notify)")
    gc_pauses: GcPauses


def resident_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@router.get("/health")
async def health() -> Health:
    """The server is up (no credentials needed)."""
    return Health(status="ok", version=__version__)


@router.get("/health/worker")
async def worker(request: Request, caller: CurrentCaller) -> Worker:
    """The worker process that answered: memory, live connections, whether it sends notifications, garbage-collector
    pauses."""
    pauses: Pauses = request.app.state.pauses
    subscribers = request.app.state.hub.subscribers.values()
    return Worker(
        pid=os.getpid(),
        rss_bytes=resident_bytes(),
        live_connections=sum(len(s) for s in subscribers),
        notifier=request.app.state.notifier,
        gc_pauses=GcPauses(
            count=pauses.count, over_20_ms=pauses.long, longest_ms=round(pauses.longest_ms, 2),
            total_ms=round(pauses.total_ms, 1), recent=[LongPause(ended=e, ms=ms) for e, ms in list(pauses.recent)],
        ),
    )  # fmt: skip
