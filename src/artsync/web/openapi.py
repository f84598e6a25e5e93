"""The OpenAPI document says what the API does: every error a route can answer, as problem+json, and the CSRF
header every write takes with a browser's cookie.

FastAPI documents each route's success and its 422 (as plain JSON); artsync answers
every error as ``application/problem+json`` and may answer 400, 401, 403, 404, 409, 412,
413, 428 or 503 as well. ``describe_errors`` adds each one that can happen to each
operation, with the one ``Problem`` schema, so a generated client and schemathesis
know every answer they can get.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse

from artsync.web.deps import CSRF_HEADER

PROBLEM = {
    "title": "Problem",
    "description": "An error, as RFC 9457 problem details; `detail` is written for a person.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem."},
        "title": {"type": "string", "description": "A short code: not-found, invalid, stale, forbidden, …"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What was wrong and how to fix it."},
        "current": {
            "type": "object",
            "additionalProperties": True,
            "description": "With 412: the item as it is now, so the client can show it and retry.",
        },
    },
    "additionalProperties": True,
}

WORDS = {
    400: "The request cannot be carried out as asked.",
    401: "Not signed in: send `Authorization: Bearer TOKEN` (or sign in).",
    403: "Signed in, but the role does not allow this (or a cookie write without its CSRF token).",
    404: "No such train, PI, card or other item.",
    409: "The change clashes with what is there (a duplicate, say).",
    412: "The If-Match version is stale: `current` holds the item as it is now.",
    413: "The request body is over 1 MiB.",
    422: "The input breaks a rule; `detail` names the field.",
    428: "An edit must send If-Match with the ETag of the last read.",
    429: "Too many wrong passwords: wait `Retry-After` seconds.",
    502: "The team's tracker (Jira, Azure DevOps) could not be read or written; `detail` says why.",
    503: "The database cannot be reached right now; try again.",
}
CSRF_PARAMETER = {
    "name": CSRF_HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "With a browser's session cookie: the page's CSRF token (not needed with a Bearer token).",
}
READ_ERRORS = (400, 401, 403, 404, 422, 503)
WRITE_ERRORS = (*READ_ERRORS, 409, 413)
VERSIONED_ERRORS = (412, 428)


def error_codes(method: str, operation: dict[str, Any]) -> tuple[int, ...]:
    """The error statuses an operation can answer."""
    codes: tuple[int, ...] = READ_ERRORS if method in ("get", "head") else WRITE_ERRORS
    headers = {p.get("name", "").lower() for p in operation.get("parameters", []) if p.get("in") == "header"}
    if "if-match" in headers:
        codes += VERSIONED_ERRORS
    if "tracker" in operation.get("tags", []):
        codes += (502,)  # the tracker behind the call may fail
    return codes


def describe_errors(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document declare every error of every operation as problem+json."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for item in schema.get("paths", {}).values():
            for method, operation in item.items():
                if method not in ("get", "head"):  # a write (web/deps.get_caller checks the token)
                    operation.setdefault("parameters", []).append(CSRF_PARAMETER)
                responses = operation.setdefault("responses", {})
                for code in error_codes(method, operation):
                    responses[str(code)] = {"description": WORDS[code], "content": problem}
        for unused in ("HTTPValidationError", "ValidationError"):
            schema["components"]["schemas"].pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]


def add_api_docs(app: FastAPI) -> None:
    """The API reference at /api/v1/docs: Swagger UI from the package's static files (no CDN), started by a
    script file rather than an inline one, so the page works under the Content-Security-Policy and offline."""

    @app.get("/api/v1/docs", include_in_schema=False, response_class=HTMLResponse)
    def api_docs(request: Request) -> HTMLResponse:
        templates = request.app.state.templates
        return templates.TemplateResponse(request, "api_docs.html", {"openapi_url": app.openapi_url})  # type: ignore[no-any-return]
