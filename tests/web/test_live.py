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
    """What a taken-over connection writes to: the bytes, how many writes, what is left unread, and its end."""

    def __init__(self) -> None:
        self.written = bytearray()
        self.writes = 0
        self.unread = 0  # bytes the client has not read yet
        self.closed = self.aborted = False
        self.protocol = None

    def write(self, data: bytes) -> None:
        self.written += data
        self.writes += 1

    def get_write_buffer_size(self) -> int:
        return self.unread

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def set_protocol(self, protocol) -> None:
        self.protocol = protocol

    def resume_reading(self) -> None:
        pass


def server_frames(data: bytes) -> list:
    """The frames a browser reads from ``data``, parsed by websockets as a client."""
    from websockets.client import ClientProtocol
    from websockets.protocol import State
    from websockets.uri import parse_uri

    client = ClientProtocol(parse_uri("ws://localhost/"), state=State.OPEN)
    client.receive_data(bytes(data))
    return list(client.events_received())


def frames_in(data: bytes) -> list[str]:
    """The text messages a browser reads from ``data``."""
    from websockets.frames import Opcode

    return [frame.data.decode() for frame in server_frames(data) if frame.opcode is Opcode.TEXT]


def closed_with(data: bytes) -> tuple[int, str] | None:
    """The code and reason of the close frame in ``data``, if there is one."""
    from websockets.frames import Close, Opcode

    for frame in server_frames(data):
        if frame.opcode is Opcode.CLOSE:
            close = Close.parse(frame.data)
            return close.code, close.reason
    return None


def client_frame(opcode, payload: bytes, fin: bool = True) -> bytes:
    """A frame as a browser sends it: masked."""
    from websockets.frames import Frame

    return Frame(opcode, payload, fin=fin).serialize(mask=True)


class UvicornProtocol:
    """The parts of uvicorn's sans-I/O protocol a take-over reads and sets."""

    def __init__(self, transport: Transport) -> None:
        from types import SimpleNamespace

        self.handshake_complete, self.close_sent, self.disconnected, self.read_paused = True, False, False, False
        self.conn = SimpleNamespace(extensions=[])
        self.transport = transport
        self.connections: set[UvicornProtocol] = set()
        self.stopped = False

    def stop_keepalive(self) -> None:
        self.stopped = True


def taken(room, last: int = 0, hub=None):
    """A connection of TRAIN taken over by ``room`` (subscribed to ``hub`` when given), with its transport."""
    from artsync.realtime.hub import Subscription

    transport = Transport()
    sub = Subscription(TRAIN, 0, lambda: None)
    connection = room.take_over(UvicornProtocol(transport), sub, last)
    assert connection is not None and transport.protocol is connection
    if hub is not None:
        hub.subscribers.setdefault(TRAIN, set()).add(sub)
        connection.leave = lambda: hub.unsubscribe(sub)
        sub.direct = connection.deliver
    return connection, transport


def test_a_connection_taken_over_from_uvicorn_leaves_it_nothing_to_do() -> None:
    """Once its handshake is answered, uvicorn forgets the connection: no keep-alive of its own, not waited for at
    shutdown, and what it does when the app returns (close the transport) no longer reaches the client."""
    import asyncio

    from artsync.realtime.hub import Subscription
    from artsync.web.live_socket import Room

    async def scenario() -> None:
        room, transport = Room(), Transport()
        protocol = UvicornProtocol(transport)
        protocol.connections.add(protocol)
        connection = room.take_over(protocol, Subscription(TRAIN, 0, lambda: None), 0)
        assert connection is not None and transport.protocol is connection and connection in room.open
        assert protocol.stopped and protocol not in protocol.connections
        protocol.transport.close()  # what uvicorn does once the app returns
        assert not transport.closed
        closing = UvicornProtocol(Transport())
        closing.close_sent = True
        assert room.take_over(closing, Subscription(TRAIN, 0, lambda: None), 0) is None  # stays on the ASGI path

    asyncio.run(scenario())


def test_the_hub_writes_each_event_as_one_text_frame_straight_to_a_connection() -> None:
    """Under `serve`, an event goes to a client's socket as the frame built once for every client, long or short,
    in order, once each: what the client had from the log is not sent again."""
    import asyncio

    from artsync.realtime.hub import Hub, Outgoing
    from artsync.web.live_socket import Room

    async def scenario() -> None:
        hub = Hub(None)  # type: ignore[arg-type]  (fan-out only: no database)
        connection, transport = taken(Room(), last=1, hub=hub)
        big = '{"type": "event", "seq": 3, "title": "' + "x" * 70_000 + '"}'  # a 64-bit length
        short = '{"seq": 2, "title": "Pay → ✓"}'
        for message in (Outgoing(1, "had from the log"), Outgoing(2, short), Outgoing(3, big)):
            hub.fan_out(TRAIN, message)
        assert frames_in(transport.written) == ['{"seq": 2, "title": "Pay → ✓"}', big]
        assert connection.last == 3

    asyncio.run(scenario())


