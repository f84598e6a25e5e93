"""The ``artsync-plan/1`` interchange format: a whole PI plan as one JSON document.

``parse_plan`` reads each item as its typed record (``plan_schema``, the published
JSON Schema), checks what ties the items together with the domain's rules, and
names each problem by where it is (``features[17].size: 4 is not on the scale
1,2,3,5,8,13,20``); it returns a domain ``Plan`` or raises ``ImportFailedError``
with all the problems found.
``dump_plan`` writes a ``Plan`` back; dump → parse → dump is the identity.
The format is described in docs/plan-format.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from artsync.domain import limits
from artsync.domain.cadence import PI
from artsync.domain.plan import Card, Dependency, Feature, Milestone, Objective, Plan, Risk, Team, Train, card_ref
from artsync.domain.wsjf import WsjfInputs
from artsync.errors import ImportFailedError
from artsync.formats.fields import Record, describe
from artsync.formats.plan_schema import (
    CardRecord,
    DependencyRecord,
    FeatureRecord,
    MilestoneRecord,
    ObjectiveRecord,
    PIRecord,
    RiskRecord,
    TeamRecord,
    TrainRecord,
)

FORMAT = "artsync-plan/1"
MAX_PROBLEMS = 50


class DuplicateKeyError(ValueError):
    """An object names the same key twice; JSON would silently keep the last."""


def unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for name, value in pairs:
        if name in seen:
            raise DuplicateKeyError(name)
        seen[name] = value
    return seen


def bounded_number(kind: type[int] | type[float]) -> Callable[[str], Any]:
    def parse(digits: str) -> Any:
        if len(digits) > limits.NUMBER_DIGITS:
            raise ValueError(f"a number of {len(digits):,} characters; no number in a plan needs more than 30")
        return kind(digits)

    return parse


def loads_json(raw: str, source: str) -> dict[str, Any]:
    """Parse JSON text, refusing what could hurt or mislead: each refusal names the line where it can.

    Refused: a syntax error, a document over ``limits.PLAN_BYTES``, nesting deeper than
    ``limits.JSON_DEPTH``, a key twice in one object, a number longer than any plan needs,
    and text with a NUL or a lone surrogate.
    """
    if len(raw) > limits.PLAN_BYTES:
        raise ImportFailedError([f"{source}: {len(raw):,} characters; a plan file is at most {limits.PLAN_BYTES:,}"])
    try:
        doc = json.loads(
            raw, object_pairs_hook=unique_pairs, parse_int=bounded_number(int), parse_float=bounded_number(float)
        )
    except json.JSONDecodeError as exc:
        raise ImportFailedError([f"{source} line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None
    except RecursionError:
        raise ImportFailedError([f"{source}: nested deeper than {limits.JSON_DEPTH} levels"]) from None
    except DuplicateKeyError as exc:
        line = duplicate_line(raw)
        raise ImportFailedError(
            [f"{source} line {line}: the key {json.dumps(str(exc))} appears twice in one object"]
        ) from None
    except ValueError as exc:
        raise ImportFailedError([f"{source}: {exc}"]) from None
    if not isinstance(doc, dict):
        raise ImportFailedError([f"{source}: the document must be a JSON object"])
    problem = unstorable(doc, "", 0)
    if problem:
        raise ImportFailedError([with_line(problem, value_lines(raw), source)])
    return doc


def unstorable(value: Any, path: str, depth: int) -> str | None:
    """The first value nested too deep or holding text no database keeps, as ``path: what``."""
    if depth > limits.JSON_DEPTH:
        return f"{path or 'the document'}: nested deeper than {limits.JSON_DEPTH} levels"
    if isinstance(value, str):
        bad = limits.bad_characters(value)
        return f"{path}: {bad}" if bad else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for name, item in items:
        if isinstance(name, str) and limits.bad_characters(name):
            return f"{path or 'the document'}: a key {limits.bad_characters(name)}"
        where = f"{path}[{name}]" if isinstance(name, int) else (f"{path}.{name}" if path else name)
        problem = unstorable(item, where, depth + 1)
        if problem:
            return problem
    return None


def duplicate_line(raw: str) -> int:
    """The line of the first key that repeats within one object."""
    repeats = locate(raw)[1]
    return repeats[0][1] if repeats else 1


def parse_plan_text(raw: str, source: str) -> Plan:
    """Parse ``artsync-plan/1`` JSON text; each problem names its line as well as its field."""
    doc = loads_json(raw, source)
    try:
        return parse_plan(doc)
    except ImportFailedError as exc:
        lines = value_lines(raw)
        raise ImportFailedError([with_line(problem, lines, source) for problem in exc.problems]) from None


def with_line(problem: str, lines: dict[str, int], source: str) -> str:
    """``features[3].size: …`` → ``plan.json line 40: features[3].size: …`` (or the nearest enclosing line)."""
    path = problem.split(": ", 1)[0]
    while path:
        if path in lines:
            return f"{source} line {lines[path]}: {problem}"
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return f"{source}: {problem}"


def value_lines(raw: str) -> dict[str, int]:
    """The line on which each value of a JSON document starts, by path (``features[3].size``)."""
    return locate(raw)[0]


def locate(raw: str) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Where things are in a JSON document: the line of each value by path, and each key that repeats.

    Only called once a document has been found wrong, so it favours being short over being fast.
    """
    lines: dict[str, int] = {}
    repeats: list[tuple[str, int]] = []
    decoder = json.JSONDecoder()
    whitespace = re.compile(r"[ \t\n\r]*")

    def skip(i: int) -> int:
        match = whitespace.match(raw, i)
        return match.end() if match else i

    def walk(i: int, path: str) -> int:
        i = skip(i)
        lines[path] = raw.count("\n", 0, i) + 1
        if raw.startswith("{", i):
            i = skip(i + 1)
            if raw.startswith("}", i):
                return i + 1
            names: set[str] = set()
            while True:
                start = skip(i)
                name, i = decoder.raw_decode(raw, start)
                where = f"{path}.{name}" if path else str(name)
                if name in names:
                    repeats.append((where, raw.count("\n", 0, start) + 1))
                names.add(name)
                i = skip(i) + 1  # the colon
                i = skip(walk(i, where))
                if raw.startswith("}", i):
                    return i + 1
                i += 1  # the comma
        if raw.startswith("[", i):
            i = skip(i + 1)
            if raw.startswith("]", i):
                return i + 1
            n = 0
            while True:
                i = skip(walk(i, f"{path}[{n}]"))
                n += 1
                if raw.startswith("]", i):
                    return i + 1
                i += 1
        _, end = decoder.raw_decode(raw, i)
        return int(end)

    walk(0, "")
    return lines, repeats


