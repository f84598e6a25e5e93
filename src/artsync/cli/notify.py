"""Keeping people informed from the terminal: subscriptions, webhooks, the outbox, and the worker that sends."""

import time
from datetime import UTC, date, datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from artsync.cli.common import DbOption, JsonOption, TrainOption, console, handled, session, settings_for
from artsync.cli.planning import parse_date

notify_app = typer.Typer(
    help="Send what people subscribed to: route events, write digests, deliver.", no_args_is_help=True
)
webhook_app = typer.Typer(help="Webhooks: Slack-compatible, Microsoft Teams, or signed JSON.", no_args_is_help=True)
outbox_app = typer.Typer(help="The outbox: messages waiting, sent, and failed.", no_args_is_help=True)


def subscribe_command(
    email: Annotated[str, typer.Argument(help="Where your messages go.")],
    team: Annotated[list[str] | None, typer.Option("--team", help="A team you follow (repeat).")] = None,
    mine: Annotated[bool, typer.Option("--mine/--not-mine", help="Items you own or your team depends on.")] = True,
    severity: Annotated[
        str | None, typer.Option(help="New findings of this severity or worse: error or warning.", show_default=False)
    ] = None,
    decisions: Annotated[bool, typer.Option("--decisions", help="Every decision taken.")] = False,
    digest: Annotated[bool, typer.Option("--digest/--no-digest", help="The daily digest.")] = True,
    user: Annotated[
        str | None, typer.Option(help="Subscribe someone else (the operator only).", show_default=False)
    ] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Choose what you hear about on a train, and where; again to change it."""
    from artsync.services.notifications import subscribe

    with session(db) as (db_session, actor):
        made = subscribe(db_session, actor=actor, train_key=train, email=email, teams=team or [], mine=mine,
                         severity=severity, decisions=decisions, digest=digest, person=user)  # fmt: skip
    follows = [
        f"teams {', '.join(made.teams)}" if made.teams else "",
        "items they own or depend on" if made.mine else "",
        f"{made.severity} findings" if made.severity else "",
        "decisions" if made.decisions else "",
        "the daily digest" if made.digest else "",
    ]
    console.print(
        f"{escape(made.person)} hears about {', '.join(f for f in follows if f) or 'nothing'} at {made.email}."
    )


@notify_app.command("run")
@handled
def notify_run(
    once: Annotated[bool, typer.Option("--once", help="One round, then stop.")] = False,
    db: DbOption = None,
) -> None:
    """The worker: route new events into the outbox, write the day's digests after the digest hour, send."""
    from artsync.services.delivery import NetworkSenders
    from artsync.services.outbox import notification_round

    settings = settings_for(db)
    senders = NetworkSenders(settings)
    if not settings.smtp_host:
        console.print("No mail server is set (ARTSYNC_SMTP_HOST): mail waits in the outbox.", style="yellow")
    while True:
        with session(db) as (db_session, _):
            now = datetime.now(UTC)
            done = notification_round(db_session, senders=senders, now=now, digest_hour=settings.digest_hour)
        if done.busy:
            console.print(f"{now:%H:%M:%S} {done.summary()}")
        if once:
            return
        time.sleep(settings.notify_interval)  # the worker's pace between rounds


@notify_app.command("digest")
@handled
def notify_digest(
    day: Annotated[str | None, typer.Option(help="The day (YYYY-MM-DD); by default today.", show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Write each subscriber's digest of the day before (once per person and day); `notify run` sends them."""
    from artsync.services.notifications import queue_digests

    with session(db) as (db_session, _):
        written = queue_digests(db_session, day=parse_date(day, "--day") if day else date.today())
    console.print(f"{written} digests written to the outbox.")


@webhook_app.command("add")
@handled
def webhook_add(
    kind: Annotated[str, typer.Argument(help="slack, teams or generic.")],
    url: Annotated[str, typer.Argument(help="Where to post.")],
    secret: Annotated[str | None, typer.Option(help="Signs generic JSON (HMAC-SHA256).", show_default=False)] = None,
    topic: Annotated[
        list[str] | None, typer.Option("--topic", help="Only these kinds: card, dependency, risk, … (repeat).")
    ] = None,
    severity: Annotated[
        str | None, typer.Option(help="Also new findings of this severity or worse.", show_default=False)
    ] = None,
    train: TrainOption = None,
    db: DbOption = None,
) -> None:
    """Tell a chat channel or a program about the train's changes."""
    from artsync.services.delivery import outbound_policy, resolve_if_known
    from artsync.services.notifications import add_webhook

    policy = outbound_policy(settings_for(db))
    with session(db) as (db_session, actor):
        hook = add_webhook(db_session, actor=actor, train_key=train, kind=kind, url=url, secret=secret,
                           topics=topic or [], severity=severity, policy=policy, resolve=resolve_if_known)  # fmt: skip
    console.print(f"Webhook {hook.id} ({hook.kind}) posts to {escape(hook.url)}.")


@webhook_app.command("list")
@handled
def webhook_list(train: TrainOption = None, db: DbOption = None) -> None:
    """The train's webhooks."""
    from artsync.services.notifications import list_webhooks

    with session(db) as (db_session, actor):
        hooks = list_webhooks(db_session, actor=actor, train_key=train)
    table = Table(title="Webhooks", title_justify="left")
    for name in ("Id", "Kind", "URL", "Signed", "Topics", "Findings"):
        table.add_column(name)
    for h in hooks:
        table.add_row(str(h.id), h.kind, escape(h.url), "yes" if h.signed else "no", ", ".join(h.topics) or "all",
                      h.severity or "—")  # fmt: skip
    console.print(table)


@webhook_app.command("remove")
@handled
def webhook_remove(webhook: Annotated[int, typer.Argument(help="The webhook's id.")], train: TrainOption = None,
                   db: DbOption = None) -> None:  # fmt: skip
    """Stop posting to a webhook."""
    from artsync.services.notifications import remove_webhook

    with session(db) as (db_session, actor):
        remove_webhook(db_session, actor=actor, train_key=train, webhook_id=webhook)
    console.print(f"Webhook {webhook} removed.")


@outbox_app.command("list")
@handled
def outbox_list(
    state: Annotated[str | None, typer.Option(help="pending, sent or failed.", show_default=False)] = None,
    train: TrainOption = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Messages waiting, sent and failed, newest first, with the last error."""
    from artsync.cli.output import print_json
    from artsync.services.outbox import list_outbox
    from artsync.views.notifications import Message, Outbox

    with session(db) as (db_session, actor):
        messages, counts = list_outbox(db_session, actor=actor, train_key=train, state=state)
    if json:
        print_json(console, Outbox(counts=counts, messages=[Message.of(m) for m in messages]))
        return
    table = Table(title=f"Outbox · {counts['pending']} pending, {counts['sent']} sent, {counts['failed']} failed",
                  title_justify="left")  # fmt: skip
    for name in ("Id", "To", "Subject", "State", "Tries", "Last error"):
        table.add_column(name)
    for m in messages:
        style = {"failed": "bold red", "pending": "yellow"}.get(m.state, "")
        table.add_row(str(m.id), escape(m.recipient if m.channel == "email" else f"webhook {m.recipient}"),
                      escape(m.subject), f"[{style}]{m.state}[/]" if style else m.state, str(m.attempts),
                      escape(m.last_error or ""))  # fmt: skip
    console.print(table)


@outbox_app.command("retry")
@handled
def outbox_retry(message: Annotated[int, typer.Argument(help="The message's id.")], train: TrainOption = None,
                 db: DbOption = None) -> None:  # fmt: skip
    """Send a failed message again."""
    from artsync.services.outbox import retry_message

    with session(db) as (db_session, actor):
        retry_message(db_session, actor=actor, train_key=train, message=message)
    console.print(f"Message {message} will be sent again on the next round of `artsync notify run`.")
