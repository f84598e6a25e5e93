"""The files people can get from their tracker without admin rights: Jira's CSV export and an Azure DevOps query's
CSV, read as tracker items for the same mapping as a pull.

- **Jira** (Filters → Export → CSV, all fields): ``Issue key``, ``Issue Type``, ``Summary``, ``Status`` and, when
  exported, ``Status Category``; ``Parent`` (the parent's issue id, matched through ``Issue id``) or ``Parent key``;
  ``Sprint`` (a column per sprint the issue was in: the last filled one counts); a story-points column
  (``Custom field (Story point estimate)`` or ``Custom field (Story Points)``); ``Inward issue link (Blocks)``
  columns (the issues this one is blocked by); ``Labels``; the team from the column the connection file names
  (``csv_team_column``, by default ``Custom field (Team)``), matched to the train's team names.
- **Azure DevOps** (a query's results, Export to CSV): ``ID``, ``Work Item Type``, ``Title``, ``State``,
  ``Area Path`` (the team, as the connection file maps area paths), ``Iteration Path``, ``Story Points``,
  ``Parent`` when the query shows it, ``Tags``.

A sprint or iteration path says nothing of its dates in a CSV: each is placed in a PI iteration by the mapping
given with the import (``NAME=N``); one without is left unplanned and reported. A wrong file is refused naming
the line and the column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from artsync.domain.tracker import Item, Progress
from artsync.errors import InvalidInputError
from artsync.formats.connection import ConnectionFile

JIRA_POINTS = ("Custom field (Story point estimate)", "Custom field (Story Points)", "Story Points")
JIRA_CATEGORY = {"to do": Progress.TO_DO, "in progress": Progress.IN_PROGRESS, "done": Progress.DONE}
JIRA_DONE_STATUSES = {"done", "closed", "resolved"}
ADO_PROGRESS = {"new": Progress.TO_DO, "proposed": Progress.TO_DO, "to do": Progress.TO_DO, "approved": Progress.TO_DO,
                "active": Progress.IN_PROGRESS, "in progress": Progress.IN_PROGRESS, "committed": Progress.IN_PROGRESS,
                "resolved": Progress.IN_PROGRESS, "closed": Progress.DONE, "done": Progress.DONE}  # fmt: skip


@dataclass(frozen=True)
class CsvItems:
    """The items a CSV holds, and the sprint (or iteration path) of each planned one, by name."""

    items: tuple[Item, ...]
    sprints: frozenset[str]
    kind: str  # "jira" or "azure-devops"


def read_tracker_csv(text: str, settings: ConnectionFile, source: str = "the CSV") -> CsvItems:
    """Jira's CSV export or an Azure DevOps query's CSV as tracker items; refused whole, naming line and column."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise InvalidInputError(f"{source} is empty")
    header = [h.strip() for h in rows[0]]
    if "Issue key" in header:
        return jira_items(header, rows[1:], settings, source)
    if "ID" in header and "Work Item Type" in header:
        return ado_items(header, rows[1:], settings, source)
    raise InvalidInputError(f"{source}, line 1: neither Jira's export (an 'Issue key' column) nor an Azure DevOps "
                            "query (columns 'ID' and 'Work Item Type')")  # fmt: skip


class Row:
    """One line of the CSV, its columns by name (a name repeated — Sprint, Labels, links — holds several)."""

    def __init__(self, header: list[str], values: list[str], line: int, source: str) -> None:
        self.values: dict[str, list[str]] = {}
        for name, value in zip(header, values, strict=False):
            self.values.setdefault(name, []).append(value.strip())
        self.line, self.source = line, source

    def one(self, name: str, *, required: bool = False) -> str:
        found = [v for v in self.values.get(name, []) if v]
        if required and not found:
            raise InvalidInputError(f"{self.source}, line {self.line}, column '{name}': empty")
        return found[-1] if found else ""

    def many(self, name: str) -> list[str]:
        return [v for v in self.values.get(name, []) if v]

    def number(self, *names: str) -> int:
        for name in names:
            value = self.one(name)
            if value:
                try:
                    return round(float(value.replace(",", ".")))
                except ValueError:
                    raise InvalidInputError(
                        f"{self.source}, line {self.line}, column '{name}': {value!r} is not a number"
                    ) from None
        return 0