SECTIONS: dict[str, type[Record]] = {
    "teams": TeamRecord,
    "features": FeatureRecord,
    "cards": CardRecord,
    "dependencies": DependencyRecord,
    "milestones": MilestoneRecord,
    "objectives": ObjectiveRecord,
    "risks": RiskRecord,
}
TOP_LEVEL = ("format", "train", "pi", *SECTIONS)
R = TypeVar("R", bound=Record)


class Problems:
    """Every problem of a document, each with the path where it is (``features[3].size``).

    ``rejected`` holds the items refused for a problem of their own (``team:Atlas``): a reference
    to one of them is not reported again.
    """

    def __init__(self) -> None:
        self.found: list[str] = []
        self.rejected: set[str] = set()

    def add(self, path: str, message: str) -> None:
        if len(self.found) < MAX_PROBLEMS:
            self.found.append(f"{path}: {message}")

    def missing(self, path: str) -> Any:
        """Add that ``path`` is required; None."""
        self.add(path, "is required")
        return None

    def read(self, record: type[R], value: Any, path: str) -> R | None:
        """``value`` as a ``record`` (``plan_schema``), or None with each of its problems added."""
        try:
            read: R = adapter(record).validate_json(json.dumps(value, default=str), strict=True)
            return read
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                where = path + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
                said = describe(error)
                if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
                    said += f"; expected one of {', '.join(record.model_fields)}"
                self.add(where, said)
            return None

    def items(self, doc: dict[str, Any], name: str, kind: str) -> Iterator[tuple[str, Any, Record | None]]:
        """Each item of section ``name``: its path, as written, and as a record (None when refused)."""
        value = doc.get(name) or []
        if not isinstance(value, list):
            self.add(name, "must be a list")
            return
        try:  # the whole section in one pass; item by item only when something in it is wrong
            section = list.__class_getitem__(SECTIONS[name])  # list[TeamRecord], …
            records: list[Record] = adapter(section).validate_json(json.dumps(value, default=str), strict=True)
        except ValidationError:
            records = []
        if records or not value:
            yield from (
                (f"{name}[{i}]", item, record) for i, (item, record) in enumerate(zip(value, records, strict=True))
            )
            return
        for i, item in enumerate(value):
            path = f"{name}[{i}]"
            record = self.read(SECTIONS[name], item, path)
            if record is None and isinstance(item, dict):
                self.rejected.add(f"{kind}:{item.get('key')}")
            yield path, item, record

    def known(self, path: str, value: str | None, names: dict[str, Any], kind: str) -> bool:
        """Whether ``value`` (None: not given) names one of ``names``; an unknown one is a problem."""
        if value is None or value in names:
            return True
        if f"{kind}:{value}" not in self.rejected:
            self.add(path, f"unknown {kind} {json.dumps(value)}")
        return False

    def unique(self, path: str, key: str, seen: dict[str, Any]) -> bool:
        if key in seen:
            self.add(f"{path}.key", f"duplicate key {key!r}")
            return False
        return True


