"""The ``artsync-plan/1`` interchange format: a whole PI plan as one JSON document.

``parse_plan`` checks every field and names each problem by where it is
(``features[17].size: 4 is not on the scale 1,2,3,5,8,13,20``); it returns a
domain ``Plan`` or raises ``ImportFailedError`` with all the problems found.
``dump_plan`` writes a ``Plan`` back; dump → parse → dump is the identity.
The format is described in docs/plan-format.md.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from artsync.domain import limits
from artsync.domain.cadence import PI
from artsync.domain.plan import (
    CARD_STATUSES,
    FEATURE_KINDS,
    KEY_PATTERN,
    ROAM_STATES,
    Card,
    Dependency,
    Feature,
    Milestone,
    Objective,
    Plan,
    Risk,
    Team,
    Train,
    card_ref,
    check_roam,
)
from artsync.domain.wsjf import SCALE_TEXT, WsjfInputs, on_scale
from artsync.errors import ImportFailedError
from artsync.formats.plan_schema import ObjectiveRecord

FORMAT = "artsync-plan/1"
MAX_PROBLEMS = 50
T = TypeVar("T")


class Invalid(Exception):
    """One field is wrong; caught by the Reader, which records it and goes on."""


class Reader:
    """Walks the document, collecting every problem with the path where it is."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        # Keys of items rejected for another reason: references to them are not reported again.
        self.rejected: set[str] = set()

    def problem(self, path: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{path}: {message}")

    def section(self, doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
        """A list of objects; a missing section is empty."""
        value = doc.get(name, [])
        if not isinstance(value, list):
            self.problem(name, "must be a list")
            return []
        good = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                good.append(item)
            else:
                self.problem(f"{name}[{i}]", "must be an object")
                good.append({})
        return good

    def fields(self, path: str, obj: dict[str, Any], allowed: tuple[str, ...]) -> None:
        for name in obj:
            if name not in allowed:
                self.problem(f"{path}.{name}", f"unknown field; expected one of {', '.join(allowed)}")

    def values(self, path: str, obj: dict[str, Any], **specs: tuple[Callable[[Any], Any], Any]) -> dict[str, Any]:
        """Check every named field (so each problem is reported), then raise Invalid if any was wrong."""
        found: dict[str, Any] = {}
        for name, (check, default) in specs.items():
            with contextlib.suppress(Invalid):  # recorded already; go on to the next field
                found[name] = self.get(path, obj, name, check, default)
        if len(found) < len(specs):
            raise Invalid(path)
        return found

    def get(self, path: str, obj: dict[str, Any], name: str, check: Callable[[Any], T], default: Any = ...) -> T:
        """The checked value of ``obj[name]``; records a problem and raises Invalid when wrong."""
        where = f"{path}.{name}"
        if name not in obj or obj[name] is None:
            if default is not ...:
                return default  # type: ignore[no-any-return]
            self.problem(where, "is required")
            raise Invalid(where)
        try:
            return check(obj[name])
        except AlreadyReported:
            raise Invalid(where) from None
        except ValueError as exc:
            self.problem(where, str(exc))
            raise Invalid(where) from None


def text_of(limit: int) -> Callable[[Any], str]:
    """Non-empty text of at most ``limit`` characters (``domain/limits.py``)."""

    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{json.dumps(value)[:60]} must be a non-empty string")
        if len(value.strip()) > limit:
            raise ValueError(f"is {len(value.strip()):,} characters long; at most {limit:,}")
        return value.strip()

    return check


text = text_of(limits.TEXT)
name_text = text_of(limits.NAME)
title_text = text_of(limits.TITLE)


def key(value: Any) -> str:
    checked = text(value)
    if not KEY_PATTERN.match(checked):
        raise ValueError(f"{checked!r} is not a valid key (letters, digits, '.', '_', '-'; at most 64)")
    return checked


def integer(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"{json.dumps(value)} must be a whole number from {low} to {high}")
        return value

    return check


def within(bounds: limits.Range) -> Callable[[Any], int]:
    """A whole number in one of the ranges of ``domain/limits.py``."""
    return integer(bounds.low, bounds.high)


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{json.dumps(value)} must be true or false")
    return value


def iso_date(value: Any) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{json.dumps(value)} is not a date written YYYY-MM-DD") from None


def scale(value: Any) -> int:
    if not on_scale(value):
        raise ValueError(f"{json.dumps(value)} is not on the scale {SCALE_TEXT}")
    return int(value)


def one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"{json.dumps(value)} must be one of {', '.join(choices)}")
        return str(value)

    return check


def known(names: set[str] | dict[str, Any], what: str, r: Reader | None = None) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if r is not None and isinstance(value, str) and f"{what}:{value}" in r.rejected:
            raise AlreadyReported(value)
        if not isinstance(value, str) or value not in names:
            raise ValueError(f"unknown {what} {json.dumps(value)}")
        return value

    return check


class AlreadyReported(Exception):
    """A reference to an item whose own problem is already on the list."""


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


def parse_plan(doc: dict[str, Any]) -> Plan:
    """Check a whole ``artsync-plan/1`` document and return it as a Plan."""
    r = Reader()
    if doc.get("format", FORMAT) != FORMAT:
        r.problem("format", f"{json.dumps(doc.get('format'))} is not supported; expected {FORMAT!r}")
    r.fields(
        "$",
        doc,
        ("format", "train", "pi", "teams", "features", "cards", "dependencies", "milestones", "objectives", "risks"),
    )
    train = parse_train(r, doc)
    pi = parse_pi(r, doc)
    iterations = pi.iteration_count if pi else 12
    check_iteration = integer(1, iterations)

    teams: dict[str, Team] = {}
    for i, t in enumerate(r.section(doc, "teams")):
        path = f"teams[{i}]"
        r.fields(path, t, ("key", "name", "velocity", "size", "capacity"))
        r.rejected.add(f"team:{t.get('key')}")
        try:
            team_key = unique(r, path, teams, r.get(path, t, "key", key))
            capacity = t.get("capacity") or {}
            overrides: dict[int, int] = {}
            if not isinstance(capacity, dict):
                r.problem(f"{path}.capacity", 'must be an object like {"2": 30}')
            else:
                for iteration, points in capacity.items():
                    where = f"{path}.capacity.{iteration}"
                    try:
                        number = check_iteration(int(iteration) if str(iteration).isdigit() else iteration)
                        overrides[number] = within(limits.CAPACITY)(points)
                    except ValueError as exc:
                        r.problem(where, f"iteration out of range or points wrong: {exc}")
            teams[team_key] = Team(
                team_key,
                r.get(path, t, "name", name_text, team_key),
                r.get(path, t, "velocity", within(limits.VELOCITY)),
                overrides,
                r.get(path, t, "size", within(limits.TEAM_SIZE), None),
            )
            r.rejected.discard(f"team:{team_key}")
        except Invalid:
            continue

    r.rejected -= {f"team:{k}" for k in teams}  # a duplicate's first, valid occurrence stays known
    features: dict[str, Feature] = {}
    for i, f in enumerate(r.section(doc, "features")):
        path = f"features[{i}]"
        r.fields(path, f, ("key", "title", "kind", "ubv", "tc", "rroe", "size"))
        r.rejected.add(f"feature:{f.get('key')}")
        try:
            feature_key = unique(r, path, features, r.get(path, f, "key", key))
            title = r.get(path, f, "title", title_text)
            kind = r.get(path, f, "kind", one_of(FEATURE_KINDS), "business")
            inputs = [r.get(path, f, name, scale, 0) for name in ("ubv", "tc", "rroe", "size")]
            if 0 in inputs:
                for name, value in zip(("ubv", "tc", "rroe", "size"), inputs, strict=True):
                    if value == 0:
                        r.problem(f"{path}.{name}", "is required")
                continue
            features[feature_key] = Feature(feature_key, title, kind, WsjfInputs(*inputs))
            r.rejected.discard(f"feature:{feature_key}")
        except Invalid:
            continue

    r.rejected -= {f"feature:{k}" for k in features}
    cards: dict[str, Card] = {}
    for i, c in enumerate(r.section(doc, "cards")):
        path = f"cards[{i}]"
        r.fields(path, c, ("feature", "team", "iteration", "points", "status"))
        try:
            ends = (c.get("feature"), c.get("team"))
            r.rejected.add(f"card:{ends[0]}@{ends[1]}")
            v = r.values(
                path,
                c,
                feature=(known(features, "feature", r), ...),
                team=(known(teams, "team", r), ...),
                iteration=(out_of_range(check_iteration, iterations), None),
                points=(within(limits.POINTS), ...),
                status=(one_of(CARD_STATUSES), "not started"),
            )
            feature_key, team_key, iteration, points = v["feature"], v["team"], v["iteration"], v["points"]
            ref = card_ref(feature_key, team_key)
            if ref in cards:
                r.problem(path, f"duplicate card {ref}: a team has one card per feature")
                continue
            cards[ref] = Card(feature_key, team_key, iteration, points, v["status"])
            r.rejected.discard(f"card:{ref}")
        except Invalid:
            continue

    r.rejected -= {f"card:{k}" for k in cards}
    dependencies: dict[str, Dependency] = {}
    for i, d in enumerate(r.section(doc, "dependencies")):
        path = f"dependencies[{i}]"
        r.fields(path, d, ("consumer", "provider", "state"))
        try:
            consumer = card_of(r, path, d, "consumer", cards)
            provider = card_of(r, path, d, "provider", cards)
            state = r.get(path, d, "state", one_of(("requested", "committed", "delivered", "broken")), "requested")
        except Invalid:
            continue
        dep = Dependency(consumer, provider, state)
        if consumer == provider:
            r.problem(path, f"{consumer} cannot depend on itself")
        elif dep.key in dependencies:
            r.problem(path, f"duplicate dependency {consumer} needs {provider}")
        else:
            dependencies[dep.key] = dep

    milestones: dict[str, Milestone] = {}
    for i, m in enumerate(r.section(doc, "milestones")):
        path = f"milestones[{i}]"
        r.fields(path, m, ("key", "name", "iteration", "date", "features"))
        try:
            milestone_key = unique(r, path, milestones, r.get(path, m, "key", key))
            name = r.get(path, m, "name", name_text, milestone_key)
            day = r.get(path, m, "date", iso_date, None)
            iteration = r.get(path, m, "iteration", out_of_range(check_iteration, iterations), None)
            linked = keys_of(r, path, m, features, "feature")
        except Invalid:
            continue
        if day is not None and pi is not None:
            iteration_of_day = pi.iteration_of(day)
            if iteration_of_day is None:
                r.problem(f"{path}.date", f"{day} is outside the PI ({pi.start} to {pi.end})")
                continue
            if iteration is not None and iteration != iteration_of_day:
                r.problem(f"{path}.iteration", f"{iteration} does not contain {day} (iteration {iteration_of_day})")
                continue
            iteration = iteration_of_day
        if iteration is None:
            r.problem(path, "give the milestone an iteration or a date")
            continue
        milestones[milestone_key] = Milestone(milestone_key, name, iteration, day, linked)

    objectives: dict[str, Objective] = {}
    for i, o in enumerate(r.section(doc, "objectives")):
        path = f"objectives[{i}]"
        r.fields(path, o, ("key", "team", "text", "committed", "planned_bv", "actual_bv", "features"))
        try:
            objective_key = unique(r, path, objectives, r.get(path, o, "key", key))
            objectives[objective_key] = Objective(
                objective_key,
                r.get(path, o, "team", known(teams, "team"), None),
                r.get(path, o, "text", text),
                r.get(path, o, "committed", boolean, True),
                r.get(path, o, "planned_bv", within(limits.PLANNED_BV), None),
                r.get(path, o, "actual_bv", within(limits.ACTUAL_BV), None),
                keys_of(r, path, o, features, "feature"),
            )
        except Invalid:
            continue

    risks: dict[str, Risk] = {}
    for i, k in enumerate(r.section(doc, "risks")):
        path = f"risks[{i}]"
        r.fields(path, k, ("key", "text", "roam", "owner", "team", "note"))
        try:
            risk_key = unique(r, path, risks, r.get(path, k, "key", key))
            risks[risk_key] = Risk(
                risk_key,
                r.get(path, k, "text", text),
                r.get(path, k, "roam", one_of(ROAM_STATES), "unroamed"),
                r.get(path, k, "owner", name_text, None),
                r.get(path, k, "team", known(teams, "team"), None),
                r.get(path, k, "note", text, None),
            )
            if problem := check_roam(risks[risk_key].roam, risks[risk_key].owner):
                r.problem(f"{path}.owner", problem)
        except Invalid:
            continue

    if r.problems or train is None or pi is None:
        raise ImportFailedError(r.problems or ["the document has no train or pi"])
    return Plan(
        train=train,
        pi=pi,
        teams=tuple(teams.values()),
        features=tuple(features.values()),
        cards=tuple(cards.values()),
        dependencies=tuple(dependencies.values()),
        milestones=tuple(milestones.values()),
        objectives=tuple(objectives.values()),
        risks=tuple(risks.values()),
    )


def parse_train(r: Reader, doc: dict[str, Any]) -> Train | None:
    t = doc.get("train")
    if not isinstance(t, dict):
        r.problem("train", "is required: an object with key and name")
        return None
    r.fields("train", t, ("key", "name"))
    try:
        train_key = r.get("train", t, "key", key)
        return Train(train_key, r.get("train", t, "name", name_text, train_key))
    except Invalid:
        return None


def parse_pi(r: Reader, doc: dict[str, Any]) -> PI | None:
    p = doc.get("pi")
    if not isinstance(p, dict):
        r.problem("pi", "is required: an object with key, start, iteration_weeks, iterations, ip_last")
        return None
    r.fields("pi", p, ("key", "start", "iteration_weeks", "iterations", "ip_last", "state"))
    try:
        return PI(
            key=r.get("pi", p, "key", key),
            start=r.get("pi", p, "start", iso_date),
            iteration_weeks=r.get("pi", p, "iteration_weeks", within(limits.ITERATION_WEEKS), 2),
            iteration_count=r.get("pi", p, "iterations", within(limits.ITERATIONS), 5),
            ip_last=r.get("pi", p, "ip_last", boolean, True),
            state=r.get("pi", p, "state", one_of(("draft", "planning", "executing", "closed")), "planning"),
        )
    except Invalid:
        return None


def unique(r: Reader, path: str, seen: dict[str, Any], value: str) -> str:
    if value in seen:
        r.problem(f"{path}.key", f"duplicate key {value!r}")
        raise Invalid(path)
    return value


def out_of_range(check: Callable[[Any], int], iterations: int) -> Callable[[Any], int]:
    def wrapped(value: Any) -> int:
        try:
            return check(value)
        except ValueError:
            raise ValueError(
                f"iteration {json.dumps(value)} is out of range: the PI has iterations 1 to {iterations}"
            ) from None

    return wrapped


def card_of(r: Reader, path: str, obj: dict[str, Any], name: str, cards: dict[str, Card]) -> str:
    end = obj.get(name)
    where = f"{path}.{name}"
    if not isinstance(end, dict) or not isinstance(end.get("feature"), str) or not isinstance(end.get("team"), str):
        r.problem(where, 'must be {"feature": KEY, "team": KEY}')
        raise Invalid(where)
    ref = card_ref(end["feature"], end["team"])
    if f"card:{ref}" in r.rejected:
        raise Invalid(where)
    if ref not in cards:
        r.problem(where, f"dangling dependency: there is no card {ref}")
        raise Invalid(where)
    return ref


def keys_of(r: Reader, path: str, obj: dict[str, Any], names: dict[str, Any], what: str) -> tuple[str, ...]:
    value = obj.get("features", [])
    if not isinstance(value, list):
        r.problem(f"{path}.features", "must be a list of feature keys")
        raise Invalid(path)
    good = []
    for j, item in enumerate(value):
        if f"{what}:{item}" in r.rejected:
            continue
        if item not in names:
            r.problem(f"{path}.features[{j}]", f"unknown {what} {json.dumps(item)}")
        else:
            good.append(item)
    return tuple(good)


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
