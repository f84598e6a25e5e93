"""The trackers' own API documents (../shared/contracts), loaded for openapi-core, and the fake trackers' server.

Jira's are OpenAPI 3 and load as they are. Azure DevOps' are Swagger 2.0, which openapi-core does not read:
``openapi3`` converts one with the swagger2openapi rules for what those documents use — parameters
(``in: body`` becomes the request body; the others take their type as a schema; shared ones are inlined),
responses (their schema under ``application/json``), ``definitions`` under ``components/schemas`` and
basic auth as an HTTP scheme, request bodies in the media types the operation ``consumes`` — and reads .NET's
types as .NET means them: a bare ``{"type": "object"}`` is any value, an object deriving only from an array
(a JSON Patch document) is that array. Only
``servers`` is otherwise changed: the fake stands where the vendor's server would.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

# The vendors' documents live beside the project (../shared/contracts); ARTSYNC_CONTRACTS_DIR points elsewhere.
CONTRACTS = Path(os.environ.get("ARTSYNC_CONTRACTS_DIR") or Path(__file__).parents[2].parent / "shared" / "contracts")
JSON_PATCH = "application/json-patch+json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@cache
def contract(name: str) -> dict[str, Any]:
    path = CONTRACTS / name
    if not path.exists():  # never skipped: a connector unchecked against its vendor's contract is not tested
        raise FileNotFoundError(f"the tracker contract {path} is missing: point ARTSYNC_CONTRACTS_DIR at the contracts")
    return json.loads(path.read_text())


def checker(name: str, base: str) -> OpenAPI:
    """The document ``name`` as openapi-core checks requests and answers against it, served at ``base``."""
    # openapi-core checks basic auth and says it cannot check OAuth2, which the documents also offer.
    warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning, "openapi_core")
    document = copy.deepcopy(contract(name))
    if document.get("swagger") == "2.0":
        document = openapi3(document)
    document["servers"] = [{"url": base}]
    # JSON Patch documents are JSON: openapi-core reads them as such when told.
    return OpenAPI.from_dict(document, config=Config(extra_media_type_deserializers={JSON_PATCH: json.loads}))


def openapi3(swagger: dict[str, Any]) -> dict[str, Any]:
    """A Swagger 2.0 document as OpenAPI 3.0."""
    shared = swagger.get("parameters", {})
    paths: dict[str, Any] = {}
    for path, item in swagger.get("paths", {}).items():
        paths[path] = {method: operation(op, shared) for method, op in item.items() if method in METHODS}
    security = {
        name: {"type": "http", "scheme": "basic" if scheme.get("type") == "basic" else "bearer"}
        for name, scheme in swagger.get("securityDefinitions", {}).items()
    }
    document = {
        "openapi": "3.0.3",
        "info": swagger["info"],
        "paths": paths,
        "components": {"schemas": swagger.get("definitions", {}), "securitySchemes": security},
    }
    return any_object(json.loads(json.dumps(document).replace('"#/definitions/', '"#/components/schemas/')))


def any_object(node: Any) -> Any:
    """Microsoft's documents are generated from .NET, where ``{"type": "object"}`` alone is ``System.Object``:
    any value (a work item's fields are strings, numbers and identities under it). OpenAPI 3 reads it as a JSON
    object only, so a bare one becomes ``{}`` — any value — as it means there."""
    if isinstance(node, dict):
        if node.get("type") == "object" and set(node) <= {"type", "description"}:  # nothing but "object"
            return {k: v for k, v in node.items() if k != "type"}
        parents = node.get("allOf") or []
        if (
            node.get("type") == "object"
            and not node.get("properties")
            and any(p.get("type") == "array" for p in parents)
        ):  # a .NET class derived from List<T> (a JSON Patch document): the list it is
            return any_object(next(p for p in parents if p.get("type") == "array"))
        return {key: any_object(value) for key, value in node.items()}
    if isinstance(node, list):
        return [any_object(value) for value in node]
    return node


def operation(op: dict[str, Any], shared: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {k: v for k, v in op.items() if k not in ("parameters", "responses", "consumes",
                                                                           "produces", "security")}  # fmt: skip
    parameters = []
    for parameter in op.get("parameters", []):
        if "$ref" in parameter:
            parameter = shared[parameter["$ref"].rsplit("/", 1)[1]]
        if parameter.get("in") == "body":
            body = {
                kind: {"schema": parameter.get("schema", {})} for kind in op.get("consumes") or ["application/json"]
            }
            converted["requestBody"] = {"required": bool(parameter.get("required")), "content": body}
            continue
        schema = {k: parameter[k] for k in ("type", "format", "enum", "items", "default") if k in parameter}
        parameters.append({"name": parameter["name"], "in": parameter["in"],
                           "required": bool(parameter.get("required")) or parameter["in"] == "path",
                           "schema": schema or {"type": "string"}})  # fmt: skip
    converted["parameters"] = parameters
    converted["responses"] = {
        code: {"description": response.get("description", ""),
               **({"content": {"application/json": {"schema": response["schema"]}}} if "schema" in response else {})}
        for code, response in op.get("responses", {}).items()
    }  # fmt: skip
    return converted


@dataclass
class Fault:
    """The tracker answers ``status`` ``times`` times (after letting ``after`` requests through)."""

    status: int
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    after: int = 0


class CheckedFake:
    """A tracker on loopback whose every request and answer is held to its vendor's documents; ``route`` answers,
    ``documents`` names the documents by path prefix, and faults set by a test come first."""

    documents: dict[str, str] = {}  # path prefix → contract file  # noqa: RUF012

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.violations: list[str] = []
        self.seen: list[str] = []  # "METHOD path?query" of every request
        self.auth: list[str] = []
        self.lock = threading.Lock()
        self.base = ""
        self.checking = True  # every request and answer against the contracts (a bench turns it off)
        self.checkers: dict[str, OpenAPI] = {}

    def route(self, request: Request) -> Response:
        raise NotImplementedError

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.answer(Request(environ))(environ, start_response)

    def answer(self, request: Request) -> Response:
        self.seen.append(f"{request.method} {request.full_path.rstrip('?')}")
        self.auth.append(request.headers.get("Authorization", ""))
        api = self.contract_for(request.path) if self.checking else None
        if api is not None:
            try:
                api.validate_request(WerkzeugOpenAPIRequest(request))
            except Exception as exc:  # any way the request strays from the contract
                self.violations.append(f"request {request.method} {request.path}: {exc} {exc.__cause__ or ''}")
        for fault in self.faults:
            if fault.after > 0:
                fault.after -= 1
            elif fault.times > 0:
                fault.times -= 1
                return Response(json.dumps({"errorMessages": ["not now"], "message": "not now"}), status=fault.status,
                                headers=fault.headers, content_type="application/json")  # fmt: skip
        response = self.route(request)
        if api is not None and response.status_code < 400:
            try:
                api.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
            except Exception as exc:
                self.violations.append(f"response {request.method} {request.path}: {exc} {exc.__cause__ or ''}")
        return response

    def contract_for(self, path: str) -> OpenAPI | None:
        return next((self.checkers[p] for p in self.documents if re.match(p, path)), None)


def ok(body: Any) -> Response:
    return Response(json.dumps(body), status=200, content_type="application/json")


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *_: Any) -> None:  # the tests read what the fake saw from ``seen``, not from a log
        pass


Fake = TypeVar("Fake", bound=CheckedFake)


@contextmanager
def running(fake: Fake) -> Iterator[Fake]:
    """The fake serving on a free loopback port until the block ends."""
    server = make_server("127.0.0.1", 0, fake, threaded=True, request_handler=QuietHandler)
    fake.base = f"http://127.0.0.1:{server.server_port}"
    if fake.checking:
        fake.checkers = {prefix: checker(name, fake.base) for prefix, name in fake.documents.items()}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        thread.join(timeout=5)
