"""The live channel: catch-up from a seq, events in order, authentication and origin checks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.web.conftest import TEAM, TRAIN, Served, card_of


def move(served: Served, card: dict, iteration) -> dict:
    headers = {**served.as_("rte"), "If-Match": f'"{card["version"]}"'}
    response = served.client.patch(f"/api/v1/cards/{card['id']}", json={"iteration": iteration}, headers=headers)
    assert response.status_code == 200
    return response.json()


def test_a_client_gets_what_it_missed_then_each_new_event_in_order(served: Served) -> None:
    board = served.client.get(f"/api/v1/trains/{TRAIN}/board", headers=served.as_("rte")).json()
    seq = board["seq"]
    card = card_of(served, TEAM)
    moved = move(served, card, None)  # happens before the client connects: it must be caught up
    with served.client.websocket_connect(
        f"/api/v1/trains/{TRAIN}/live?after={seq}", headers=served.as_("viewer")
    ) as socket:
        first = socket.receive_json()
        assert (first["type"], first["seq"], first["entity_id"]) == ("event", seq + 1, card["ref"])
        assert first["after"]["iteration"] is None
        move(served, moved, 1)
        second = socket.receive_json()
        assert (second["seq"], second["after"]["iteration"]) == (seq + 2, 1)


def test_a_client_from_seq_zero_gets_the_whole_log_in_order(served: Served) -> None:
    with served.client.websocket_connect(f"/api/v1/trains/{TRAIN}/live?after=0", headers=served.as_("rte")) as socket:
        messages = [socket.receive_json() for _ in range(3)]
    assert [m["seq"] for m in messages] == [1, 2, 3]
    assert messages[0]["action"] == "imported"


def test_the_live_channel_needs_credentials(served: Served) -> None:
    with pytest.raises(WebSocketDisconnect) as closed, served.client.websocket_connect(f"/api/v1/trains/{TRAIN}/live"):
        pass
    assert closed.value.code == 1008


@pytest.mark.parametrize("after", ["abc", "-1", "1.5", "%EF%BC%91"])
def test_a_seq_that_is_not_a_whole_number_closes_the_channel_with_the_reason(served: Served, after: str) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        served.client.websocket_connect(f"/api/v1/trains/{TRAIN}/live?after={after}", headers=served.as_("rte")),
    ):
        pass
    assert closed.value.code == 1008 and "after must be a whole number" in closed.value.reason


@pytest.mark.parametrize("step", ["subscribe", "read_events"])
def test_the_database_away_while_a_client_connects_is_a_503_to_try_again(
    served: Served, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """PostgreSQL restarting as the room reconnects: a 503 with Retry-After, as the API answers, not a 500."""
    from sqlalchemy.exc import OperationalError
    from starlette.testclient import WebSocketDenialResponse

    def away(*_args: object) -> None:
        raise OperationalError("SELECT 1", None, ConnectionError("server closed the connection unexpectedly"))

    hub = served.client.app.state.hub  # type: ignore[attr-defined]
    monkeypatch.setattr(hub, step, away)
    url = f"/api/v1/trains/{TRAIN}/live?after=0"
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        served.client.websocket_connect(url, headers=served.as_("rte")),
    ):
        pass
    assert refused.value.status_code == 503 and refused.value.headers["retry-after"] == "1"
    assert refused.value.json()["title"] == "busy"
    monkeypatch.undo()
    with served.client.websocket_connect(url, headers=served.as_("rte")) as socket:  # and the retry is served
        assert socket.receive_json()["seq"] == 1


def test_the_live_channel_refuses_a_foreign_origin(served: Served) -> None:
    headers = {**served.as_("rte"), "Origin": "https://evil.example"}
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        served.client.websocket_connect(f"/api/v1/trains/{TRAIN}/live", headers=headers),
    ):
        pass
    assert closed.value.code == 1008


def test_the_live_channel_accepts_its_own_origin(served: Served) -> None:
    headers = {**served.as_("rte"), "Origin": "http://testserver"}
    with served.client.websocket_connect(f"/api/v1/trains/{TRAIN}/live?after=0", headers=headers) as socket:
        assert socket.receive_json()["seq"] == 1


def test_someone_without_a_role_on_the_train_cannot_listen(served: Served) -> None:
    from sqlalchemy.orm import Session

    from artsync.services.auth import create_token
    from artsync.services.people import add_user
    from artsync.store.db import make_engine
    from tests.personas import ADMIN

    engine = make_engine(served.database_url)
    with Session(engine) as db:
        from artsync.formats.demo import demo_plan
        from artsync.services.plans import import_plan

        import_plan(db, actor=ADMIN, plan=demo_plan("art"))
        add_user(db, actor=ADMIN, name="outsider", train_key="PAY", role="viewer")
        token = create_token(db, actor=ADMIN, user_name="outsider").token
    engine.dispose()
    headers = {"Authorization": f"Bearer {token}"}
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        served.client.websocket_connect(f"/api/v1/trains/{TRAIN}/live", headers=headers),
    ):
        pass
    assert closed.value.code == 1008


def closing_code(socket) -> tuple[int, str]:
    """Read until the server closes the connection; its close code and reason."""
    while True:
        try:
            socket.receive_json()
        except WebSocketDisconnect as closed:
            return closed.code, closed.reason


def revoke_the_token(served: Served, persona: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from artsync.services.auth import revoke_token
    from tests.personas import ADMIN

    engine = create_engine(served.database_url)
    with Session(engine) as db:
        revoke_token(db, actor=ADMIN, prefix=served.tokens[persona])
    engine.dispose()


def take_the_role_away(served: Served, persona: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from artsync.services.people import remove_role
    from tests.personas import ADMIN

    engine = create_engine(served.database_url)
    with Session(engine) as db:
        remove_role(db, actor=ADMIN, name=persona, train_key=TRAIN, role="viewer")
    engine.dispose()


@pytest.mark.parametrize(
    ("how", "code"), [("token revoked", 4401), ("role taken away", 4403)], ids=["token-revoked", "role-removed"]
)
def test_an_open_live_connection_closes_when_its_token_or_role_goes(served: Served, how: str, code: int) -> None:
    with served.client.websocket_connect(f"/api/v1/trains/{TRAIN}/live", headers=served.as_("viewer")) as socket:
        if how == "token revoked":
            revoke_the_token(served, "viewer")
        else:
            take_the_role_away(served, "viewer")
        closed, reason = closing_code(socket)
    assert closed == code
    assert ("signed out" if code == 4401 else "no longer allowed") in reason


@pytest.mark.parametrize("how", ["sign out", "sessions revoked"])
def test_an_open_live_connection_of_a_browser_closes_when_its_session_ends(served: Served, how: str) -> None:
    import re

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from artsync.services.auth import revoke_sessions
    from tests.personas import ADMIN
    from tests.web.conftest import sign_in

    assert sign_in(served.client, "member").status_code == 303
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', served.client.get(f"/trains/{TRAIN}").text)
    assert csrf is not None
    with served.client.websocket_connect(f"/api/v1/trains/{TRAIN}/live") as socket:
        if how == "sign out":
            served.client.post("/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
        else:
            engine = create_engine(served.database_url)
            with Session(engine) as db:
                revoke_sessions(db, actor=ADMIN, user_name="member")
            engine.dispose()
        closed, reason = closing_code(socket)
    assert closed == 4401 and "signed out" in reason


def signed_in_and_live(database_url: str, end: Callable[[TestClient, str], None]) -> WebSocketDisconnect:
    """A member signed in on a server whose next check of its live connections is an hour away, watching the
    board live; ``end`` ends the session (given the client and its CSRF token). How the connection closed — it must
    close before the train's second heartbeat (10 s apart) for there to be an answer."""
    import re

    from artsync.settings import Settings
    from artsync.web.app import create_app
    from tests.web.conftest import sign_in

    app = create_app(Settings(database_url=database_url, live_recheck_interval=3600))
    with TestClient(app, base_url="http://testserver") as client:
        assert sign_in(client, "member").status_code == 303
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get(f"/trains/{TRAIN}").text)
        assert csrf is not None
        with client.websocket_connect(f"/api/v1/trains/{TRAIN}/live") as socket:
            end(client, csrf.group(1))
            heartbeats = 0
            with pytest.raises(WebSocketDisconnect) as closed:
                while heartbeats < 2:
                    heartbeats += socket.receive_json()["type"] == "heartbeat"
    return closed.value


