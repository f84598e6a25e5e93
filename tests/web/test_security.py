"""Sign-in, cookies, CSRF, login limits, escaping and headers; and the permission matrix over HTTP."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import OTHER_TEAM, PASSWORD, TEAM, TRAIN, Served, card_of
from tests.web.conftest import sign_in as sign_in_form


def sign_in(served: Served, name: str, password: str = PASSWORD):
    return sign_in_form(served.client, name, password)


def csrf_of(served: Served) -> str:
    html = served.client.get(f"/trains/{TRAIN}/board").text
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_sign_in_sets_an_httponly_samesite_cookie(served: Served) -> None:
    response = sign_in(served, "member")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "artsync_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; https requests get Secure
    assert served.client.get(f"/trains/{TRAIN}").status_code == 200


def test_pages_send_people_to_sign_in_first(served: Served) -> None:
    response = served.client.get(f"/trains/{TRAIN}/board", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/login?next=/trains/{TRAIN}/board"


def test_a_wrong_password_shows_a_message_not_a_session(served: Served) -> None:
    response = sign_in(served, "member", "wrong-password")
    assert response.status_code == 401
    assert "wrong user name or password" in response.text
    assert "artsync_session" not in response.headers.get("set-cookie", "")


def test_after_five_wrong_passwords_the_account_waits(served: Served) -> None:
    for _ in range(5):
        assert sign_in(served, "member", "wrong-password").status_code == 401
    response = sign_in(served, "member")  # even the right password must wait now
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "wait" in response.text


def test_a_cookie_write_needs_the_csrf_token(served: Served) -> None:
    sign_in(served, "member")
    card = card_of(served, TEAM)
    path, etag = f"/api/v1/cards/{card['id']}", f'"{card["version"]}"'
    refused = served.client.patch(path, json={"iteration": None}, headers={"If-Match": etag})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    allowed = served.client.patch(
        path, json={"iteration": None}, headers={"If-Match": etag, "X-CSRF-Token": csrf_of(served)}
    )
    assert allowed.status_code == 200


def test_sign_out_ends_the_session(served: Served) -> None:
    sign_in(served, "member")
    token = csrf_of(served)
    served.client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert served.client.get(f"/trains/{TRAIN}", follow_redirects=False).status_code == 303


def test_a_feature_title_with_markup_is_shown_as_text(served: Served) -> None:
    key = served.client.get(f"/api/v1/trains/{TRAIN}/features", headers=served.as_("rte")).json()["features"][0]["key"]
    path = f"/api/v1/trains/{TRAIN}/features/{key}"
    etag = served.client.get(path, headers=served.as_("rte")).headers["ETag"]
    served.client.patch(
        path, json={"title": "<script>alert(1)</script>"}, headers={**served.as_("rte"), "If-Match": etag}
    )
    sign_in(served, "rte")
    html = served.client.get(f"/trains/{TRAIN}/backlog").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_pages_carry_a_content_security_policy_without_inline_script(served: Served) -> None:
    sign_in(served, "rte")
    for page in ("", "/board", "/backlog", "/findings", "/history"):
        response = served.client.get(f"/trains/{TRAIN}{page}")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text), page
        assert re.search(r"<title>[^<]+</title>", response.text) and "<h1>" in response.text


@pytest.mark.parametrize(
    ("persona", "team", "expected"),
    [
        ("rte", OTHER_TEAM, 200),
        ("product_owner", TEAM, 200),
        ("scrum_master", TEAM, 200),
        ("member", TEAM, 200),
        ("member", OTHER_TEAM, 403),
        ("product_owner", OTHER_TEAM, 403),
        ("product_manager", TEAM, 403),
        ("business_owner", TEAM, 403),
        ("viewer", TEAM, 403),
    ],
)
def test_who_may_move_which_card_over_http(served: Served, persona: str, team: str, expected: int) -> None:
    card = card_of(served, team)
    headers = {**served.as_(persona), "If-Match": f'"{card["version"]}"'}
    response = served.client.patch(f"/api/v1/cards/{card['id']}", json={"iteration": None}, headers=headers)
    assert response.status_code == expected, response.json()
    after = served.client.get(f"/api/v1/cards/{card['id']}", headers=served.as_("viewer")).json()
    assert (after["iteration"] is None) is (expected == 200)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("rte", 201), ("product_owner", 201), ("other_member", 403), ("viewer", 403), ("business_owner", 403)],
)
def test_who_may_add_a_dependency_over_http(served: Served, persona: str, expected: int) -> None:
    consumer = card_of(served, TEAM)
    provider = card_of(served, "Kestrel")
    response = served.client.post(
        f"/api/v1/trains/{TRAIN}/dependencies",
        json={"consumer": consumer["ref"], "provider": provider["ref"]},
        headers=served.as_(persona),
    )
    assert response.status_code == expected


def test_a_sign_in_post_without_the_forms_login_token_is_refused(served: Served) -> None:
    # Another site can post a sign-in form, but it cannot read our cookie to put its token in the form.
    response = served.client.post(
        "/login", data={"name": "member", "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    assert response.status_code == 403 and "did not come from this site" in response.text
    assert "artsync_session" not in response.headers.get("set-cookie", "")
    assert served.client.get(f"/trains/{TRAIN}", follow_redirects=False).status_code == 303


def test_sign_out_without_its_csrf_token_is_refused_and_the_session_stays(served: Served) -> None:
    sign_in(served, "member")
    refused = served.client.post("/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403 and "reload the page" in refused.text
    assert served.client.get(f"/trains/{TRAIN}", follow_redirects=False).status_code == 200
    forged = served.client.post("/logout", data={"csrf_token": "guess"}, follow_redirects=False)
    assert forged.status_code == 403


@pytest.mark.parametrize(
    ("persona", "team", "expected"),
    [
        ("rte", OTHER_TEAM, 200),
        ("product_owner", TEAM, 200),
        ("scrum_master", TEAM, 200),
        ("member", TEAM, 403),  # a member moves the team's cards; the PO or SM says what is done
        ("product_owner", OTHER_TEAM, 403),
        ("viewer", TEAM, 403),
    ],
)
def test_who_may_set_a_cards_status_over_http(served: Served, persona: str, team: str, expected: int) -> None:
    card = card_of(served, team)
    headers = {**served.as_(persona), "If-Match": f'"{card["version"]}"'}
    response = served.client.patch(f"/api/v1/cards/{card['id']}", json={"status": "done"}, headers=headers)
    assert response.status_code == expected, response.json()
    after = served.client.get(f"/api/v1/cards/{card['id']}", headers=served.as_("viewer")).json()
    assert (after["status"] == "done") is (expected == 200)


@pytest.mark.parametrize(
    ("persona", "expected"), [("rte", 200), ("product_owner", 200), ("member", 403), ("viewer", 403)]
)
def test_who_may_take_a_card_off_the_board_over_http(served: Served, persona: str, expected: int) -> None:
    card = card_of(served, TEAM)
    response = served.client.delete(f"/api/v1/cards/{card['id']}", headers=served.as_(persona))
    assert response.status_code == expected, response.json()
    still_there = served.client.get(f"/api/v1/cards/{card['id']}", headers=served.as_("viewer")).status_code == 200
    assert still_there is (expected != 200)


def test_someone_without_a_role_on_the_train_cannot_touch_its_subscriptions(served: Served) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from artsync.services.auth import create_token
    from artsync.services.people import add_user, remove_role
    from tests.personas import ADMIN

    engine = create_engine(served.database_url)
    with Session(engine) as db:
        add_user(db, actor=ADMIN, name="outsider", train_key=TRAIN, role="viewer")
        remove_role(db, actor=ADMIN, name="outsider", train_key=TRAIN, role="viewer")
        token = create_token(db, actor=ADMIN, user_name="outsider").token
    engine.dispose()
    response = served.client.delete(
        f"/api/v1/trains/{TRAIN}/subscription", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403 and "no role on train" in response.json()["detail"]