def jira_items(header: list[str], lines: list[list[str]], settings: ConnectionFile, source: str) -> CsvItems:
    team_column = settings.tracker.csv_team_column or "Custom field (Team)"
    rows = [Row(header, values, n, source) for n, values in enumerate(lines, start=2) if any(v.strip() for v in values)]
    key_of_id = {row.one("Issue id"): row.one("Issue key") for row in rows if row.one("Issue id")}
    teams = {t.name.lower(): t.name for t in settings.team}
    feature_type = settings.tracker.feature_type.lower()
    blocked_statuses = {s.lower() for s in settings.tracker.blocked_statuses}
    items, sprints = [], set()
    for row in rows:
        key = row.one("Issue key", required=True)
        is_feature = row.one("Issue Type", required=True).lower() == feature_type
        parent = row.one("Parent key") or key_of_id.get(row.one("Parent"), row.one("Parent") or "") or None
        status = row.one("Status")
        category = row.one("Status Category").lower()
        progress = JIRA_CATEGORY.get(category) or jira_progress(status)
        sprint = row.one("Sprint") or None
        if sprint and not is_feature:
            sprints.add(sprint)
        labels = [label.lower() for label in row.many("Labels")]
        team = row.one(team_column)
        items.append(Item(
            key=key, title=row.one("Summary") or key, is_feature=is_feature,
            parent=None if is_feature else parent, team=teams.get(team.lower(), team) if team else None,
            sprint=sprint, points=row.number(*JIRA_POINTS), progress=progress,
            blocked=status.lower() in blocked_statuses or "blocked" in labels,
            blocked_by=tuple(sorted(row.many("Inward issue link (Blocks)"))),
            kind="enabler" if "enabler" in labels else "business",
        ))  # fmt: skip
    return CsvItems(tuple(items), frozenset(sprints), "jira")


def jira_progress(status: str) -> Progress:
    """Without a Status Category column: Jira's usual status names, anything else started."""
    if status.lower() in JIRA_DONE_STATUSES:
        return Progress.DONE
    return Progress.TO_DO if status.lower() in ("to do", "open", "backlog", "new", "") else Progress.IN_PROGRESS


def ado_items(header: list[str], lines: list[list[str]], settings: ConnectionFile, source: str) -> CsvItems:
    prefix = settings.key_prefix
    rows = [Row(header, values, n, source) for n, values in enumerate(lines, start=2) if any(v.strip() for v in values)]
    feature_type = settings.tracker.feature_type.lower()
    items, sprints = [], set()
    for row in rows:
        number = row.one("ID", required=True)
        if not number.isdigit():
            raise InvalidInputError(f"{source}, line {row.line}, column 'ID': {number!r} is not a work item id")
        is_feature = row.one("Work Item Type", required=True).lower() == feature_type
        team = settings.team_of_area(row.one("Area Path"))
        iteration = row.one("Iteration Path")
        sprint = iteration if "\\" in iteration else None  # the project's root: the backlog
        if sprint and not is_feature:
            sprints.add(sprint)
        state = row.one("State").lower()
        if state == "removed":
            continue
        tags = [t.strip().lower() for t in row.one("Tags").split(";")]
        parent = row.one("Parent")
        items.append(Item(
            key=f"{prefix}-{number}", title=row.one("Title") or number, is_feature=is_feature,
            parent=None if is_feature or not parent else f"{prefix}-{parent}", team=team, sprint=sprint,
            points=row.number("Story Points", "Effort", "Size"), progress=ADO_PROGRESS.get(state, Progress.IN_PROGRESS),
            blocked="blocked" in tags, kind="enabler" if "enabler" in tags else "business",
        ))  # fmt: skip
    return CsvItems(tuple(items), frozenset(sprints), "azure-devops")


def parse_iteration_map(pairs: list[str]) -> dict[str, int]:
    """``NAME=N`` pairs (a sprint or iteration path, and the PI iteration it is) as a mapping."""
    found: dict[str, int] = {}
    for pair in pairs:
        name, sep, number = pair.rpartition("=")
        if not sep or not name.strip() or not number.strip().isdigit():
            raise InvalidInputError(f"--iteration {pair!r}: write SPRINT=N, e.g. 'Atlas Sprint 3=3'")
        found[name.strip()] = int(number)
    return found
