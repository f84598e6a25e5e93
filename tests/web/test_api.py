"""The JSON API: contract, versions, idempotency, limits and errors, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import OTHER_TEAM, TEAM, TRAIN, Served, card_of


def test_board_returns_the_whole_board_with_its_seq(served: Served) -> None:
    response = served.client.get(f"/api/v1/trains/{TRAIN}/board", headers=served.as_("viewer"))
    board = response.json()
    assert response.status_code == 200
    assert {"seq", "teams", "iterations", "cards", "dependencies", "milestones"} <= set(board)
    assert board["seq"] >= 1
    card = board["cards"][0]
    assert {"id", "ref", "feature", "team", "iteration", "points", "version"} <= set(card)
    assert card["ref"] == f"{card['feature']}@{card['team']}"


def test_the_board_is_compressed_and_as_fresh_as_the_log(served: Served) -> None:
    path, rte = f"/api/v1/trains/{TRAIN}/board", served.as_("rte")
    first = served.client.get(path, headers={**rte, "Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip" and first.headers["content-type"] == "application/json"
    assert served.client.get(path, headers=rte).json() == first.json()  # the same seq: the same board
    card = next(c for c in first.json()["cards"] if c["team"] == TEAM)
    to = 1 if card["iteration"] != 1 else 2
    moved = served.client.patch(
        f"/api/v1/cards/{card['id']}", json={"iteration": to}, headers={**rte, "If-Match": f'"{card["version"]}"'}
    )
    assert moved.status_code == 200
    after = served.client.get(path, headers=rte).json()
    assert after["seq"] == first.json()["seq"] + 1
    assert next(c for c in after["cards"] if c["id"] == card["id"])["iteration"] == to


def test_the_boards_strings_are_read_alone_as_the_board_has_them_after_a_dependency_changes(served: Served) -> None:
    path, rte = f"/api/v1/trains/{TRAIN}/board", served.as_("rte")
    board = served.client.get(path, headers=rte).json()
    strings = served.client.get(f"{path}/dependencies", headers={**rte, "Accept-Encoding": "gzip"})
    assert strings.status_code == 200 and strings.headers["content-encoding"] == "gzip"
    assert strings.json() == {k: board[k] for k in ("dependencies", "cycles", "seq")}
    dependency = board["dependencies"][0]
    removed = served.client.request(
        "DELETE", f"/api/v1/trains/{TRAIN}/dependencies",
        params={"consumer": dependency["consumer"], "provider": dependency["provider"]}, headers=rte,
    )  # fmt: skip
    assert removed.status_code == 200, removed.text
    after = served.client.get(f"{path}/dependencies", headers=rte).json()
    assert after["seq"] == board["seq"] + 1 and len(after["dependencies"]) == len(board["dependencies"]) - 1
    assert after == {k: served.client.get(path, headers=rte).json()[k] for k in ("dependencies", "cycles", "seq")}
    assert served.client.get("/api/v1/trains/NOPE/board/dependencies", headers=rte).status_code == 404


def test_cards_put_on_the_board_are_read_alone_as_the_board_has_them(served: Served) -> None:
    path, rte = f"/api/v1/trains/{TRAIN}/board", served.as_("rte")
    board = served.client.get(path, headers=rte).json()
    carded = {(c["feature"], c["team"]) for c in board["cards"]}
    feature = next(c["feature"] for c in board["cards"] if (c["feature"], OTHER_TEAM) not in carded)
    made = served.client.post(
        f"/api/v1/trains/{TRAIN}/cards", json={"feature": feature, "team": OTHER_TEAM, "points": 5}, headers=rte
    )
    assert made.status_code == 201, made.text
    ref = f"{feature}@{OTHER_TEAM}"
    alone = served.client.get(f"{path}/cards", params={"ref": [ref, "NOPE@Nobody"]}, headers=rte).json()
    whole = served.client.get(path, headers=rte).json()
    assert alone == {"cards": [c for c in whole["cards"] if c["ref"] == ref], "seq": whole["seq"]}
    assert alone["cards"][0]["id"] == made.json()["id"] and alone["seq"] == board["seq"] + 1
    too_many = served.client.get(f"{path}/cards", params={"ref": [ref] * 51}, headers=rte)
    assert too_many.status_code == 422


@pytest.fixture
def boards_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """How each board the server made came about: "made anew" or "brought up" from the last one."""
    from artsync.web.routes import trains

    how: list[str] = []
    real = trains.board_now

    def watched(*args: Any, **kwargs: Any) -> Any:
        board, changed = real(*args, **kwargs)
        how.append("made anew" if changed is None else "brought up")
        return board, changed

    monkeypatch.setattr(trains, "board_now", watched)
    return how


def test_a_room_asking_for_the_board_at_once_after_a_change_gets_one_board_made_once(
    served: Served, boards_made: list[str]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    made = boards_made
    path, rte = f"/api/v1/trains/{TRAIN}/board", served.as_("rte")
    card = next(c for c in served.client.get(path, headers=rte).json()["cards"] if c["team"] == TEAM)
    moved = served.client.patch(
        f"/api/v1/cards/{card['id']}", json={"iteration": None}, headers={**rte, "If-Match": f'"{card["version"]}"'}
    )
    made.clear()
    with ThreadPoolExecutor(12) as pool:
        boards = list(pool.map(lambda _: served.client.get(path, headers=rte), range(12)))
    assert {b.status_code for b in boards} == {200}
    assert {b.json()["seq"] for b in boards} == {moved.json()["seq"]}
    assert len(made) == 1  # not once per request


def test_the_board_brings_the_rules_its_page_applies(served: Served) -> None:
    rules = served.client.get(f"/api/v1/trains/{TRAIN}/board", headers=served.as_("viewer")).json()["rules"]
    assert rules["near_capacity"] == 0.8
    assert rules["dependency_status"] == {
        "consumer-unplanned": "pending",
        "provider-unplanned": "unplanned-provider",
        "earlier": "ok",
        "same": "at-risk",
        "later": "broken",
    }
    assert rules["dependency_moves"] == {
        "requested": ["committed", "broken"],
        "committed": ["delivered", "broken"],
        "delivered": [],
        "broken": ["requested"],
    }
    assert rules["card_changes"] == ["moved", "status", "estimated"]
    assert {"risk", "vote", "meeting"} <= set(rules["unshown"]) and not {"card", "dependency"} & set(rules["unshown"])


def test_without_credentials_the_api_answers_401_as_problem_json(served: Served) -> None:
    response = served.client.get(f"/api/v1/trains/{TRAIN}/board")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "Authorization: Bearer" in response.json()["detail"]


def test_a_revoked_or_made_up_token_is_refused(served: Served) -> None:
    response = served.client.get(f"/api/v1/trains/{TRAIN}/board", headers={"Authorization": "Bearer ast_nope"})
    assert response.status_code == 401


def test_card_etag_if_match_and_stale_edits(served: Served) -> None:
    card = card_of(served, TEAM)
    path, rte = f"/api/v1/cards/{card['id']}", served.as_("rte")
    got = served.client.get(path, headers=rte)
    assert got.headers["ETag"] == f'"{card["version"]}"'

    missing = served.client.patch(path, json={"iteration": None}, headers=rte)
    assert missing.status_code == 428

    moved = served.client.patch(path, json={"iteration": None}, headers={**rte, "If-Match": got.headers["ETag"]})
    assert moved.status_code == 200 and moved.json()["iteration"] is None
    assert moved.headers["ETag"] == f'"{card["version"] + 1}"'

    stale = served.client.patch(path, json={"iteration": 4}, headers={**rte, "If-Match": got.headers["ETag"]})
    assert stale.status_code == 412
    assert stale.json()["current"]["iteration"] is None and stale.json()["current"]["version"] == card["version"] + 1
    assert served.client.get(path, headers=rte).json()["iteration"] is None


def test_a_move_appears_in_the_event_log_after_the_seq(served: Served) -> None:
    card = card_of(served, TEAM)
    seq = served.client.get(f"/api/v1/trains/{TRAIN}/board", headers=served.as_("rte")).json()["seq"]
    headers = {**served.as_("member"), "If-Match": f'"{card["version"]}"'}
    served.client.patch(f"/api/v1/cards/{card['id']}", json={"iteration": None}, headers=headers)
    events = served.client.get(f"/api/v1/trains/{TRAIN}/events?after={seq}", headers=served.as_("viewer")).json()
    assert [(e["seq"], e["actor"], e["entity_id"], e["action"]) for e in events["events"]] == [
        (seq + 1, "member", card["ref"], "moved")
    ]


def test_a_retried_post_with_the_same_idempotency_key_applies_once(served: Served) -> None:
    consumer = card_of(served, TEAM)
    provider = card_of(served, OTHER_TEAM, planned=False)
    body = {"consumer": consumer["ref"], "provider": provider["ref"]}
    headers = {**served.as_("product_owner"), "Idempotency-Key": "retry-123"}
    first = served.client.post(f"/api/v1/trains/{TRAIN}/dependencies", json=body, headers=headers)
    second = served.client.post(f"/api/v1/trains/{TRAIN}/dependencies", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    events = served.client.get(f"/api/v1/trains/{TRAIN}/events", headers=served.as_("rte")).json()["events"]
    assert sum(1 for e in events if e["action"] == "added") == 1
    without_key = served.client.post(f"/api/v1/trains/{TRAIN}/dependencies", json=body, headers=served.as_("rte"))
    assert without_key.status_code == 409


def test_bodies_over_one_mebibyte_get_413(served: Served) -> None:
    card = card_of(served, TEAM)
    response = served.client.patch(
        f"/api/v1/cards/{card['id']}",
        content=b"{" + b" " * (1024 * 1024 + 10) + b"}",
        headers={**served.as_("rte"), "If-Match": '"1"', "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["title"] == "too-large"


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"iteration": 99}, 422, "iteration 99 is out of range"),
        ({"iteration": "soon"}, 422, "iteration"),
        ({"iteration": 2, "colour": "red"}, 422, "colour"),
    ],
    ids=["out-of-range", "not-a-number", "unknown-field"],
)
def test_bad_card_edits_get_a_4xx_with_a_message(served: Served, body, status, detail) -> None:
    card = card_of(served, TEAM)
    headers = {**served.as_("rte"), "If-Match": f'"{card["version"]}"'}
    response = served.client.patch(f"/api/v1/cards/{card['id']}", json=body, headers=headers)
    assert response.status_code == status
    assert detail in response.json()["detail"]


def test_feature_wsjf_is_edited_by_product_management_only(served: Served) -> None:
    features = served.client.get(f"/api/v1/trains/{TRAIN}/features", headers=served.as_("viewer")).json()["features"]
    key = features[0]["key"]
    path = f"/api/v1/trains/{TRAIN}/features/{key}"
    etag = served.client.get(path, headers=served.as_("viewer")).headers["ETag"]
    refused = served.client.patch(path, json={"size": 20}, headers={**served.as_("product_owner"), "If-Match": etag})
    assert refused.status_code == 403
    bad = served.client.patch(path, json={"size": 4}, headers={**served.as_("product_manager"), "If-Match": etag})
    assert bad.status_code == 422 and "not on the scale 1,2,3,5,8,13,20" in bad.json()["detail"]
    ok = served.client.patch(path, json={"size": 20}, headers={**served.as_("product_manager"), "If-Match": etag})
    assert ok.status_code == 200 and ok.json()["size"] == 20
    assert ok.json()["wsjf"] == round(ok.json()["cost_of_delay"] / 20, 2)


def test_risk_is_roamed_with_if_match(served: Served) -> None:
    path = f"/api/v1/trains/{TRAIN}/risks/R1"
    etag = served.client.get(path, headers=served.as_("rte")).headers["ETag"]
    response = served.client.patch(
        path, json={"roam": "owned", "owner": "Dana"}, headers={**served.as_("rte"), "If-Match": etag}
    )
    assert response.status_code == 200 and response.json()["roam"] == "owned"


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/pi",
        "/teams",
        "/features",
        "/milestones",
        "/dependencies",
        "/objectives",
        "/risks",
        "/findings",
        "/events",
        "/plan",
    ],
)
def test_every_train_resource_is_readable_by_a_viewer(served: Served, path: str) -> None:
    response = served.client.get(f"/api/v1/trains/{TRAIN}{path}", headers=served.as_("viewer"))
    assert response.status_code == 200
    assert response.json()


def test_findings_are_the_same_as_the_clis(served: Served) -> None:
    from typer.testing import CliRunner

    from artsync.cli.app import app

    api = served.client.get(f"/api/v1/trains/{TRAIN}/findings", headers=served.as_("viewer")).json()
    cli = CliRunner().invoke(app, ["findings", "--json", "--train", TRAIN, "--db", served.database_url])
    import json

    assert api == json.loads(cli.stdout)


def test_one_openapi_document_describes_the_api(served: Served) -> None:
    spec = served.client.get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "artsync"
    assert "/api/v1/cards/{card_id}" in spec["paths"] and "/api/v1/trains/{key}/board" in spec["paths"]


def test_unknown_things_are_404_problems(served: Served) -> None:
    assert served.client.get("/api/v1/cards/999999", headers=served.as_("rte")).status_code == 404
    assert served.client.get("/api/v1/trains/NOPE/board", headers=served.as_("rte")).status_code == 404
    response = served.client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"


def test_card_status_is_set_with_patch_and_kept_on_the_board(served: Served) -> None:
    card = card_of(served, TEAM)
    headers = {**served.as_("scrum_master"), "If-Match": f'"{card["version"]}"'}
    response = served.client.patch(f"/api/v1/cards/{card['id']}", json={"status": "blocked"}, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "blocked"
    board = served.client.get(f"/api/v1/trains/{TRAIN}/board", headers=served.as_("viewer")).json()
    assert next(c for c in board["cards"] if c["id"] == card["id"])["status"] == "blocked"
    both = served.client.patch(
        f"/api/v1/cards/{card['id']}",
        json={"status": "done", "iteration": 1},
        headers={**served.as_("scrum_master"), "If-Match": response.headers["ETag"]},
    )
    assert both.status_code == 422 and "one change at a time" in both.json()["detail"]


def board_made_anew(served: Served) -> dict[str, Any]:
    """The train's board as the API would show it made anew from the whole plan, read beside the server."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from artsync.services.board import get_board
    from artsync.views.board import Board
    from tests.personas import ADMIN

    engine = create_engine(served.database_url)
    with Session(engine) as db:
        fresh = Board.of(get_board(db, actor=ADMIN, train_key=TRAIN)).model_dump(mode="json")
    engine.dispose()
    return fresh