@cache
def adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


def parse_plan(doc: dict[str, Any]) -> Plan:
    """Check a whole ``artsync-plan/1`` document and return it as a Plan.

    Each item is read as its record of ``plan_schema`` (the published JSON Schema: types, ranges,
    vocabularies, required fields, no unknown ones); then what ties the items together is checked —
    unique keys, references to teams, features and cards, iterations of the PI, the milestones'
    dates — and the write rules of the domain (``PI.check_iteration``, ``check_roam``).
    """
    p = Problems()
    for name in doc:
        if name not in TOP_LEVEL:
            p.add(name, f"unknown field; expected one of {', '.join(TOP_LEVEL)}")
    if doc.get("format", FORMAT) != FORMAT:
        p.add("format", f"{json.dumps(doc.get('format'))} is not supported; expected {FORMAT!r}")
    train = p.read(TrainRecord, doc.get("train"), "train") if "train" in doc else p.missing("train")
    pi_record = p.read(PIRecord, doc.get("pi"), "pi") if "pi" in doc else p.missing("pi")
    pi = pi_of(pi_record) if pi_record else None

    teams = read_teams(p, doc, pi)
    features = read_features(p, doc)
    cards = read_cards(p, doc, pi, teams, features)
    dependencies = read_dependencies(p, doc, cards)
    milestones = read_milestones(p, doc, pi, features)
    objectives = read_objectives(p, doc, teams, features)
    risks = read_risks(p, doc, teams)

    if p.found or train is None or pi is None:
        raise ImportFailedError(p.found or ["the document has no train or pi"])
    return Plan(
        train=Train(train.key, train.name or train.key),
        pi=pi,
        teams=tuple(teams.values()),
        features=tuple(features.values()),
        cards=tuple(cards.values()),
        dependencies=tuple(dependencies.values()),
        milestones=tuple(milestones.values()),
        objectives=tuple(objectives.values()),
        risks=tuple(risks.values()),
    )


def pi_of(r: PIRecord) -> PI:
    return PI(r.key, r.start, r.iteration_weeks, r.iterations, r.ip_last, r.state.value)


def iteration_problem(pi: PI | None, iteration: int | None) -> str | None:
    return pi.check_iteration(iteration) if pi else None


def read_teams(p: Problems, doc: dict[str, Any], pi: PI | None) -> dict[str, Team]:
    teams: dict[str, Team] = {}
    for path, _, t in p.items(doc, "teams", "team"):
        if not isinstance(t, TeamRecord) or not p.unique(path, t.key, teams):
            continue
        overrides: dict[int, int] = {}
        for iteration, points in t.capacity.items():
            number = int(iteration) if iteration.isdigit() else None
            if number is None or iteration_problem(pi, number):
                p.add(f"{path}.capacity.{iteration}", f"{iteration!r} is not an iteration of the PI")
                continue
            overrides[number] = points
        teams[t.key] = Team(t.key, t.name.strip() if t.name else t.key, t.velocity, overrides, t.size)
        p.rejected.discard(f"team:{t.key}")  # a duplicate's first, valid occurrence stays known
    return teams


