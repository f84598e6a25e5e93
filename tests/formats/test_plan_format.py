"""The artsync-plan/1 format: every problem is named by where it is, and nothing half-parsed escapes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from artsync.errors import ImportFailedError
from artsync.formats.demo import demo_plan
from artsync.formats.plan_format import dump_plan, dumps_plan, loads_json, parse_plan, parse_plan_text


def minimal() -> dict[str, Any]:
    return {
        "format": "artsync-plan/1",
        "train": {"key": "ART", "name": "Test ART"},
        "pi": {"key": "PI-1", "start": "2027-01-04", "iteration_weeks": 2, "iterations": 5, "ip_last": True},
        "teams": [{"key": "Atlas", "name": "Team Atlas", "velocity": 30, "capacity": {"3": 20}}],
        "features": [
            {"key": "F1", "title": "Checkout", "kind": "business", "ubv": 8, "tc": 5, "rroe": 2, "size": 3},
            {"key": "F2", "title": "Refunds", "kind": "enabler", "ubv": 3, "tc": 1, "rroe": 8, "size": 5},
        ],
        "cards": [
            {"feature": "F1", "team": "Atlas", "iteration": 2, "points": 8},
            {"feature": "F2", "team": "Atlas", "iteration": None, "points": 5},
        ],
        "dependencies": [
            {"consumer": {"feature": "F2", "team": "Atlas"}, "provider": {"feature": "F1", "team": "Atlas"}}
        ],
        "milestones": [{"key": "M1", "name": "Beta", "date": "2027-02-10", "features": ["F1"]}],
        "objectives": [
            {
                "key": "O1",
                "team": "Atlas",
                "text": "Ship checkout",
                "committed": True,
                "planned_bv": 8,
                "actual_bv": None,
                "features": ["F1"],
            }
        ],
        "risks": [{"key": "R1", "text": "Vendor late", "roam": "owned", "owner": "Alice", "team": "Atlas"}],
    }


def test_a_valid_document_becomes_a_plan() -> None:
    plan = parse_plan(minimal())
    assert plan.train.key == "ART"
    assert plan.teams[0].capacity(3) == 20 and plan.teams[0].capacity(2) == 30
    assert plan.cards_by_ref["F1@Atlas"].iteration == 2
    assert plan.milestones[0].iteration == 3  # 2027-02-10 is in the third two-week iteration
    assert plan.dependencies[0].key == "F2@Atlas->F1@Atlas"


def broken(path: str, value: Any) -> dict[str, Any]:
    """The minimal document with the field at ``path`` (dots and [i]) set to ``value``."""
    doc = copy.deepcopy(minimal())
    *parents, last = path.replace("[", ".").replace("]", "").split(".")
    target: Any = doc
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is DELETE:
        del target[int(last) if last.isdigit() else last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return doc


DELETE = object()

IMPORT_ERRORS = [
    pytest.param("features[1].size", 4, "features[1].size: 4 is not on the scale 1,2,3,5,8,13,20", id="size-off-scale"),
    pytest.param("features[0].ubv", 0, "features[0].ubv: 0 is not on the scale 1,2,3,5,8,13,20", id="ubv-zero"),
    pytest.param("cards[0].team", "Nobody", 'cards[0].team: unknown team "Nobody"', id="unknown-team"),
    pytest.param("cards[0].feature", "F9", 'cards[0].feature: unknown feature "F9"', id="unknown-feature"),
    pytest.param(
        "cards[0].iteration",
        6,
        "cards[0].iteration: iteration 6 is out of range: PI-1 has iterations 1 to 5",
        id="iteration-out-of-range",
    ),
    pytest.param(
        "dependencies[0].provider",
        {"feature": "F1", "team": "Orion"},
        "dependencies[0].provider: dangling dependency: there is no card F1@Orion",
        id="dangling-dependency",
    ),
    pytest.param("features[1].key", "F1", "features[1].key: duplicate key 'F1'", id="duplicate-feature-key"),
    pytest.param(
        "milestones[0].date", "2027-06-01", "milestones[0].date: 2027-06-01 is outside the PI", id="date-outside-pi"
    ),
    pytest.param(
        "objectives[0].planned_bv",
        11,
        "objectives[0].planned_bv: 11 must be a whole number from 1 to 10",
        id="business-value-above-10",
    ),
    pytest.param(
        "risks[0].roam", "ignored", 'risks[0].roam: "ignored" must be one of unroamed', id="unknown-roam-state"
    ),
    pytest.param("pi.start", "04/01/2027", 'pi.start: "04/01/2027" is not a date written YYYY-MM-DD', id="bad-date"),
    pytest.param("features[0].sise", 3, "features[0].sise: unknown field", id="misspelt-field"),
    pytest.param("features[0].title", DELETE, "features[0].title: is required", id="missing-title"),
    pytest.param(
        "teams[0].velocity", -5, "teams[0].velocity: -5 must be a whole number from 0", id="negative-velocity"
    ),
    pytest.param("train", DELETE, "train: is required", id="missing-train"),
]


@pytest.mark.parametrize(("path", "value", "message"), IMPORT_ERRORS)
def test_each_import_error_names_where_it_is(path: str, value: Any, message: str) -> None:
    with pytest.raises(ImportFailedError) as caught:
        parse_plan(broken(path, value))
    assert any(problem.startswith(message) for problem in caught.value.problems), caught.value.problems


def test_all_problems_are_reported_at_once() -> None:
    doc = broken("features[1].size", 4)
    doc["cards"][0]["team"] = "Nobody"
    with pytest.raises(ImportFailedError) as caught:
        parse_plan(doc)
    assert len(caught.value.problems) == 2


def test_a_card_dependency_on_itself_is_refused() -> None:
    doc = broken("dependencies[0].provider", {"feature": "F2", "team": "Atlas"})
    with pytest.raises(ImportFailedError, match="F2@Atlas cannot depend on itself"):
        parse_plan(doc)


def test_problems_in_json_text_name_the_line_and_the_field() -> None:
    doc = broken("features[1].size", 4)
    del doc["features"][0]["title"]
    raw = json.dumps(doc, indent=2)
    with pytest.raises(ImportFailedError) as caught:
        parse_plan_text(raw, "plan.json")
    size_line = next(n for n, line in enumerate(raw.splitlines(), 1) if '"size": 4' in line)
    first_feature_line = next(n for n, line in enumerate(raw.splitlines(), 1) if '"key": "F1"' in line) - 1
    assert caught.value.problems == [
        f"plan.json line {first_feature_line}: features[0].title: is required",
        f"plan.json line {size_line}: features[1].size: 4 is not on the scale 1,2,3,5,8,13,20",
    ]


def test_json_syntax_errors_name_the_line() -> None:
    with pytest.raises(ImportFailedError) as caught:
        loads_json('{\n  "train": {"key": "ART",}\n}', "plan.json")
    assert caught.value.problems[0].startswith("plan.json line 2 column")


def test_export_import_export_of_the_demo_is_identical() -> None:
    text = dumps_plan(demo_plan("art", 3))
    assert dumps_plan(parse_plan(loads_json(text, "x"))) == text


def test_export_writes_the_documented_top_level_sections_in_order() -> None:
    assert list(dump_plan(parse_plan(minimal()))) == [
        "format",
        "train",
        "pi",
        "teams",
        "features",
        "cards",
        "dependencies",
        "milestones",
        "objectives",
        "risks",
    ]