def test_a_board_brought_up_from_card_changes_is_the_board_made_anew(served: Served, boards_made: list[str]) -> None:
    how = boards_made
    path, rte, po = f"/api/v1/trains/{TRAIN}/board", served.as_("rte"), served.as_("product_owner")
    first = served.client.get(path, headers=rte).json()
    mine = [c for c in first["cards"] if c["team"] == TEAM][:3]
    for card in mine[:2]:
        to = None if card["iteration"] else 1
        edit = {"If-Match": f'"{card["version"]}"'}
        assert served.client.patch(
            f"/api/v1/cards/{card['id']}", json={"iteration": to}, headers={**rte, **edit}
        ).is_success
    third = mine[2]
    edit = {"If-Match": f'"{third["version"]}"'}
    assert served.client.patch(
        f"/api/v1/cards/{third['id']}", json={"status": "blocked"}, headers={**po, **edit}
    ).is_success
    after = served.client.get(path, headers=rte).json()
    assert how == ["made anew", "brought up"]
    assert after == board_made_anew(served)  # loads, dependency statuses, versions and seq included


def test_a_board_brought_up_from_dependency_changes_is_the_board_made_anew(
    served: Served, boards_made: list[str]
) -> None:
    """A room planning together adds, moves and removes dependencies all day: the board is brought up from them
    (the PI's dependencies read again, their statuses and cycles made again), not made anew from the whole plan."""
    path, rte = f"/api/v1/trains/{TRAIN}/board", served.as_("rte")
    first = served.client.get(path, headers=rte).json()
    ours = [c for c in first["cards"] if c["team"] == TEAM][:2]
    theirs = next(c for c in first["cards"] if c["team"] == OTHER_TEAM)
    deps = f"/api/v1/trains/{TRAIN}/dependencies"
    for consumer, provider in ((ours[0], theirs), (theirs, ours[0]), (ours[1], theirs)):  # the second makes a cycle
        body = {"consumer": consumer["ref"], "provider": provider["ref"]}
        assert served.client.post(deps, json=body, headers=rte).status_code == 201
    pair = {"consumer": ours[0]["ref"], "provider": theirs["ref"]}
    assert served.client.patch(deps, params=pair, json={"state": "committed"}, headers=rte).is_success
    existing = first["dependencies"][0]
    gone = {"consumer": existing["consumer"], "provider": existing["provider"]}
    assert served.client.delete(deps, params=gone, headers=rte).is_success
    moved = {"If-Match": f'"{ours[1]["version"]}"'}
    to = None if ours[1]["iteration"] else 1
    assert served.client.patch(f"/api/v1/cards/{ours[1]['id']}", json={"iteration": to}, headers={**rte, **moved})
    after = served.client.get(path, headers=rte).json()
    assert boards_made == ["made anew", "brought up"]
    assert after == board_made_anew(served)  # the dependencies, their states, statuses and cycles, the moved card, seq
    assert after["cycles"] and len(after["dependencies"]) == len(first["dependencies"]) + 2
