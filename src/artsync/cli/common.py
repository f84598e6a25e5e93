"""What every ``artsync`` command shares: the database session, the options, the one-red-line errors."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from artsync.domain.permissions import Actor
from artsync.errors import ArtsyncError

if TYPE_CHECKING:  # loaded by the commands that open the database, not at start-up
    from sqlalchemy.orm import Session

    from artsync.settings import Settings

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL; overrides ARTSYNC_DATABASE_URL.", show_default=False),
]
TrainOption = Annotated[
    str | None,
    typer.Option("--train", "-t", help="Train key; optional when there is only one.", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
CardArg = Annotated[str, typer.Argument(help="The card, written FEATURE@TEAM (e.g. PAY-112@Phoenix).")]
ConsumerArg = Annotated[str, typer.Argument(help="The card that needs the other, FEATURE@TEAM.")]
ProviderArg = Annotated[str, typer.Argument(help="The card it needs, FEATURE@TEAM.")]
IfVersionOption = Annotated[
    int | None,
    typer.Option(
        "--if-version", help="Refuse the change if the item is no longer at this version.", show_default=False
    ),
]

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(code)


def handled(fn: F) -> F:
    """Turn an ArtsyncError into one red line and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ArtsyncError as exc:
            raise fail(exc.message) from None
        except Exception as exc:
            from pydantic import ValidationError

            if not isinstance(exc, ValidationError):
                raise
            raise fail(f"bad setting: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None

    return wrapper  # type: ignore[return-value]


def settings_for(db: str | None) -> Settings:
    from artsync.settings import Settings

    return Settings(database_url=db) if db else Settings()


@contextmanager
def session(db: str | None, *, migrate: bool = False) -> Iterator[tuple[Session, Actor]]:
    """A session on the configured database, and the local operator as actor.

    ``migrate`` brings the schema up to date first.
    """
    from sqlalchemy.orm import Session

    from artsync.store.db import ensure_schema, make_engine, reachable
    from artsync.store.db import migrate as run_migrations

    settings = settings_for(db)
    engine = make_engine(settings.database_url)
    try:
        if migrate:
            run_migrations(engine)
        else:
            ensure_schema(engine)
        with reachable(engine), Session(engine, expire_on_commit=False) as db_session:
            if settings.redis_url:
                # Servers that relay by Redis hear of the change at once (PostgreSQL's NOTIFY rides in the
                # transaction itself); without either, they find it at their next poll.
                from artsync.realtime.notify import REDIS_CREDENTIALS, publish, publish_woken
                from artsync.services.transaction import FORGET, WAKE

                db_session.info[WAKE] = functools.partial(publish_woken, settings.redis_url)
                db_session.info[FORGET] = functools.partial(publish, settings.redis_url, [REDIS_CREDENTIALS])
            yield db_session, Actor.local(settings.actor)
    finally:
        engine.dispose()
