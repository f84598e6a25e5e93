"""Waking the hubs of other processes: PostgreSQL LISTEN/NOTIFY, or Redis pub/sub when configured.

With PostgreSQL, every service that appends an event also sends NOTIFY in the
same transaction, so listeners hear of it exactly when it commits. With Redis,
the web process publishes after the commit. Either way the message is only
the train key: the hub reads the events themselves from the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from sqlalchemy.engine import make_url

from artsync.realtime.hub import Hub
from artsync.services.transaction import CREDENTIALS_CHANGED, NOTIFY_CHANNEL

log = logging.getLogger("artsync.realtime")
REDIS_CHANNEL = "artsync:events"
REDIS_CREDENTIALS = "*credentials"  # not a train key (those are letters and digits): credentials changed


class Relay(Protocol):
    """Carries "train X has new events" between processes."""

    echoes: bool  # True when this process hears its own announcements (then it need not wake itself)

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def announce(self, train: str) -> None: ...

    def forget(self) -> None: ...


class LocalRelay:
    """One process (SQLite): nothing to carry."""

    echoes = False

    def forget(self) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def announce(self, train: str) -> None:
        return None


class ListeningRelay:
    """A relay with a background task that listens for other processes' announcements."""

    def __init__(self, hub: Hub, forget: Callable[[], None]) -> None:
        self.hub = hub
        self.forgotten = forget  # what this process does when it hears that credentials changed
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.listen())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    echoes = False

    async def listen(self) -> None:
        raise NotImplementedError


class PostgresRelay(ListeningRelay):
    """LISTEN on the notify channel; NOTIFY is sent by the services inside each transaction."""

    def __init__(self, database_url: str, hub: Hub, forget: Callable[[], None]) -> None:
        super().__init__(hub, forget)
        url = make_url(database_url).set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)

    echoes = True  # our own NOTIFY comes back to this process's listener too

    def announce(self, train: str) -> None:
        return None  # the transaction's own NOTIFY does it

    def forget(self) -> None:
        return None  # likewise: services.transaction.credentials_changed sent NOTIFY in the transaction

    async def listen(self) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as connection:
                    await connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    # Anything committed while we were not listening is caught up by waking every train.
                    for train in list(self.hub.subscribers):
                        self.hub.wake(train)
                    async for notice in connection.notifies():
                        if notice.payload == CREDENTIALS_CHANGED:
                            self.forgotten()
                        else:
                            self.hub.hear(notice.payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("lost the PostgreSQL listener; reconnecting")
                await asyncio.sleep(1)


class RedisRelay(ListeningRelay):
    """Publish after commit, subscribe to hear the other processes."""

    echoes = False  # this process is woken directly, not by its own publication

    def __init__(self, redis_url: str, hub: Hub, forget: Callable[[], None]) -> None:
        import redis  # only a server that relays by Redis loads it
        import redis.asyncio

        super().__init__(hub, forget)
        self.publisher = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        self.subscriber = redis.asyncio.Redis.from_url(redis_url)

    async def stop(self) -> None:
        await super().stop()
        await self.subscriber.aclose()
        self.publisher.close()

    def announce(self, train: str) -> None:
        # The change is committed already: Redis away must not fail it. The other processes' hubs read
        # the log at their next poll (and every train's log when their subscriber reconnects).
        import redis

        try:
            self.publisher.publish(REDIS_CHANNEL, train)
        except redis.RedisError:
            log.warning("could not publish to Redis; the other processes catch up from the log", exc_info=True)

    def forget(self) -> None:
        self.announce(REDIS_CREDENTIALS)

    async def listen(self) -> None:
        while True:
            try:
                async with self.subscriber.pubsub() as pubsub:
                    await pubsub.subscribe(REDIS_CHANNEL)
                    for train in list(self.hub.subscribers):
                        self.hub.wake(train)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            data = message["data"]
                            said = data.decode() if isinstance(data, bytes) else str(data)
                            if said == REDIS_CREDENTIALS:
                                self.forgotten()
                            else:
                                self.hub.wake(said)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("lost the Redis subscriber; reconnecting")
                await asyncio.sleep(1)


def publish(redis_url: str, trains: list[str]) -> None:
    """Tell every server listening on Redis that these trains' logs grew (a change made outside them, by the CLI);
    ``[REDIS_CREDENTIALS]`` tells them that credentials changed."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
    try:
        for train in trains:
            client.publish(REDIS_CHANNEL, train)
    finally:
        client.close()


def publish_woken(redis_url: str, trains: list[str], appended: object = None) -> None:
    """``publish`` as a session's wake after a commit (``services/transaction.WAKE``): the servers read the
    events from the log, so those appended here are not sent."""
    publish(redis_url, trains)


def make_relay(database_url: str, redis_url: str | None, hub: Hub, forget: Callable[[], None]) -> Relay:
    """Redis when configured, else PostgreSQL LISTEN/NOTIFY, else (SQLite) nothing; ``forget`` is called when
    another process says credentials changed."""
    if redis_url:
        return RedisRelay(redis_url, hub, forget)
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresRelay(database_url, hub, forget)
    return LocalRelay()
