"""The published JSON Schema of artsync-plan/1 is current, and holds the examples, the demos and every written plan."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from artsync.errors import ImportFailedError
from artsync.formats.demo import SIZES, demo_plan
from artsync.formats.plan_format import dump_plan, parse_plan
from artsync.formats.plan_schema import json_schema
from tests.formats.test_plan_format import minimal

DOCS = Path(__file__).parents[2] / "docs"
PUBLISHED = DOCS / "plan-format.schema.json"


@pytest.fixture(scope="module")
def validator() -> Any:
    return jsonschema_rs.validator_for(json.loads(PUBLISHED.read_text()))


def test_the_published_schema_is_the_formats_own() -> None:
    assert json.loads(PUBLISHED.read_text()) == json_schema(), (
        "docs/plan-format.schema.json is stale: python -m artsync.formats.plan_schema > docs/plan-format.schema.json"
    )


def test_the_documented_example_and_the_minimal_plan_are_valid(validator: Any) -> None:
    example = re.search(r"```json\n(.*?)\n```", (DOCS / "plan-format.md").read_text(), re.S)
    assert example is not None
    for doc in (json.loads(example.group(1)), minimal()):
        assert validator.is_valid(doc), list(validator.iter_errors(doc))[:3]
        parse_plan(doc)  # and the reader takes it


@pytest.mark.parametrize("size", sorted(SIZES))
def test_every_written_plan_is_valid(validator: Any, size: str) -> None:
    written = dump_plan(demo_plan(size))
    assert validator.is_valid(written), list(validator.iter_errors(written))[:3]


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("a size off the WSJF scale", lambda d: d["features"][0].update(size=4)),
        ("points over the limit", lambda d: d["cards"][0].update(points=1001)),
        ("an unknown field", lambda d: d["teams"][0].update(colour="red")),
        ("an unknown card status", lambda d: d["cards"][0].update(status="finished")),
        ("a blank risk text", lambda d: d["risks"][0].update(text="   ")),
        ("another format", lambda d: d.update(format="artsync-plan/2")),
        ("an owned risk without an owner", lambda d: d["risks"][0].update(roam="owned", owner=None)),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_what_the_schema_refuses_the_reader_refuses_too(validator: Any, where: str, change: Any) -> None:
    doc = minimal()
    change(doc)
    assert not validator.is_valid(doc), where
    with pytest.raises(ImportFailedError):
        parse_plan(doc)