def test_a_connection_closes_as_soon_as_its_server_signs_it_out_not_at_the_next_check(served: Served) -> None:
    def sign_out(client: TestClient, csrf: str) -> None:
        client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)

    closed = signed_in_and_live(served.database_url, sign_out)
    assert closed.code == 4401 and "signed out" in closed.reason


def test_a_connection_closes_as_soon_as_its_server_hears_of_a_revocation_elsewhere(postgres_url) -> None:
    # PostgreSQL: another process's change reaches every server by the NOTIFY in its own transaction.
    from sqlalchemy.orm import Session

    from artsync.services.auth import revoke_sessions
    from artsync.store.db import make_engine, migrate
    from tests.personas import ADMIN
    from tests.web.conftest import populate

    engine = make_engine(postgres_url)
    migrate(engine)
    populate(engine)

    def revoke_elsewhere(_client: TestClient, _csrf: str) -> None:  # as the command line would
        with Session(engine) as db:
            revoke_sessions(db, actor=ADMIN, user_name="member")

    closed = signed_in_and_live(postgres_url, revoke_elsewhere)
    engine.dispose()
    assert closed.code == 4401 and "signed out" in closed.reason


def test_a_client_gone_without_a_close_frame_ends_its_stream_quietly() -> None:
    """A laptop lid shut mid-PI: the next send finds the socket gone; the stream ends, no error is logged."""
    import asyncio

    from artsync.realtime.hub import Outgoing, Subscription
    from artsync.web.live import send_stream

    class Gone:
        sent = 0

        async def send_text(self, text: str) -> None:
            self.sent += 1
            raise WebSocketDisconnect(code=1006)

    gone = Gone()
    sub = Subscription(TRAIN, 0, lambda: None)
    asyncio.run(send_stream(gone, [Outgoing(1, "{}")], sub, after=0))  # type: ignore[arg-type]
    assert gone.sent == 1


