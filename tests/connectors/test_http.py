"""The connectors' HTTP client against a transport that answers as a tracker under strain does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from artsync.connectors.http import TrackerClient
from artsync.errors import TrackerError


def client(answers: list[httpx.Response], waits: list[float], **options) -> TrackerClient:
    pending = iter(answers)
    return TrackerClient("https://tracker.example", auth=httpx.BasicAuth("u", "secret-token"), what="the tracker",
                         token_env="TRACKER_TOKEN", sleep=waits.append,
                         transport=httpx.MockTransport(lambda request: next(pending)), **options)  # fmt: skip


def test_azure_devops_rate_limit_reset_and_a_retry_after_date_are_waited_for() -> None:
    waits: list[float] = []
    later = datetime.now(UTC) + timedelta(seconds=12)
    reset = datetime.now(UTC).timestamp() + 5
    answers = [
        httpx.Response(429, headers={"Retry-After": format_datetime(later, usegmt=True)}),
        httpx.Response(503, headers={"X-RateLimit-Reset": str(reset)}),
        httpx.Response(200, json={"ok": True}),
    ]
    assert client(answers, waits).call("GET", "/x") == {"ok": True}
    assert 10 <= waits[0] <= 12 and 3 <= waits[1] <= 5


def test_a_tracker_that_stays_down_is_reported_after_its_tries_and_a_refusal_names_no_secret() -> None:
    waits: list[float] = []
    with pytest.raises(TrackerError, match="unavailable \\(503\\) after 3 tries"):
        client([httpx.Response(503)] * 3, waits, retries=2).call("GET", "/x")
    assert waits == [1.0, 2.0]  # backing off
    with pytest.raises(TrackerError) as refused:
        client([httpx.Response(403)], []).call("GET", "/x")
    assert "$TRACKER_TOKEN" in refused.value.message and "secret-token" not in refused.value.message
    with pytest.raises(TrackerError, match="refused GET /x \\(400\\): JQL is wrong"):
        client([httpx.Response(400, json={"errorMessages": ["JQL is wrong"]})], []).call("GET", "/x")
