"""Notifications end to end: routing to subscribers, mail through a real SMTP server that restarts, webhooks
that fail and are retried, signatures, and the daily digest."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from aiosmtpd.controller import Controller

from artsync.domain.notifications import SIGNATURE_HEADER, verify
from artsync.domain.permissions import Actor, Grant, Role
from artsync.formats.plan_format import parse_plan
from artsync.services.cards import add_card, move_card
from artsync.services.delivery import NetworkSenders, outbound_policy
from artsync.services.meetings import add_action, add_decision
from artsync.services.notifications import add_webhook, queue_digests, route, subscribe
from artsync.services.outbox import deliver, list_outbox
from artsync.services.people import add_user
from artsync.services.plans import import_plan
from artsync.settings import Settings
from tests.personas import ADMIN
from tests.services.test_art_sync import planned_pi

RITA = Actor("rita", (Grant("ART", Role.RTE),))
# The tests' own receiver listens on loopback over http: the operator's settings must allow it.
LOCAL = Settings(webhook_allow_http=True, webhook_allowed_hosts=["127.0.0.1"])
LOCAL_POLICY = outbound_policy(LOCAL)
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def received(self) -> list[tuple[str, str]]:
        return sorted((m["To"], m["Subject"]) for m in self.messages)


class MailServer:
    """A local SMTP server on a fixed port that can be stopped and started again."""

    def __init__(self) -> None:
        self.port, self.inbox, self.controller = free_port(), Inbox(), None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def train(db) -> str:
    import_plan(db, actor=ADMIN, plan=parse_plan(planned_pi()))
    add_user(db, actor=ADMIN, name="rita", train_key="ART", role="rte")
    add_user(db, actor=ADMIN, name="mia", train_key="ART", role="member", team_key="Atlas")
    add_user(db, actor=ADMIN, name="olga", train_key="ART", role="product_owner", team_key="Orion")
    return "ART"


def test_each_subscriber_gets_each_mail_once_across_a_mail_server_restart(db, train, mail) -> None:
    subscribe(db, actor=ADMIN, train_key=train, person="mia", email="mia@example.org", teams=["Atlas"], digest=False)
    subscribe(db, actor=ADMIN, train_key=train, person="olga", email="olga@example.org", severity="error", digest=False)
    subscribe(db, actor=ADMIN, train_key=train, person="rita", email="rita@example.org", mine=False, decisions=True,
              digest=False)  # fmt: skip
    senders = NetworkSenders(Settings(smtp_host="127.0.0.1", smtp_port=mail.port))
    route(db, now=T0)  # the import itself concerns nobody's team
    assert list_outbox(db, actor=ADMIN, train_key=train)[1]["pending"] == 0

    move_card(db, actor=RITA, train_key=train, ref="F1@Atlas", to_iteration=2)  # mia's team
    add_card(db, actor=RITA, train_key=train, feature="F1", team="Orion", points=30, iteration=1)  # an overload
    route(db, now=T0)
    route(db, now=T0)  # routing again writes nothing twice
    assert deliver(db, senders=senders, now=T0).sent == 2
    assert mail.inbox.received() == [
        ("mia@example.org", "[ART] rita moved F1@Atlas from I1 to I2"),
        ("olga@example.org", "[ART] new error: Orion is loaded 35 points in I1 against a capacity of 20 (175%)."),
    ]

    mail.stop()  # the mail server goes down mid-run
    add_decision(db, actor=ADMIN, train_key=train, question="Split F1?")  # nobody hears of their own changes
    route(db, now=T0)
    failed = deliver(db, senders=senders, now=T0 + timedelta(minutes=1))
    assert (failed.sent, failed.retrying) == (0, 1)
    waiting = list_outbox(db, actor=ADMIN, train_key=train, state="pending")[0]
    assert waiting[0].attempts == 1 and "Connection" in (waiting[0].last_error or "")

    mail.start()  # back up
    assert deliver(db, senders=senders, now=T0 + timedelta(minutes=1, seconds=10)).sent == 0  # not due: backing off
    assert deliver(db, senders=senders, now=T0 + timedelta(minutes=2)).sent == 1
    assert deliver(db, senders=senders, now=T0 + timedelta(hours=2)).sent == 0
    assert [to for to, _ in mail.inbox.received()] == ["mia@example.org", "olga@example.org", "rita@example.org"]
    ids = [m["Message-ID"] for m in mail.inbox.messages]
    assert len(ids) == len(set(ids)) == 3
    assert "You hear about this because you follow decisions." in mail.inbox.messages[-1].get_content()


class Hooks(BaseHTTPRequestHandler):
    """A webhook receiver: /flaky answers 500 twice, then 204; every request is kept."""

    calls: ClassVar[list] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hooks.calls.append((self.path, dict(self.headers), body))
        flaky = sum(1 for path, _, _ in Hooks.calls if path == "/flaky")
        if self.path == "/flaky" and flaky <= 2:
            body = b"stack trace with internal secrets"
            self.send_response(500)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
            return
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Hooks.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_webhook_that_fails_twice_is_delivered_once_and_signed(db, train, receiver) -> None:
    local = {"policy": LOCAL_POLICY}
    add_webhook(db, actor=RITA, train_key=train, kind="generic", url=f"{receiver}/flaky", secret="s3cret", **local)
    add_webhook(db, actor=RITA, train_key=train, kind="slack", url=f"{receiver}/slack", topics=["card"], **local)
    add_webhook(db, actor=RITA, train_key=train, kind="teams", url=f"{receiver}/teams", topics=["card"], **local)
    route(db, now=T0)  # from here on
    db_senders = NetworkSenders(LOCAL)
    Hooks.calls.clear()
    move_card(db, actor=RITA, train_key=train, ref="F4@Orion", to_iteration=3)
    route(db, now=T0)
    first = deliver(db, senders=db_senders, now=T0)
    assert (first.sent, first.retrying) == (2, 1)  # Slack and Teams took it; the generic one answered 500
    [waiting] = list_outbox(db, actor=RITA, train_key=train, state="pending")[0]
    assert "127.0.0.1 answered 500" in (waiting.last_error or "")
    assert "secrets" not in (waiting.last_error or "")  # the far side's body is never shown back
    assert deliver(db, senders=db_senders, now=T0 + timedelta(seconds=31)).retrying == 1  # 500 again
    assert deliver(db, senders=db_senders, now=T0 + timedelta(seconds=40)).sent == 0  # backing off (1 minute)
    assert deliver(db, senders=db_senders, now=T0 + timedelta(minutes=2)).sent == 1
    assert deliver(db, senders=db_senders, now=T0 + timedelta(hours=3)).sent == 0

    flaky = [(headers, body) for path, headers, body in Hooks.calls if path == "/flaky"]
    assert len(flaky) == 3 and len({body for _, body in flaky}) == 1  # the same message, retried
    headers, body = flaky[-1]
    assert verify("s3cret", body, headers[SIGNATURE_HEADER]) and not verify("other", body, headers[SIGNATURE_HEADER])
    assert len({h["X-Artsync-Delivery"] for h, _ in flaky}) == 1
    payload = json.loads(body)
    assert payload["event"]["entity_id"] == "F4@Orion" and payload["train"] == "ART"
    slack = json.loads(next(b for p, _, b in Hooks.calls if p == "/slack"))
    assert slack["text"].startswith("*[ART] rita moved F4@Orion from I2 to I3*")
    teams = json.loads(next(b for p, _, b in Hooks.calls if p == "/teams"))
    assert teams["@type"] == "MessageCard" and teams["title"] == "[ART] rita moved F4@Orion from I2 to I3"
    sent = list_outbox(db, actor=RITA, train_key=train, state="sent")[0]
    assert sorted(m.attempts for m in sent) == [1, 1, 3]


def test_a_message_that_keeps_failing_is_marked_failed_for_the_rte(db, train) -> None:
    subscribe(db, actor=ADMIN, train_key=train, person="mia", email="mia@example.org", teams=["Atlas"])
    move_card(db, actor=RITA, train_key=train, ref="F1@Atlas", to_iteration=2)
    route(db, now=T0)
    senders = NetworkSenders(Settings(smtp_host="127.0.0.1", smtp_port=free_port()))  # nothing listens there
    for hours in range(12):
        deliver(db, senders=senders, now=T0 + timedelta(hours=hours))
    messages, counts = list_outbox(db, actor=RITA, train_key=train)
    assert counts == {"pending": 0, "sent": 0, "failed": 1}
    assert messages[0].attempts == 10 and messages[0].last_error


def test_the_digest_is_written_for_each_person(db, train) -> None:
    subscribe(db, actor=ADMIN, train_key=train, person="mia", email="mia@example.org", teams=["Atlas"])
    subscribe(db, actor=ADMIN, train_key=train, person="olga", email="olga@example.org", teams=["Orion"])
    move_card(db, actor=RITA, train_key=train, ref="F1@Atlas", to_iteration=2)
    add_action(db, actor=RITA, train_key=train, text="Book the lab", owner="olga", due=date.today())
    tomorrow = date.today() + timedelta(days=1)
    assert queue_digests(db, day=tomorrow) == 2
    assert queue_digests(db, day=tomorrow) == 0  # once per person and day
    messages, _ = list_outbox(db, actor=RITA, train_key=train)
    bodies = {m.recipient: m for m in messages}
    assert set(bodies) == {"mia@example.org", "olga@example.org"}
    from artsync.store.models import OutboxRow

    text = {r.recipient: r.body for r in db.query(OutboxRow).all()}
    assert "- rita moved F1@Atlas from I1 to I2 (it concerns Atlas)" in text["mia@example.org"]
    assert "Book the lab" not in text["mia@example.org"]
    assert "A1 Book the lab: due" in text["olga@example.org"] and "F1@Atlas" not in text["olga@example.org"]
    html = next(r.payload["html"] for r in db.query(OutboxRow).all() if r.recipient == "mia@example.org")
    assert "rita moved F1@Atlas from I1 to I2" in html and "<svg" in html and "Burn-up" in html


def test_without_a_mail_server_mail_waits_untried(db, train) -> None:
    subscribe(db, actor=ADMIN, train_key=train, person="mia", email="mia@example.org", teams=["Atlas"])
    move_card(db, actor=RITA, train_key=train, ref="F1@Atlas", to_iteration=2)
    route(db, now=T0)
    assert deliver(db, senders=NetworkSenders(Settings()), now=T0 + timedelta(days=2)).sent == 0
    waiting = list_outbox(db, actor=RITA, train_key=train, state="pending")[0]
    assert [(m.recipient, m.attempts) for m in waiting] == [("mia@example.org", 0)]


def test_the_minutes_are_mailed_to_the_train_when_the_meeting_ends(db, train, mail) -> None:
    from artsync.services.meetings import end_meeting, record_team_status, schedule_meeting, start_meeting

    subscribe(db, actor=ADMIN, train_key=train, person="mia", email="mia@example.org", mine=False, digest=False)
    subscribe(db, actor=ADMIN, train_key=train, person="olga", email="olga@example.org", teams=["Orion"])
    sync = schedule_meeting(db, actor=RITA, train_key=train, kind="art_sync", day=date(2026, 11, 25))
    start_meeting(db, actor=RITA, train_key=train, meeting_id=sync.value.meeting.id)
    record_team_status(
        db, actor=RITA, train_key=train, meeting_id=sync.value.meeting.id, team="Atlas", status="on track"
    )
    end_meeting(db, actor=RITA, train_key=train, meeting_id=sync.value.meeting.id)
    route(db, now=T0)
    deliver(db, senders=NetworkSenders(Settings(smtp_host="127.0.0.1", smtp_port=mail.port)), now=T0)
    assert mail.inbox.received() == [
        ("mia@example.org", "[ART] Minutes: ART sync 25 Nov 2026"),
        ("olga@example.org", "[ART] Minutes: ART sync 25 Nov 2026"),
    ]
    assert "- **Atlas**: on track" in mail.inbox.messages[0].get_content()


def test_a_webhook_topic_must_be_a_kind_of_change_the_log_holds(db, train) -> None:
    from artsync.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="topic 'cards' is not a kind of change; the topics are train, pi,"):
        add_webhook(db, actor=RITA, train_key=train, kind="slack", url="https://hooks.example.org/x", topics=["cards"])
    assert list_webhooks_of(db, train) == []


@pytest.mark.parametrize(
    "url",
    ["https://127.0.0.1/hook", "https://169.254.169.254/latest/meta-data/", "https://[::1]/", "http://example.org/"],
)
def test_a_webhook_into_the_servers_own_network_cannot_be_added(db, train, url: str) -> None:
    from artsync.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="url: "):
        add_webhook(db, actor=RITA, train_key=train, kind="slack", url=url)
    assert list_webhooks_of(db, train) == []


def test_a_webhook_whose_name_resolves_inward_when_sent_is_not_sent(db, train, receiver, monkeypatch) -> None:
    import artsync.services.delivery

    # Accepted when added (the name does not resolve from here), it resolves to loopback when sent.
    add_webhook(db, actor=RITA, train_key=train, kind="slack", url="https://hooks.example.org/slack")
    monkeypatch.setattr(artsync.services.delivery, "resolve", lambda host: ["127.0.0.1"])
    route(db, now=T0)
    Hooks.calls.clear()
    move_card(db, actor=RITA, train_key=train, ref="F4@Orion", to_iteration=3)
    route(db, now=T0)
    result = deliver(db, senders=NetworkSenders(Settings()), now=T0)
    assert (result.sent, result.retrying) == (0, 1)
    [waiting] = list_outbox(db, actor=RITA, train_key=train, state="pending")[0]
    assert "not sent" in (waiting.last_error or "") and "inside the server's own network" in (waiting.last_error or "")
    assert Hooks.calls == []


def test_a_webhook_redirect_is_not_followed(db, train, receiver) -> None:
    add_webhook(db, actor=RITA, train_key=train, kind="slack", url=f"{receiver}/moved", policy=LOCAL_POLICY)
    route(db, now=T0)
    move_card(db, actor=RITA, train_key=train, ref="F4@Orion", to_iteration=3)
    route(db, now=T0)
    Hooks.calls.clear()
    assert deliver(db, senders=NetworkSenders(LOCAL), now=T0).retrying == 1
    [waiting] = list_outbox(db, actor=RITA, train_key=train, state="pending")[0]
    assert "answered 302 (redirects are not followed)" in (waiting.last_error or "")
    assert [path for path, _, _ in Hooks.calls] == ["/moved"]


def list_webhooks_of(db, train: str) -> list:
    from artsync.services.notifications import list_webhooks

    return list_webhooks(db, actor=RITA, train_key=train)