def read_features(p: Problems, doc: dict[str, Any]) -> dict[str, Feature]:
    features: dict[str, Feature] = {}
    for path, _, f in p.items(doc, "features", "feature"):
        if not isinstance(f, FeatureRecord) or not p.unique(path, f.key, features):
            continue
        features[f.key] = Feature(f.key, f.title.strip(), f.kind.value, WsjfInputs(f.ubv, f.tc, f.rroe, f.size))
        p.rejected.discard(f"feature:{f.key}")
    return features


def read_cards(
    p: Problems, doc: dict[str, Any], pi: PI | None, teams: dict[str, Team], features: dict[str, Feature]
) -> dict[str, Card]:
    cards: dict[str, Card] = {}
    for path, raw, c in p.items(doc, "cards", "card"):
        if isinstance(raw, dict):
            p.rejected.add(f"card:{raw.get('feature')}@{raw.get('team')}")
        if not isinstance(c, CardRecord):
            continue
        good = p.known(f"{path}.feature", c.feature, features, "feature")
        good = p.known(f"{path}.team", c.team, teams, "team") and good
        if problem := iteration_problem(pi, c.iteration):
            p.add(f"{path}.iteration", problem)
            good = False
        ref = card_ref(c.feature, c.team)
        if good and ref in cards:
            p.add(path, f"duplicate card {ref}: a team has one card per feature")
        elif good:
            cards[ref] = Card(c.feature, c.team, c.iteration, c.points, c.status.value)
            p.rejected.discard(f"card:{ref}")
    return cards


def read_dependencies(p: Problems, doc: dict[str, Any], cards: dict[str, Card]) -> dict[str, Dependency]:
    dependencies: dict[str, Dependency] = {}
    for path, _, d in p.items(doc, "dependencies", "dependency"):
        if not isinstance(d, DependencyRecord):
            continue
        consumer, provider = (
            card_ref(d.consumer.feature, d.consumer.team),
            card_ref(d.provider.feature, d.provider.team),
        )
        if not ends_known(p, path, consumer, provider, cards):
            continue
        dependency = Dependency(consumer, provider, d.state.value)
        if consumer == provider:
            p.add(path, f"{consumer} cannot depend on itself")
        elif dependency.key in dependencies:
            p.add(path, f"duplicate dependency {consumer} needs {provider}")
        else:
            dependencies[dependency.key] = dependency
    return dependencies


def ends_known(p: Problems, path: str, consumer: str, provider: str, cards: dict[str, Card]) -> bool:
    """Whether both cards of a dependency are on the plan; an end whose card was refused says nothing more."""
    for end, ref in (("consumer", consumer), ("provider", provider)):
        if f"card:{ref}" in p.rejected:
            return False
        if ref not in cards:
            p.add(f"{path}.{end}", f"dangling dependency: there is no card {ref}")
            return False
    return True


def read_milestones(
    p: Problems, doc: dict[str, Any], pi: PI | None, features: dict[str, Feature]
) -> dict[str, Milestone]:
    milestones: dict[str, Milestone] = {}
    for path, _, m in p.items(doc, "milestones", "milestone"):
        if not isinstance(m, MilestoneRecord) or not p.unique(path, m.key, milestones):
            continue
        linked = linked_features(p, path, m.features, features)
        iteration = m.iteration
        if problem := iteration_problem(pi, iteration):
            p.add(f"{path}.iteration", problem)
            continue
        if m.date is not None and pi is not None:
            iteration_of_day = pi.iteration_of(m.date)
            if iteration_of_day is None:
                p.add(f"{path}.date", f"{m.date} is outside the PI ({pi.start} to {pi.end})")
                continue
            if iteration is not None and iteration != iteration_of_day:
                p.add(f"{path}.iteration", f"{iteration} does not contain {m.date} (iteration {iteration_of_day})")
                continue
            iteration = iteration_of_day
        if iteration is None:
            p.add(path, "give the milestone an iteration or a date")
            continue
        milestones[m.key] = Milestone(m.key, m.name.strip() if m.name else m.key, iteration, m.date, linked)
    return milestones