def test_events_go_straight_to_a_client_that_keeps_up_and_wait_in_order_for_one_that_does_not() -> None:
    """The hub writes each event to a client's socket at once; when the socket cannot take more, the client's
    own task finishes that write and sends what queued meanwhile, in order, once each, then hands back."""
    import asyncio

    from artsync.realtime.hub import Hub, Outgoing, Subscription
    from artsync.web.live import send_stream

    class Socket:
        def __init__(self) -> None:
            self.sent: list[str] = []
            self.writable = asyncio.Event()
            self.writable.set()

        async def send_text(self, text: str) -> None:
            await self.writable.wait()  # as uvicorn does when the client's buffer is full
            self.sent.append(text)

    async def scenario() -> None:
        hub = Hub(None)  # type: ignore[arg-type]  (fan-out only: no database)
        socket, sub = Socket(), Subscription(TRAIN, 0, lambda: None)
        hub.subscribers[TRAIN] = {sub}
        task = asyncio.create_task(send_stream(socket, [], sub, after=0))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        event = [Outgoing(n, f"event {n}") for n in range(6)]
        hub.fan_out(TRAIN, event[1])
        assert socket.sent == ["event 1"]  # written during the fan-out itself
        socket.writable.clear()
        for n in (2, 3, 4):
            hub.fan_out(TRAIN, event[n])
        assert socket.sent == ["event 1"] and sub.queue.qsize() == 2  # 2 waits for the socket, 3 and 4 queue
        socket.writable.set()
        for _ in range(100):
            if len(socket.sent) == 4 and sub.direct is not None:
                break
            await asyncio.sleep(0)
        hub.fan_out(TRAIN, event[3])  # already sent: not again
        hub.fan_out(TRAIN, event[5])
        assert socket.sent == ["event 1", "event 2", "event 3", "event 4", "event 5"]
        task.cancel()

    asyncio.run(scenario())


class Transport:
    """What uvicorn's protocol writes to: the bytes, how many writes, and whether it is closing."""

    def __init__(self) -> None:
        self.written = bytearray()
        self.writes = 0
        self.closing = False

    def write(self, data: bytes) -> None:
        self.written += data
        self.writes += 1

    def is_closing(self) -> bool:
        return self.closing


def protocol_with(transport: Transport):  # the parts of uvicorn's sans-I/O protocol a Socket reads
    import asyncio
    from types import SimpleNamespace

    from websockets.protocol import State

    writable = asyncio.Event()
    writable.set()
    conn = SimpleNamespace(state=State.OPEN, extensions=[])
    return SimpleNamespace(handshake_complete=True, close_sent=False, disconnected=False, writable=writable,
                           conn=conn, transport=transport)  # fmt: skip


def frames_in(data: bytes) -> list[str]:
    """The text messages a browser reads from ``data``, parsed by websockets as a client."""
    from websockets.client import ClientProtocol
    from websockets.frames import Opcode
    from websockets.protocol import State
    from websockets.uri import parse_uri

    client = ClientProtocol(parse_uri("ws://localhost/"), state=State.OPEN)
    client.receive_data(bytes(data))
    return [frame.data.decode() for frame in client.events_received() if frame.opcode is Opcode.TEXT]


