"""A stateful Azure DevOps project on loopback for the connector's tests: work items with their relations, the
iteration tree and the work item types' states, every request and answer held to Microsoft's own documents in
../shared/contracts (Swagger 2.0, converted by tests/fakes/contracts.py). Served under ``/{organization}``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from tests.fakes.contracts import CheckedFake, ok

STATES = [("New", "Proposed"), ("Active", "InProgress"), ("Resolved", "Resolved"), ("Closed", "Completed"),
          ("Removed", "Removed")]  # fmt: skip


@dataclass
class WorkItem:
    id: int
    type: str  # "Feature" or "User Story"
    title: str
    area: str  # PAY\Atlas
    iteration: str  # PAY\Sprint 2, or PAY (the backlog)
    state: str = "New"
    points: float | None = None
    parent: int | None = None
    predecessors: list[int] = field(default_factory=list)
    target: str | None = None  # Microsoft.VSTS.Scheduling.TargetDate, a day
    changed: datetime = field(default_factory=lambda: datetime(2026, 11, 1, 9, 0, tzinfo=UTC))


class FakeAzureDevOps(CheckedFake):
    """Azure DevOps Services, as much of it as the connector uses."""

    documents = {r"/[^/]+/[^/]+(/[^/]+)?/_apis/wit/": "azure-devops-wit-7.1.json"}  # noqa: RUF012

    def __init__(self, organization: str = "acme", project: str = "PAY") -> None:
        super().__init__()
        self.organization, self.project = organization, project
        self.items: dict[int, WorkItem] = {}
        self.sprints: list[tuple[str, str, str]] = []  # name, start, finish
        self.clock = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
        self.queries: list[str] = []
        self.writes: list[str] = []  # what artsync changed in Azure DevOps, in order
        self.wiql_limit = 20_000  # the most work items a query may answer (a test lowers it)

    def add(self, item: WorkItem) -> WorkItem:
        self.items[item.id] = item
        return item

    def change(self, item_id: int, **values: Any) -> None:
        with self.lock:
            self.clock += timedelta(minutes=5)
            item = self.items[item_id]
            for name, value in values.items():
                setattr(item, name, value)
            item.changed = self.clock

    def route(self, request: Request) -> Response:
        path = unquote(request.path)
        prefix = f"/{self.organization}/{self.project}"
        if re.fullmatch(rf"{prefix}/[^/]+/_apis/wit/wiql", path) and request.method == "POST":
            query = request.get_json()["query"]
            self.queries.append(query)
            since = re.search(r"\[System\.ChangedDate\] >= '([^']+)'", query)
            moment = datetime.fromisoformat(since.group(1).replace("Z", "+00:00")) if since else None
            after = re.search(r"\[System\.Id\] > (\d+)", query)
            ids = sorted(i.id for i in self.items.values() if (moment is None or i.changed >= moment)
                         and (after is None or i.id > int(after.group(1))))  # fmt: skip
            top = int(request.args.get("$top", self.wiql_limit))
            if len(ids) > self.wiql_limit and top > self.wiql_limit:  # as Azure DevOps answers past its limit
                message = f"VS402337: The number of work items returned exceeds the size limit of {self.wiql_limit}."
                return Response(json.dumps({"message": message}), status=400, content_type="application/json")
            ids = ids[:top]
            return ok({"queryType": "flat", "queryResultType": "workItem", "asOf": self.clock.isoformat(),
                       "workItems": [{"id": n, "url": self.url(n)} for n in ids]})  # fmt: skip
        if path == f"{prefix}/_apis/wit/workitemsbatch" and request.method == "POST":
            ids = request.get_json()["ids"]
            return ok([self.record(self.items[n]) for n in ids if n in self.items])  # as the contract says: a list
        if path == f"{prefix}/_apis/wit/classificationnodes":
            children = [
                {"id": n + 2, "name": name, "structureType": "iteration", "hasChildren": False,
                 "path": f"\\{self.project}\\Iteration\\{name}",
                 "attributes": {"startDate": f"{start}T00:00:00Z", "finishDate": f"{finish}T00:00:00Z"}}
                for n, (name, start, finish) in enumerate(self.sprints)
            ]  # fmt: skip
            return ok([{"id": 1, "name": self.project, "structureType": "iteration", "hasChildren": True,
                        "path": f"\\{self.project}\\Iteration", "children": children}])  # fmt: skip
        match = re.fullmatch(rf"{prefix}/_apis/wit/workitems/(\d+)", path)
        if match and int(match.group(1)) in self.items:
            item = self.items[int(match.group(1))]
            if request.method == "PATCH":
                self.apply(item, json.loads(request.get_data()))
            return ok(self.record(item))
        match = re.fullmatch(rf"{prefix}/_apis/wit/workitemtypes/([^/]+)/states", path)
        if match:
            return ok([{"name": name, "category": category, "color": "b2b2b2"} for name, category in STATES])
        return Response('{"message": "no such route"}', status=404, content_type="application/json")

    def apply(self, item: WorkItem, operations: list[dict[str, Any]]) -> None:
        """A JSON Patch from artsync: the iteration path, the state, a predecessor added or removed."""
        with self.lock:
            for op in operations:
                field_name = op["path"].removeprefix("/fields/")
                if op["op"] == "replace" and field_name == "System.IterationPath":
                    item.iteration = op["value"]
                    self.writes.append(f"move {item.id} to {op['value']}")
                elif op["op"] == "replace" and field_name == "System.State":
                    item.state = op["value"]
                    self.writes.append(f"state {item.id} {op['value']}")
                elif op["op"] == "add" and op["path"] == "/relations/-":
                    other = int(op["value"]["url"].rsplit("/", 1)[1])
                    item.predecessors.append(other)
                    self.writes.append(f"link {item.id} after {other}")
                elif op["op"] == "remove" and op["path"].startswith("/relations/"):
                    index = int(op["path"].rsplit("/", 1)[1]) - (1 if item.parent else 0)
                    other = item.predecessors.pop(index)
                    self.writes.append(f"unlink {item.id} from {other}")
            self.clock += timedelta(minutes=5)
            item.changed = self.clock

    def url(self, item_id: int) -> str:
        return f"{self.base}/{self.organization}/{self.project}/_apis/wit/workItems/{item_id}"

    def record(self, item: WorkItem) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "System.Id": item.id, "System.WorkItemType": item.type, "System.Title": item.title,
            "System.State": item.state, "System.AreaPath": item.area, "System.IterationPath": item.iteration,
            "System.TeamProject": self.project,
            "System.ChangedDate": item.changed.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }  # fmt: skip
        if item.target:
            fields["Microsoft.VSTS.Scheduling.TargetDate"] = f"{item.target}T00:00:00Z"
        if item.points is not None:
            fields["Microsoft.VSTS.Scheduling.StoryPoints"] = item.points
        relations = [{"rel": "System.LinkTypes.Hierarchy-Reverse", "url": self.url(item.parent), "attributes": {}}]
        relations = relations if item.parent else []
        relations += [{"rel": "System.LinkTypes.Dependency-Reverse", "url": self.url(p), "attributes": {}}
                      for p in item.predecessors]  # fmt: skip
        return {"id": item.id, "rev": 1, "fields": fields, "relations": relations, "url": self.url(item.id)}