def linked_features(p: Problems, path: str, keys: list[str], features: dict[str, Feature]) -> tuple[str, ...]:
    return tuple(key for j, key in enumerate(keys) if p.known(f"{path}.features[{j}]", key, features, "feature"))


def read_objectives(
    p: Problems, doc: dict[str, Any], teams: dict[str, Team], features: dict[str, Feature]
) -> dict[str, Objective]:
    objectives: dict[str, Objective] = {}
    for path, _, o in p.items(doc, "objectives", "objective"):
        if not isinstance(o, ObjectiveRecord) or not p.unique(path, o.key, objectives):
            continue
        linked = linked_features(p, path, o.features, features)
        if p.known(f"{path}.team", o.team, teams, "team"):
            objectives[o.key] = Objective(o.key, o.team, o.text.strip(), o.committed, o.planned_bv, o.actual_bv, linked)
    return objectives


def read_risks(p: Problems, doc: dict[str, Any], teams: dict[str, Team]) -> dict[str, Risk]:
    risks: dict[str, Risk] = {}
    for path, _, k in p.items(doc, "risks", "risk"):
        if not isinstance(k, RiskRecord) or not p.unique(path, k.key, risks):
            continue
        if p.known(f"{path}.team", k.team, teams, "team"):
            owner = k.owner.strip() if k.owner else None
            risks[k.key] = Risk(k.key, k.text.strip(), k.roam.value, owner, k.team, k.note.strip() if k.note else None)
    return risks


def dump_plan(plan: Plan) -> dict[str, Any]:
    """The plan as an ``artsync-plan/1`` document (plain JSON values, stable order)."""
    return {
        "format": FORMAT,
        "train": {"key": plan.train.key, "name": plan.train.name},
        "pi": {
            "key": plan.pi.key,
            "start": plan.pi.start.isoformat(),
            "iteration_weeks": plan.pi.iteration_weeks,
            "iterations": plan.pi.iteration_count,
            "ip_last": plan.pi.ip_last,
            "state": plan.pi.state,
        },
        "teams": [
            {
                "key": t.key,
                "name": t.name,
                "velocity": t.velocity,
                **({"size": t.size} if t.size is not None else {}),
                "capacity": {str(i): p for i, p in sorted(t.capacity_overrides.items())},
            }
            for t in sorted(plan.teams, key=lambda t: t.key)
        ],
        "features": [f.record() for f in sorted(plan.features, key=lambda f: f.key)],
        "cards": [
            {"feature": c.feature, "team": c.team, "iteration": c.iteration, "points": c.points, "status": c.status}
            for c in sorted(plan.cards, key=lambda c: (c.feature, c.team))
        ],
        "dependencies": [
            {"consumer": ends(d.consumer), "provider": ends(d.provider), "state": d.state}
            for d in sorted(plan.dependencies, key=lambda d: (d.consumer, d.provider))
        ],
        "milestones": [
            {
                "key": m.key,
                "name": m.name,
                **({"date": m.date.isoformat()} if m.date else {"iteration": m.iteration}),
                "features": sorted(m.features),
            }
            for m in sorted(plan.milestones, key=lambda m: m.key)
        ],
        "objectives": [ObjectiveRecord.of(o).json_value() for o in sorted(plan.objectives, key=lambda o: o.key)],
        "risks": [
            {"key": k.key, "text": k.text, "roam": k.roam, "owner": k.owner, "team": k.team}
            | ({"note": k.note} if k.note else {})
            for k in sorted(plan.risks, key=lambda k: k.key)
        ],
    }


def ends(ref: str) -> dict[str, str]:
    feature, _, team = ref.rpartition("@")
    return {"feature": feature, "team": team}


def dumps_plan(plan: Plan) -> str:
    """The plan as ``artsync-plan/1`` JSON text, indented, ending in a newline."""
    return json.dumps(dump_plan(plan), indent=2, ensure_ascii=False) + "\n"
