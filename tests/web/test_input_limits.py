"""Text the store cannot keep or the limits do not allow is refused with 422 problem+json, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import TRAIN, Served


def feature_etag(served: Served, key: str = "SHOP-101") -> str:
    return served.client.get(f"/api/v1/trains/{TRAIN}/features/{key}", headers=served.as_("rte")).headers["ETag"]


@pytest.mark.parametrize(
    ("title", "words"),
    [
        ("Check\u0000out", "NUL"),
        ("x" * 600, "at most 500"),
        ("   ", "title"),
    ],
    ids=["nul", "too-long", "whitespace-only"],
)
def test_a_feature_title_that_cannot_be_kept_is_refused_with_422(served: Served, title: str, words: str) -> None:
    path = f"/api/v1/trains/{TRAIN}/features/SHOP-101"
    headers = {**served.as_("rte"), "If-Match": feature_etag(served)}
    response = served.client.patch(path, json={"title": title}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]
    assert served.client.get(path, headers=served.as_("rte")).json()["title"] != title


@pytest.mark.parametrize(
    "body",
    [
        '{"text": "Lab \\u0000 down"}',
        '{"text": "Lab \\ud800 down"}',
        json.dumps({"text": "x" * 1_000_000}),
    ],
    ids=["nul", "lone-surrogate", "a-megabyte"],
)
def test_a_risk_whose_text_cannot_be_kept_is_refused_with_422(served: Served, body: str) -> None:
    before = served.client.get(f"/api/v1/trains/{TRAIN}/events?after=0", headers=served.as_("rte")).json()["events"]
    response = served.client.post(
        f"/api/v1/trains/{TRAIN}/risks",
        content=body.encode("utf-8", "surrogatepass"),
        headers={**served.as_("rte"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    after = served.client.get(f"/api/v1/trains/{TRAIN}/events?after=0", headers=served.as_("rte")).json()["events"]
    assert len(after) == len(before)  # nothing written