def test_the_hub_writes_each_event_as_one_text_frame_straight_to_a_socket_that_takes_it_at_once() -> None:
    """Under `serve`, an event goes to a client's socket as the frame built once for every client; while the
    socket is paused (its buffer full), closing or closed, the event takes the ASGI path, which waits or ends."""
    import asyncio

    from artsync.realtime.hub import Outgoing
    from artsync.web.live import Socket, Writer

    class Websocket:  # the ASGI path
        def __init__(self) -> None:
            self.sent: list[str] = []

        async def send_text(self, text: str) -> None:
            self.sent.append(text)

    async def scenario() -> None:
        transport, websocket = Transport(), Websocket()
        protocol = protocol_with(transport)
        writer = Writer(websocket, 0, Socket(protocol))  # type: ignore[arg-type]
        writer.stalled = asyncio.get_running_loop().create_future()
        big = '{"type": "event", "seq": 2, "title": "' + "x" * 70_000 + '"}'  # a 64-bit length
        for message in (Outgoing(1, '{"type": "event", "seq": 1, "title": "Pay → ✓"}'), Outgoing(2, big)):
            assert writer.offer_one(message)
        assert frames_in(transport.written) == ['{"type": "event", "seq": 1, "title": "Pay → ✓"}', big]
        assert websocket.sent == []
        for pause in ("writable", "close_sent", "closing"):
            if pause == "writable":
                protocol.writable.clear()
            elif pause == "close_sent":
                protocol.writable.set()
                protocol.close_sent = True
            else:
                protocol.close_sent, transport.closing = False, True
            before = len(transport.written)
            seq = 3 + len(websocket.sent)
            writer.stalled = asyncio.get_running_loop().create_future()
            assert writer.offer_one(Outgoing(seq, f"event {seq}"))
            assert len(transport.written) == before and websocket.sent[-1] == f"event {seq}", pause

    asyncio.run(scenario())


def test_events_heard_together_reach_a_client_in_one_write_in_order_and_once() -> None:
    """In a burst, the events the hub heard while its loop was busy go out together: one write per client for all
    of them, each still its own frame, in seq order; a client that joined midway gets only what it has not had."""
    import asyncio
    import json

    from artsync.realtime.hub import Hub, Subscription
    from artsync.web.live import Socket, Writer

    async def scenario() -> None:
        hub = Hub(None)  # type: ignore[arg-type]  (fan-out only: no database)
        hub.loop = asyncio.get_running_loop()
        hub.delivered[TRAIN] = 0
        clients = []
        for joined_after in (0, 2):  # the second has had events 1 and 2 from the log already
            transport, sub = Transport(), Subscription(TRAIN, 0, lambda: None)
            writer = Writer(None, joined_after, Socket(protocol_with(transport)))  # type: ignore[arg-type]
            writer.stalled = asyncio.get_running_loop().create_future()
            sub.direct = writer.offer
            hub.subscribers.setdefault(TRAIN, set()).add(sub)
            clients.append(transport)
        for seq in (1, 2, 3, 4):  # heard one after another, before the loop turns
            hub.offer(TRAIN, {"seq": seq, "title": f"move {seq}"})
        assert all(t.writes == 0 for t in clients)  # held until the loop has heard them all
        hub.fan_out(TRAIN)  # what a heartbeat or a read of the log does first: nothing held stays behind
        await asyncio.sleep(0)  # the release finds nothing left
        first, second = clients
        assert first.writes == 1 and [json.loads(f)["seq"] for f in frames_in(first.written)] == [1, 2, 3, 4]
        assert [json.loads(f)["seq"] for f in frames_in(second.written)] == [3, 4]
        assert hub.latest(TRAIN) == 4
        hub.offer(TRAIN, {"seq": 5, "title": "move 5"})
        await asyncio.sleep(0)  # the loop turns: released alone
        assert first.writes == 2 and json.loads(frames_in(first.written)[-1])["seq"] == 5

    asyncio.run(scenario())


def test_a_connection_served_by_another_server_is_sent_the_asgi_way() -> None:
    from artsync.web.live import Socket

    async def send(message: dict) -> None:  # an ASGI send that is no uvicorn protocol's own
        pass

    assert Socket.behind(send) is None
