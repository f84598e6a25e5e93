"""No request a program can send gets a 500: schemathesis generates requests from the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy.orm import Session

from artsync.io.demo import demo_plan
from artsync.services.auth import create_token
from artsync.services.people import add_user
from artsync.services.plans import import_plan
from artsync.store.db import make_engine, migrate
from tests.personas import ADMIN
from tests.web.browser import serving

TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory) -> Iterator[object]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'artsync.db'}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as db:
        import_plan(db, actor=ADMIN, plan=demo_plan("small"))
        add_user(db, actor=ADMIN, name="rita", train_key="SHOP", role="rte")
        TOKEN["rita"] = create_token(db, actor=ADMIN, user_name="rita").token
    engine.dispose()
    with serving(url) as base:
        yield schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")


def test_no_generated_request_gets_a_server_error(api_schema) -> None:
    headers = {"Authorization": f"Bearer {TOKEN['rita']}", "If-Match": '"1"'}
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def call(case) -> None:
            response = case.call(headers=headers)
            where = f"{case.method} {case.formatted_path}"
            if response.status_code >= 500:
                failures.append(f"{where}: {response.status_code} {response.text[:200]}")
            elif response.status_code >= 400 and "application/problem+json" not in str(
                response.headers.get("content-type")
            ):
                failures.append(f"{where}: {response.status_code} is not problem+json")

        call()
    assert not failures, "\n".join(failures[:10])
