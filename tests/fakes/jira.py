"""A stateful Jira on loopback for the connector's tests: a real HTTP server (Werkzeug) holding a project's
issues, boards and sprints, whose every request from artsync and every answer it sends is validated against
Atlassian's own OpenAPI documents in ../shared/contracts (openapi-core). A request that strays from the vendor's
contract is a violation the tests fail on. Faults — rate limits, outages, a revoked token — are set per test.

The documents name Atlassian's server; the fake stands in for it at its own address (``servers`` is the one thing
changed when they are loaded).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fakes.contracts import CheckedFake, ok

CATEGORY = {"to do": ("To Do", "new"), "in progress": ("In Progress", "indeterminate"), "done": ("Done", "done")}


@dataclass
class Issue:
    key: str
    summary: str
    type: str  # "Feature" or "Story"
    parent: str | None = None
    board: int | None = None
    sprint: int | None = None
    points: float | None = None
    status: str = "to do"
    flagged: bool = False
    labels: list[str] = field(default_factory=list)
    fix_versions: list[str] = field(default_factory=list)
    updated: datetime = field(default_factory=lambda: datetime(2026, 11, 1, 9, 0, tzinfo=UTC))


class FakeJira(CheckedFake):
    """Jira Cloud, as much of it as the connector uses, with the state a test gives it."""

    documents = {r"/rest/agile/": "jira-software.json", r"/rest/api/3/": "jira-platform.json"}  # noqa: RUF012

    def __init__(self, project: str = "PAY") -> None:
        super().__init__()
        self.project = project
        self.issues: dict[str, Issue] = {}
        self.sprints: dict[int, list[dict[str, Any]]] = {}
        self.queries: list[str] = []  # the JQL of every search
        self.clock = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
        self.during_pages: Callable[[], None] | None = None  # runs once, between the first two pages
        self.links: dict[int, tuple[str, str]] = {}  # link id → (the waiting issue, the issue it waits for)
        self.writes: list[str] = []  # what artsync changed in Jira, in order
        self.ordered: list[str] = []  # the keys in key order
        self.versions: list[tuple[str, str | None]] = []  # the project's fix versions: name, release day

    # The state.

    def sprint(self, board: int, sprint_id: int, name: str, start: str, end: str, state: str = "future") -> None:
        self.sprints.setdefault(board, []).append(
            {"id": sprint_id, "self": f"{self.base}/rest/agile/1.0/sprint/{sprint_id}", "state": state, "name": name,
             "startDate": f"{start}T09:00:00.000Z", "endDate": f"{end}T17:00:00.000Z", "originBoardId": board}
        )  # fmt: skip

    def add(self, issue: Issue) -> Issue:
        self.issues[issue.key] = issue
        return issue

    def link(self, waiting: str, blocker: str) -> int:
        link_id = 10000 + len(self.links) + 1
        while link_id in self.links:
            link_id += 1
        self.links[link_id] = (waiting, blocker)
        return link_id

    def touch(self, key: str) -> None:
        self.clock += timedelta(minutes=5)
        self.issues[key].updated = self.clock

    def change(self, key: str, **values: Any) -> None:
        """Someone edits the issue in Jira: it changes, and so does its ``updated``."""
        with self.lock:
            self.clock += timedelta(minutes=5)
            issue = self.issues[key]
            for name, value in values.items():
                setattr(issue, name, value)
            issue.updated = self.clock

    # The server.

    def route(self, request: Request) -> Response:
        path = request.path
        if path == "/rest/api/3/myself":
            return ok({"accountId": "5b10a2844c20165700ede21g", "emailAddress": "rte@example.com",
                       "displayName": "Rita", "active": True, "timeZone": "UTC"})  # fmt: skip
        if path == "/rest/api/3/field":
            return ok([
                {"id": "summary", "name": "Summary", "custom": False},
                {"id": "customfield_10016", "name": "Story point estimate", "custom": True},
                {"id": "customfield_10021", "name": "Flagged", "custom": True},
                {"id": "customfield_10020", "name": "Sprint", "custom": True},
            ])  # fmt: skip
        if path == f"/rest/api/3/project/{self.project}/versions":
            return ok([{"id": str(n), "name": name, "released": False, **({"releaseDate": due} if due else {}),
                        "self": f"{self.base}/rest/api/3/version/{n}"}
                       for n, (name, due) in enumerate(self.versions, start=10000)])  # fmt: skip
        if path == "/rest/api/3/search/jql" and request.method == "POST":
            return self.search(request.get_json())
        if path == "/rest/api/3/issueLink" and request.method == "POST":
            body = request.get_json()
            blocker, waiting = body["inwardIssue"]["key"], body["outwardIssue"]["key"]
            self.link(waiting, blocker)
            self.writes.append(f"link {waiting} is blocked by {blocker}")
            return Response("{}", status=201, content_type="application/json")  # the contract declares a body
        match = re.fullmatch(r"/rest/api/3/issueLink/(\d+)", path)
        if match and request.method == "DELETE":
            waiting, blocker = self.links.pop(int(match.group(1)))
            self.writes.append(f"unlink {waiting} from {blocker}")
            return Response(status=204)
        match = re.fullmatch(r"/rest/api/3/issue/([A-Z]+-\d+)(/transitions)?", path)
        if match and match.group(1) in self.issues:
            issue = self.issues[match.group(1)]
            if not match.group(2):
                return ok(self.bean(issue))
            if request.method == "GET":
                return ok({"transitions": [
                    {"id": str(n), "name": name, "to": {"name": name, "statusCategory": {"key": key, "name": name}}}
                    for n, (name, key) in enumerate(CATEGORY.values(), start=11)
                ]})  # fmt: skip
            chosen = int(request.get_json()["transition"]["id"]) - 11
            with self.lock:
                issue.status = list(CATEGORY)[chosen]
                self.touch(issue.key)
            self.writes.append(f"transition {issue.key} to {issue.status}")
            return Response("{}", status=204, content_type="application/json")  # the contract declares a body
        match = re.fullmatch(r"/rest/agile/1\.0/(sprint/(\d+)|backlog)/issue", path)
        if match and request.method == "POST":
            sprint = int(match.group(2)) if match.group(2) else None
            with self.lock:
                for key in request.get_json()["issues"]:
                    self.issues[key].sprint = sprint
                    self.touch(key)
            self.writes.append(f"move {','.join(request.get_json()['issues'])} to {sprint or 'the backlog'}")
            return Response(status=204)
        match = re.fullmatch(r"/rest/agile/1\.0/board/(\d+)/(issue|sprint)", path)
        if match and request.method == "GET":
            board = int(match.group(1))
            start = int(request.args.get("startAt", 0))
            size = int(request.args.get("maxResults", 50))
            if match.group(2) == "sprint":
                values = self.sprints.get(board, [])
                page = values[start : start + size]
                return ok({"maxResults": size, "startAt": start, "isLast": start + size >= len(values), "values": page})
            found = self.matching(request.args.get("jql", ""), board)
            answer = ok({"startAt": start, "maxResults": size, "total": len(found),
                         "issues": [self.bean(i) for i in found[start : start + size]]})  # fmt: skip
            if start == 0 and len(found) > size:
                self.between_pages()  # after the first page was read, before the second is asked for
            return answer
        return Response(json.dumps({"errorMessages": [f"no route {path}"]}), status=404,
                        content_type="application/json")  # fmt: skip

    def search(self, body: dict[str, Any]) -> Response:
        found = self.matching(body["jql"])
        start = int(body.get("nextPageToken") or 0)
        size = int(body.get("maxResults") or 50)
        last = start + size >= len(found)
        result: dict[str, Any] = {"issues": [self.bean(i) for i in found[start : start + size]], "isLast": last}
        if not last:
            result["nextPageToken"] = str(start + size)
            if start == 0:
                self.between_pages()
        return ok(result)

    def between_pages(self) -> None:
        if self.during_pages is not None:
            run, self.during_pages = self.during_pages, None
            run()

    def matching(self, jql: str, board: int | None = None) -> list[Issue]:
        """The little JQL the connector writes: project, issue type, updated since, key order (on a board)."""
        self.queries.append(jql)
        with self.lock:
            if len(self.ordered) != len(self.issues):  # issues were added: sort again
                self.ordered = sorted(self.issues, key=key_order)
            issues = [self.issues[key] for key in self.ordered]
        if board is not None:
            issues = [i for i in issues if i.board == board]
        wanted_type = re.search(r'issuetype = "([^"]+)"', jql)
        since = re.search(r'updated >= "([^"]+)"', jql)
        if wanted_type:
            issues = [i for i in issues if i.type == wanted_type.group(1)]
        if since:
            moment = datetime.strptime(since.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
            issues = [i for i in issues if i.updated.replace(second=0, microsecond=0) >= moment]
        return issues

    def bean(self, issue: Issue) -> dict[str, Any]:
        name, category = CATEGORY[issue.status]
        kind = {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"}
        links = [
            {"id": str(n), "type": kind, "inwardIssue": {"key": blocker}} if waiting == issue.key
            else {"id": str(n), "type": kind, "outwardIssue": {"key": waiting}}
            for n, (waiting, blocker) in sorted(self.links.items())
            if issue.key in (waiting, blocker)
        ]  # fmt: skip
        sprint = next((s for s in self.sprints.get(issue.board or 0, []) if s["id"] == issue.sprint), None)
        fields: dict[str, Any] = {
            "summary": issue.summary,
            "issuetype": {"name": issue.type},
            "status": {"name": name, "statusCategory": {"key": category, "name": name}},
            "issuelinks": links,
            "labels": issue.labels,
            "updated": issue.updated.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "customfield_10016": issue.points,
            "customfield_10021": [{"value": "Impediment"}] if issue.flagged else None,
            "sprint": sprint,
            "closedSprints": [],
            "fixVersions": [{"name": name} for name in issue.fix_versions],
        }
        if issue.parent:
            fields["parent"] = {"key": issue.parent}
        return {"id": str(abs(hash(issue.key)) % 10**6), "key": issue.key, "self": f"{self.base}/issue/{issue.key}",
                "fields": fields}  # fmt: skip


def key_order(key: str) -> tuple[str, int]:
    project, _, number = key.rpartition("-")
    return project, int(number) if number.isdigit() else 0