def test_events_heard_together_reach_a_client_in_one_write_in_order_and_once() -> None:
    """In a burst, the events the hub heard while its loop was busy go out together: one write per client for all
    of them, each still its own frame, in seq order; a client that joined midway gets only what it has not had."""
    import asyncio
    import json

    from artsync.realtime.hub import Hub
    from artsync.web.live_socket import Room

    async def scenario() -> None:
        hub = Hub(None)  # type: ignore[arg-type]  (fan-out only: no database)
        hub.loop = asyncio.get_running_loop()
        hub.delivered[TRAIN] = 0
        room = Room()
        first = taken(room, 0, hub)[1]
        second = taken(room, 2, hub)[1]  # it has had events 1 and 2 from the log already
        for seq in (1, 2, 3, 4):  # heard one after another, before the loop turns
            hub.offer(TRAIN, {"seq": seq, "title": f"move {seq}"})
        assert first.writes == 0 and second.writes == 0  # held until the loop has heard them all
        hub.fan_out(TRAIN)  # what a heartbeat or a read of the log does first: nothing held stays behind
        await asyncio.sleep(0)  # the release finds nothing left
        assert first.writes == 1 and [json.loads(f)["seq"] for f in frames_in(first.written)] == [1, 2, 3, 4]
        assert [json.loads(f)["seq"] for f in frames_in(second.written)] == [3, 4]
        assert hub.latest(TRAIN) == 4
        hub.offer(TRAIN, {"seq": 5, "title": "move 5"})
        await asyncio.sleep(0)  # the loop turns: released alone
        assert first.writes == 2 and json.loads(frames_in(first.written)[-1])["seq"] == 5

    asyncio.run(scenario())


def test_a_client_that_leaves_too_much_unread_is_dropped_with_4008_and_the_others_go_on() -> None:
    import asyncio

    from artsync.realtime.hub import Hub, Outgoing
    from artsync.web.live_socket import BEHIND_LIMIT, CLOSE_TIMEOUT, Room

    async def scenario() -> None:
        hub = Hub(None)  # type: ignore[arg-type]  (fan-out only: no database)
        room = Room()
        slow, slow_transport = taken(room, 0, hub)
        _, quick = taken(room, 0, hub)
        hub.fan_out(TRAIN, Outgoing(1, "event 1"))
        slow_transport.unread = BEHIND_LIMIT + 1  # the client stopped reading
        hub.fan_out(TRAIN, Outgoing(2, "event 2"))
        hub.fan_out(TRAIN, Outgoing(3, "event 3"))
        assert frames_in(quick.written) == ["event 1", "event 2", "event 3"]
        assert frames_in(slow_transport.written) == ["event 1"]
        assert closed_with(slow_transport.written) == (4008, "too slow: reconnect with your last seq")
        assert slow.sub.dropped and slow.sub not in hub.subscribers[TRAIN]
        assert slow.timer is not None and slow.timer.when() - asyncio.get_running_loop().time() <= CLOSE_TIMEOUT
        slow.timer._run()  # the client never answered the close: cut
        assert slow_transport.aborted

    asyncio.run(scenario())


def test_a_taken_over_connection_answers_pings_and_closes_and_refuses_what_a_server_must() -> None:
    import asyncio

    from websockets.frames import Close, Opcode

    from artsync.web.live_socket import MAX_MESSAGE, Room

    async def scenario() -> None:
        room = Room()
        connection, transport = taken(room)
        ping = client_frame(Opcode.PING, b"are you there")
        connection.data_received(ping[:3])  # a frame may arrive in pieces
        connection.data_received(ping[3:] + client_frame(Opcode.TEXT, b"ignored"))
        (pong,) = server_frames(transport.written)
        assert pong.opcode is Opcode.PONG and pong.data == b"are you there"
        connection.data_received(client_frame(Opcode.CLOSE, Close(1000, "bye").serialize()))
        assert closed_with(transport.written)[0] == 1000 and transport.closed
        for sent, code in (
            (client_frame(Opcode.TEXT, b"x" * (MAX_MESSAGE + 1))[:20], 1009),  # refused on its length alone
            (client_frame(Opcode.TEXT, b"x" * 40_000, fin=False) + client_frame(Opcode.CONT, b"x" * 40_000), 1009),
            (b"\x81\x05hello", 1002),  # not masked
            (client_frame(Opcode.CONT, b"no message under way"), 1002),
            (client_frame(Opcode.CLOSE, (1006).to_bytes(2, "big")), 1002),  # a code no endpoint may send
        ):
            connection, transport = taken(room)
            connection.data_received(sent)
            assert closed_with(transport.written)[0] == code and transport.closed, sent[:8]

    asyncio.run(scenario())


def test_one_timer_pings_every_connection_and_closes_those_that_did_not_answer() -> None:
    import asyncio

    from websockets.frames import Opcode

    from artsync.web.live_socket import Room

    async def scenario() -> None:
        room = Room()
        (answers, answers_transport), (_, silent_transport) = taken(room), taken(room)
        for connection in list(room.open):
            connection.ping()
        assert [f.opcode for f in server_frames(silent_transport.written)] == [Opcode.PING]
        answers.data_received(client_frame(Opcode.PONG, b"artsync"))
        for connection in list(room.open):
            connection.ping()
        assert [f.opcode for f in server_frames(answers_transport.written)] == [Opcode.PING, Opcode.PING]
        assert closed_with(silent_transport.written) == (1011, "keepalive ping timeout")

    asyncio.run(scenario())


def test_stopping_the_server_closes_every_taken_over_connection_with_1012() -> None:
    import asyncio

    from artsync.web.live_socket import Room

    async def scenario() -> None:
        room = Room()
        transports = [taken(room)[1] for _ in range(3)]
        await room.start()
        await room.stop()
        assert all(closed_with(t.written)[0] == 1012 and t.closed for t in transports)

    asyncio.run(scenario())
