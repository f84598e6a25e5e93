"""The one HTTP client of the connectors: bounded time, rate limits honoured, failures said in words.

- Each request has a bounded time (connect 5 s, read 30 s by default).
- 429 and 503 wait for ``Retry-After`` (seconds or an HTTP date) or, without it, Azure DevOps'
  ``X-RateLimit-Reset``, else back off (1, 2, 4 … s, at most 30 s); 500, 502 and 504 and a dropped connection
  back off the same way; after ``retries`` the tracker is reported unavailable.
- 401 and 403 say that the token cannot read the project, naming the tracker and the variable the token came
  from — never the token.
- Pagination is left to the callers, which ask in a stable order and de-duplicate by key.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from artsync.errors import TrackerError

RETRIED = {429, 500, 502, 503, 504}
LONGEST_WAIT = 30.0


class TrackerClient:
    """Requests to one tracker, with its credentials, retried and explained."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth,
        what: str,
        token_env: str,
        retries: int = 5,
        timeout: httpx.Timeout | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.what = what  # "Jira at https://…, project PAY": how messages name the tracker
        self.token_env = token_env
        self.retries = retries
        self.sleep = sleep
        self.requests = 0
        self.http = httpx.Client(
            base_url=base_url,
            auth=auth,
            timeout=timeout or httpx.Timeout(30.0, connect=5.0),
            headers={"Accept": "application/json", "User-Agent": "artsync"},
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> TrackerClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        """The JSON of a successful answer; a TrackerError in words otherwise."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                self.requests += 1
                content = None if body is None else json.dumps(body).encode()
                headers = None if body is None else {"Content-Type": content_type}
                response = self.http.request(method, path, params=params, content=content, headers=headers)
            except httpx.TimeoutException:
                if last:
                    raise TrackerError(f"{self.what} did not answer in time ({method} {path})") from None
                self.sleep(backoff(attempt))
                continue
            except httpx.TransportError as exc:
                if last:
                    raise TrackerError(f"{self.what} cannot be reached: {exc.__class__.__name__}") from None
                self.sleep(backoff(attempt))
                continue
            if response.status_code in RETRIED and not last:
                self.sleep(wait_for(response, attempt))
                continue
            return self.answer(method, path, response)
        raise AssertionError("unreachable")  # pragma: no cover

    def answer(self, method: str, path: str, response: httpx.Response) -> Any:
        status = response.status_code
        if status in (401, 403):
            raise TrackerError(
                f"{self.what} refused the token ({status}): the token in ${self.token_env} cannot read the project "
                "— check that it is current and that its user may browse the project and its boards"
            )
        if status == 429 or status >= 500:
            tries = self.retries + 1
            raise TrackerError(
                f"{self.what} is unavailable ({status}) after {tries} tr{'y' if tries == 1 else 'ies'}: try again later"
            )
        if status >= 400:
            raise TrackerError(f"{self.what} refused {method} {path} ({status}): {said(response)}")
        if status == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise TrackerError(f"{self.what} answered {method} {path} with something that is not JSON") from None


def backoff(attempt: int) -> float:
    return float(min(LONGEST_WAIT, 2**attempt))


def wait_for(response: httpx.Response, attempt: int) -> float:
    """How long the tracker asks to wait: Retry-After (seconds or a date), X-RateLimit-Reset, else a backoff."""
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            return min(LONGEST_WAIT, max(0.0, float(retry_after)))
        except ValueError:
            try:
                when = parsedate_to_datetime(retry_after)
                return min(LONGEST_WAIT, max(0.0, (when - datetime.now(UTC)).total_seconds()))
            except (TypeError, ValueError):
                pass
    reset = response.headers.get("X-RateLimit-Reset")  # Azure DevOps: when the window ends, in epoch seconds
    if reset:
        try:
            return min(LONGEST_WAIT, max(0.0, float(reset) - time.time()))
        except ValueError:
            pass
    return backoff(attempt)


def said(response: httpx.Response) -> str:
    """The tracker's own words about a refused request, shortly (Jira's errorMessages/errors, ADO's message)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        words = list(body.get("errorMessages") or []) + [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
        if body.get("message"):
            words.append(str(body["message"]))
        if words:
            return "; ".join(str(w) for w in words)[:300]
    return str(body)[:200]
