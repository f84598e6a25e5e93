"""Errors as ``application/problem+json``: a status, a code, and a message a person can act on."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SqlTimeoutError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from artsync.errors import (
    ArtsyncError,
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    StaleVersionError,
    StoreUnavailableError,
    TrackerError,
    UnauthenticatedError,
)
from artsync.formats.fields import describe
from artsync.services.auth import TooManyAttemptsError

STATUS: list[tuple[type[ArtsyncError], int]] = [
    (StaleVersionError, 412),
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (UnauthenticatedError, 401),
    (TooManyAttemptsError, 429),
    (ConflictError, 409),
    (InvalidInputError, 422),
    (StoreUnavailableError, 503),
    (TrackerError, 502),  # the tracker, not artsync, failed
]


def problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"https://artsync.dev/problems/{code}", "title": code, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def status_of(exc: ArtsyncError) -> int:
    return next((status for kind, status in STATUS if isinstance(exc, kind)), 400)


async def artsync_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ArtsyncError)
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, StaleVersionError):
        extra["current"] = exc.current
        if exc.current.get("version") is not None:
            headers["ETag"] = f'"{exc.current["version"]}"'
    if isinstance(exc, TooManyAttemptsError):
        headers["Retry-After"] = str(exc.retry_after)
    response = problem(status_of(exc), exc.code, exc.message, **extra)
    response.headers.update(headers)
    return response


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        said = describe(error)  # in the same words as the plan import's, from the field types
        parts.append(f"{where}: {said}" if where else said)
    return problem(422, "invalid", "; ".join(parts) or "the request is not valid")


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    codes = {404: "not-found", 405: "method-not-allowed", 413: "too-large", 428: "precondition-required"}
    detail = str(exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        detail = f"{request.method} is not allowed here; use {' or '.join(allowed)}"
    response = problem(exc.status_code, codes.get(exc.status_code, "error"), detail)
    response.headers.update(headers)
    return response


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (the router only names the first route's)."""
    methods = {
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in request.app.routes)
    }
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


# The database away (restarting, unreachable, every connection taken) where no service wrapped it: answered 503.
DATABASE_AWAY = (OperationalError, SqlTimeoutError)


def busy() -> JSONResponse:
    """503 with Retry-After: the database away for a moment (restarting, unreachable, every connection taken)."""
    response = problem(503, "busy", "the server is too busy to reach the database right now; try again in a moment")
    response.headers["Retry-After"] = "1"
    return response


async def busy_error(_request: Request, _exc: Exception) -> JSONResponse:
    return busy()


async def unexpected_error(_request: Request, _exc: Exception) -> JSONResponse:
    # Never a traceback to the client; the server log has it.
    return problem(500, "internal", "something went wrong on the server; the change was not applied")
