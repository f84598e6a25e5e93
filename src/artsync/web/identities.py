"""Who holds which credential, remembered by one server process for a moment.

Every API request names its caller by a token or a session cookie; looking the holder up
(the token or session row, the user, every role) is a read of the database on each request.
A process keeps what it found for ``seconds`` (``ARTSYNC_IDENTITY_CACHE_SECONDS``, 1 by
default; 0 turns it off) and forgets all of it the moment a credential ends or a role
changes anywhere: the service that makes such a change says so
(``services.transaction.credentials_changed``), and the word reaches this process after the
commit — by PostgreSQL's NOTIFY, by Redis, or directly when the change was made here.
A change nobody announces (the command line on SQLite without Redis) takes effect when the
remembered identity lapses, within ``seconds``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from artsync.domain.permissions import Actor
from artsync.services.auth import Credential

SIZE = 10_000  # credentials remembered at most; the oldest go first


@dataclass(frozen=True)
class Caller:
    """Who is asking, and how: ``csrf`` is set for browser sessions."""

    actor: Actor
    csrf: str | None = None
    credential: Credential | None = None  # what the caller signed in with, so the live channel can watch it


class Identities:
    """This process's short memory of who holds which credential."""

    def __init__(self, seconds: float, size: int = SIZE, on_forget: Callable[[], None] | None = None) -> None:
        self.seconds = seconds
        self.size = size
        self.on_forget = on_forget  # told after each forget(), from whichever thread forgot
        self.known: OrderedDict[Credential, tuple[float, Caller]] = OrderedDict()
        self.generation = 0  # bumped by forget(), so a lookup that began before it is not remembered
        self.lock = threading.Lock()  # forget() comes from the threads that commit, too

    def get(self, credential: Credential) -> Caller | None:
        """The caller holding ``credential``, if this process looked them up less than ``seconds`` ago."""
        found = self.known.get(credential)
        if found is None:
            return None
        until, caller = found
        if time.monotonic() >= until:
            self.known.pop(credential, None)
            return None
        return caller

    def remember(self, caller: Caller, generation: int) -> None:
        """Keep ``caller`` for ``seconds``, unless everything was forgotten since the lookup began."""
        if self.seconds <= 0 or caller.credential is None:
            return
        with self.lock:
            if generation != self.generation:
                return
            self.known[caller.credential] = (time.monotonic() + self.seconds, caller)
            self.known.move_to_end(caller.credential)
            while len(self.known) > self.size:
                self.known.popitem(last=False)

    def forget(self) -> None:
        """A credential ended or a role changed somewhere: trust nothing remembered."""
        with self.lock:
            self.generation += 1
            self.known.clear()
        if self.on_forget is not None:
            self.on_forget()
