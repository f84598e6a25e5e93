"""The API does what its OpenAPI document says: schemathesis generates requests from the document
and runs every check on every answer — no 5xx, every status and content type declared, every
schema-valid request accepted and every invalid one refused — as the RTE and as a viewer."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.orm import Session

from artsync.formats.demo import demo_plan
from artsync.services.auth import create_token
from artsync.services.people import add_user
from artsync.services.plans import import_plan
from artsync.store.db import make_engine, migrate
from tests.personas import ADMIN
from tests.web.browser import Server, serving

TOKEN: dict[str, str] = {}
# Rules across fields, about the train's own data or about the server's settings, which JSON Schema cannot
# say: a schema-valid request to these may be refused (422, or 412 for a stale If-Match), naming the rule.
CROSS_FIELD_RULES = {
    ("PATCH", "/api/v1/cards/{card_id}"): "the iteration is one of the current PI's",
    # Every request here sends If-Match "1": once another generated request changed the card, that version
    # is stale and the answer is 412 with the card as it is now (and a schema cannot know the card's version).
    ("DELETE", "/api/v1/cards/{card_id}"): "If-Match names the card's current version",
    ("POST", "/api/v1/trains/{key}/cards"): "the iteration is one of the current PI's",
    ("POST", "/api/v1/trains/{key}/dependencies"): "a card cannot depend on itself",
    ("POST", "/api/v1/trains/{key}/leave"): "leave ends on or after the day it starts",
    ("POST", "/api/v1/trains/{key}/scenarios"): "each change is written as the grammar says and names the train's own",
    ("POST", "/api/v1/trains/{key}/scenarios/{skey}/changes"): "the change is written as the grammar says, likewise",
    ("POST", "/api/v1/trains/{key}/webhooks"): "the URL must pass the outbound policy (https, not internal)",
}


@pytest.fixture(scope="module")
def served_api(tmp_path_factory) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'artsync.db'}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as db:
        import_plan(db, actor=ADMIN, plan=demo_plan("small"))
        for name, role in (("rita", "rte"), ("vic", "viewer")):
            add_user(db, actor=ADMIN, name=name, train_key="SHOP", role=role)
            TOKEN[name] = create_token(db, actor=ADMIN, user_name=name).token
    engine.dispose()
    with serving(url) as base:
        yield base


@pytest.mark.parametrize(
    ("person", "mode", "examples"),
    [
        ("rita", GenerationMode.POSITIVE, 12),
        ("rita", GenerationMode.NEGATIVE, 5),
        ("vic", GenerationMode.POSITIVE, 5),  # a viewer is refused every write: fewer examples say as much
    ],
    ids=["valid-as-rte", "invalid-as-rte", "valid-as-viewer"],
)
def test_every_answer_is_what_the_document_says(
    served_api: Server, person: str, mode: GenerationMode, examples: int
) -> None:
    api_schema = schemathesis.openapi.from_url(f"{served_api}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {TOKEN[person]}", "If-Match": '"1"'}
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        excluded = [positive_data_acceptance] if (operation.method.upper(), operation.path) in CROSS_FIELD_RULES else []
        failures += failures_of(operation, mode, headers, excluded, examples)
    assert not failures, f"{len(failures)} failures, the first ten:\n" + "\n".join(sorted(set(failures))[:10])


def failures_of(operation, mode: GenerationMode, headers: dict[str, str], excluded: list, examples: int) -> list[str]:
    """Every check that fails on ``examples`` generated requests to one operation."""
    failures: list[str] = []

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case) -> None:
        try:
            case.call_and_validate(headers=headers, excluded_checks=excluded)
        except BaseException as exc:  # a group of check failures: keep them all, report at the end
            for failure in getattr(exc, "exceptions", [exc]):
                title = getattr(failure, "title", type(failure).__name__)
                failures.append(f"{case.method} {operation.path} {case.body!r:.200}: {title}: {str(failure)[:300]}")

    try:
        call()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # an operation with nothing to get wrong has no invalid request
    return failures


def test_a_wrong_method_is_answered_405_with_every_allowed_method(served_api: Server) -> None:
    response = httpx.put(f"{served_api}/api/v1/cards/1", headers={"Authorization": f"Bearer {TOKEN['rita']}"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET, HEAD, PATCH"
    assert response.headers["content-type"] == "application/problem+json"
    assert "use DELETE or GET or HEAD or PATCH" in response.json()["detail"]


def test_every_error_an_operation_can_answer_is_declared_as_problem_json(served_api: Server) -> None:
    document = httpx.get(f"{served_api}/api/v1/openapi.json").json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for code in ("401", "403", "404", "422"):
                content = operation["responses"][code]["content"]
                assert list(content) == ["application/problem+json"], f"{method} {path} {code}"
    patch_card = document["paths"]["/api/v1/cards/{card_id}"]["patch"]["responses"]
    assert {"412", "428"} <= set(patch_card)
