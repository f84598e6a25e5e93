"""The train's tracker from the terminal: `artsync connect FILE.toml`, `artsync sync pull|push|tracker`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from artsync.cli.common import DbOption, TrainOption, console, session
from artsync.domain.tracker import Changes
from artsync.errors import InvalidInputError


def connect_command(
    file: Annotated[Path, typer.Argument(help="A connection file (TOML): the tracker, the train, each team's board.")],
    db: DbOption = None,
) -> None:
    """Connect a train to the tracker its teams work in (Jira, Azure DevOps); the token stays in the environment."""
    from artsync.formats.connection import parse_connection
    from artsync.services.connections import connect

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from None
    settings = parse_connection(text, str(file))
    with session(db, migrate=True) as (db_session, actor):
        connection = connect(db_session, actor=actor, settings=settings)
    tracker = settings.tracker
    console.print(
        f"Connected train [bold]{escape(connection.train)}[/] to {tracker.kind} project "
        f"[bold]{escape(tracker.project)}[/] at {escape(tracker.base_url)} ({len(settings.team)} teams). "
        f"The token is read from ${escape(tracker.token_env)} at each pull. Next: `artsync sync pull --dry-run`."
    )


def pull_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change; change nothing.")] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Read every item, not only those changed since the last pull.")
    ] = False,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Bring what changed in the tracker since the last pull to the board (all of it, or nothing on an error)."""
    from artsync.connectors.sync import pull
    from artsync.services.connections import get_connection

    with session(db) as (db_session, actor):
        key = train or get_connection(db_session, actor=actor, train_key=None).train
        pulled = pull(db_session, actor=actor, train_key=key, dry_run=dry_run, full=full)
    report(pulled.changes, dry_run)


def report(changes: Changes, dry_run: bool) -> None:
    """What a pull (or an import) changed on the board, a line each, then the conflicts and what was not placed."""
    lines = [
        *(f"+ feature {f.key} {f.title}" for f in changes.features_added),
        *(f"~ feature {f.key} {f.title}" for f in changes.features_edited),
        *(f"+ card {c.ref} ({c.points} points, {where(c.iteration)}, {c.status})" for c in changes.cards_added),
        *(f"→ {ref} moved from {where(a)} to {where(b)}" for ref, a, b in changes.cards_moved),
        *(f"~ {ref} {a} → {b}" for ref, a, b in changes.cards_marked),
        *(f"~ {ref} estimated {a} → {b} points" for ref, a, b in changes.cards_estimated),
        *(f"- card {ref}" for ref in changes.cards_removed),
        *(f"+ dependency {c} needs {p}" for c, p in changes.dependencies_added),
        *(f"- dependency {c} needs {p}" for c, p in changes.dependencies_removed),
        *(
            f"◆ milestone {m.key} {m.name} (I{m.iteration}, {m.date}): needs {', '.join(m.features) or 'nothing yet'}"
            for m in changes.milestones
        ),
    ]
    for line in lines:
        console.print(escape(line), soft_wrap=True)
    for c in changes.conflicts:
        console.print(
            f"[yellow]conflict[/] {escape(c.item)} {c.field}: artsync {escape(c.artsync)}, tracker "
            f"{escape(c.tracker)} — {c.winner} wins",
            soft_wrap=True,
        )
    for problem in changes.problems:
        console.print(f"[yellow]not placed:[/] {escape(problem)}", soft_wrap=True)
    if changes.empty:
        verb = "would change" if dry_run else "changed"
        console.print(f"Nothing {verb}: the board has what the tracker says.")
    elif dry_run:
        console.print(f"{plural(len(lines), 'change')} would be made — nothing was written (dry run).")
    else:
        console.print(f"{plural(len(lines), 'change')} made, each in the train's log.")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def push_command(db: DbOption = None) -> None:
    """Send what was changed on connected boards — moves, statuses, dependencies — to the trackers, in order;
    what a tracker does not take now waits in the outbox and goes later."""
    from artsync.connectors.sync import push

    with session(db) as (db_session, _):
        delivered = push(db_session)
    console.print(
        f"{plural(delivered.sent, 'change')} sent to the tracker; {delivered.retrying} waiting to be sent again"
        + (f"; {delivered.failed} given up on (see `artsync outbox list`)" if delivered.failed else "")
        + "."
    )


def import_command(
    file: Annotated[Path, typer.Argument(help="Jira's CSV export, or an Azure DevOps query's CSV.")],
    iteration: Annotated[
        list[str] | None,
        typer.Option("--iteration", help="SPRINT=N: the PI iteration a sprint (or iteration path) is. Repeat it."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change; change nothing.")] = False,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Bring a tracker's CSV export to the board, mapped as a pull would (no admin rights needed to export one)."""
    from artsync.connectors.sync import import_csv
    from artsync.formats.tracker_csv import parse_iteration_map

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from None
    iterations = parse_iteration_map(iteration or [])
    with session(db) as (db_session, actor):
        pulled = import_csv(db_session, actor=actor, train_key=train, text=text, iterations=iterations,
                            dry_run=dry_run)  # fmt: skip
    report(pulled.changes, dry_run)


def tracker_command(train: TrainOption = None, db: DbOption = None) -> None:
    """The train's connection to its tracker: where, the last pull, its error, the pushes waiting, the conflict log."""
    from artsync.services.connections import conflicts_of, get_connection, last_push_at, pending_pushes

    with session(db) as (db_session, actor):
        connection = get_connection(db_session, actor=actor, train_key=train)
        conflicts = conflicts_of(db_session, actor=actor, train_key=connection.train)
        waiting = pending_pushes(db_session, actor=actor, train_key=connection.train)
        pushed = last_push_at(db_session, actor=actor, train_key=connection.train)
    tracker = connection.settings.tracker
    teams = ", ".join(t.name for t in connection.settings.team)
    console.print(f"[bold]{escape(connection.train)}[/] ← {tracker.kind} project {escape(tracker.project)} at "
                  f"{escape(tracker.base_url)}, teams: {escape(teams)}")  # fmt: skip
    last = connection.last_pull_at.strftime("%Y-%m-%d %H:%M UTC") if connection.last_pull_at else "never"
    sent = pushed.strftime("%Y-%m-%d %H:%M UTC") if pushed else "none yet"
    console.print(f"last pull: {last}; last change pushed: {sent}; {connection.items} items mirrored; "
                  f"changes since: {connection.cursor or '—'}")  # fmt: skip
    if connection.last_error:
        console.print(f"[red]last error:[/] {escape(connection.last_error)}", soft_wrap=True)
    for message in waiting:
        why = f": {escape(message.last_error)}" if message.last_error else ""
        console.print(f"[yellow]to push[/] {escape(message.subject)} ({message.state}, {message.attempts} tries{why})",
                      soft_wrap=True)  # fmt: skip
    for at, c in conflicts[:20]:
        console.print(f"{at:%Y-%m-%d %H:%M} {escape(c.item)} {c.field}: artsync {escape(c.artsync)}, "
                      f"tracker {escape(c.tracker)} — {c.winner} won", soft_wrap=True)  # fmt: skip


def where(iteration: int | None) -> str:
    return "unplanned" if iteration is None else f"I{iteration}"
