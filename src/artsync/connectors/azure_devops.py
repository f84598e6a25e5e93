"""Azure DevOps: a project's features and the teams' work items, iterations and dependency links, as tracker items.

What is read (the endpoints of ../shared/contracts/azure-devops-wit-7.1.json, api-version 7.1):

- ``POST /{org}/{project}/{team}/_apis/wit/wiql`` — the ids of the project's work items (changed since the cursor,
  to the second with ``timePrecision``), in id order, in pages of ``WIQL_PAGE`` (a query may not answer more than
  20,000);
- ``POST /{org}/{project}/_apis/wit/workitemsbatch`` — those items, 200 at a time, with their relations (parent,
  predecessors);
- ``GET /{org}/{project}/_apis/wit/classificationnodes`` — the iteration tree with its dates;
- ``GET /{org}/{project}/_apis/wit/workitemtypes/{type}/states`` — each state's category (Proposed, In Progress,
  Resolved, Completed, Removed).

A work item belongs to the team whose area path holds its own (the longest that does); its iteration path names
the iteration whose dates place it in the PI; a Predecessor link (``System.LinkTypes.Dependency-Reverse``) says
it waits for the other item; an item at the project's root iteration is in the backlog (unplanned). Keys are
``<project letters>-<id>`` (``PAY-123``).
"""

from __future__ import annotations

import base64
from collections.abc import Generator, Iterator
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx

from artsync.connectors.http import TrackerClient
from artsync.connectors.jira import wsjf_of
from artsync.domain.tracker import Item, Progress, Release, Sprint, sprint_iteration
from artsync.domain.wsjf import WsjfInputs
from artsync.errors import TrackerError
from artsync.formats.connection import ConnectionFile
from artsync.services.connections import Fetched, PushContext

VERSION = {"api-version": "7.1"}
BATCH = 200  # workitemsbatch takes at most 200 ids
WIQL_PAGE = 10_000  # ids asked of one query: Azure DevOps refuses a query whose answer would pass 20,000
PROGRESS = {"Proposed": Progress.TO_DO, "InProgress": Progress.IN_PROGRESS, "Resolved": Progress.IN_PROGRESS,
            "Completed": Progress.DONE}  # fmt: skip
POINTS = ("Microsoft.VSTS.Scheduling.StoryPoints", "Microsoft.VSTS.Scheduling.Effort", "Microsoft.VSTS.Scheduling.Size")
PARENT = "System.LinkTypes.Hierarchy-Reverse"
PREDECESSOR = "System.LinkTypes.Dependency-Reverse"
TARGET_DATE = "Microsoft.VSTS.Scheduling.TargetDate"


class PersonalAccessToken(httpx.Auth):
    """Basic auth with an empty user name and the personal access token as the password."""

    def __init__(self, token: str) -> None:
        self.header = "Basic " + base64.b64encode(f":{token}".encode()).decode()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.header
        yield request


def client(settings: ConnectionFile, token: str, **options: Any) -> TrackerClient:
    tracker = settings.tracker
    return TrackerClient(
        tracker.base_url,
        auth=PersonalAccessToken(token),
        what=f"Azure DevOps at {tracker.base_url} (project {tracker.project})",
        token_env=tracker.token_env,
        **options,
    )


def fetch(http: TrackerClient, settings: ConnectionFile, cursor: str | None = None) -> Fetched:
    """Every work item of the project, or — with ``cursor`` — those changed since."""
    tracker = settings.tracker
    project = quote(tracker.project, safe="")
    query_team = quote(tracker.query_team or f"{tracker.project} Team", safe="")
    since = f" AND [System.ChangedDate] >= '{cursor}'" if cursor else ""
    ids: list[int] = []
    while True:  # a query answers at most 20,000 items (more is an error): pages of WIQL_PAGE, in id order
        after = f" AND [System.Id] > {ids[-1]}" if ids else ""
        wiql = ("SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project"
                f"{since}{after} ORDER BY [System.Id]")  # fmt: skip
        params = {**VERSION, "timePrecision": "true", "$top": WIQL_PAGE}
        found = http.call("POST", f"/{project}/{query_team}/_apis/wit/wiql", params=params, body={"query": wiql})
        page = sorted({int(w["id"]) for w in found.get("workItems") or []})
        ids.extend(page)
        if len(page) < WIQL_PAGE:
            break
    records = list(work_items(http, project, ids))
    sprints = iterations(
        http.call("GET", f"/{project}/_apis/wit/classificationnodes", params={**VERSION, "$depth": 10})
    )
    categories: dict[str, dict[str, str]] = {}
    for kind in sorted({r["fields"].get("System.WorkItemType", "") for r in records} - {""}):
        states = http.call("GET", f"/{project}/_apis/wit/workitemtypes/{quote(kind, safe='')}/states", params=VERSION)
        listed = states.get("value", []) if isinstance(states, dict) else states
        categories[kind] = {s["name"]: s.get("category", "") for s in listed}
    prefix = settings.key_prefix
    items = []
    changed: list[str] = []
    for record in records:
        fields = record["fields"]
        category = categories.get(fields.get("System.WorkItemType", ""), {}).get(fields.get("System.State", ""), "")
        if category == "Removed":
            continue
        items.append(item(record, prefix, settings, category))
        changed.append(str(fields.get("System.ChangedDate") or ""))
    latest = max(changed, default=None) or cursor
    releases: tuple[Release, ...] = ()
    if tracker.milestones == "target-dates":  # the features due the same day make one milestone
        due = {r["id"]: str(r["fields"].get(TARGET_DATE) or "")[:10] for r in records}
        items = [replace(i, releases=(f"Target {due[int(item_id(i.key))]}",)) if i.is_feature
                 and due.get(int(item_id(i.key))) else i for i in items]  # fmt: skip
        releases = tuple(Release(f"Target {day}", date.fromisoformat(day)) for day in sorted(set(due.values()) - {""}))
    return Fetched(tuple(items), tuple(sprints), complete=cursor is None, cursor=latest, releases=releases)


def work_items(http: TrackerClient, project: str, ids: list[int]) -> Iterator[dict[str, Any]]:
    """The work items ``ids``, 200 at a time, with their relations; each once."""
    seen: set[int] = set()
    for at in range(0, len(ids), BATCH):
        body = {"ids": ids[at : at + BATCH], "$expand": "relations", "errorPolicy": "omit"}
        answer = http.call("POST", f"/{project}/_apis/wit/workitemsbatch", params=VERSION, body=body)
        for record in answer.get("value", []) if isinstance(answer, dict) else answer:
            if record and record.get("id") not in seen:  # an item deleted meanwhile comes back as null: left out
                seen.add(record["id"])
                yield record


def iterations(roots: Any) -> list[Sprint]:
    """Every iteration with dates in the project's tree, by the path a work item names it with."""
    found: list[Sprint] = []

    def walk(node: dict[str, Any]) -> None:
        attributes = node.get("attributes") or {}
        start, finish = attributes.get("startDate"), attributes.get("finishDate")
        if node.get("structureType") == "iteration" and start and finish:
            found.append(Sprint(iteration_path(str(node.get("path", ""))), "", str(node.get("name", "")),
                                date.fromisoformat(str(start)[:10]), date.fromisoformat(str(finish)[:10])))  # fmt: skip
        for child in node.get("children") or []:
            walk(child)

    for root in roots.get("value", []) if isinstance(roots, dict) else roots:
        walk(root)
    return found


def iteration_path(node_path: str) -> str:
    r"""A node's path (``\PAY\Iteration\Sprint 3``) as work items name it (``PAY\Sprint 3``)."""
    parts = node_path.strip("\\").split("\\")
    if len(parts) > 1 and parts[1] == "Iteration":
        del parts[1]
    return "\\".join(parts)


def item(record: dict[str, Any], prefix: str, settings: ConnectionFile, category: str) -> Item:
    fields = record["fields"]
    relations = record.get("relations") or []

    def linked(kind: str) -> list[str]:
        return [f"{prefix}-{r['url'].rstrip('/').rsplit('/', 1)[1]}" for r in relations if r.get("rel") == kind]

    is_feature = fields.get("System.WorkItemType") == settings.tracker.feature_type
    team = settings.team_of_area(str(fields.get("System.AreaPath") or ""))
    points = next((fields[name] for name in (settings.tracker.points_field, *POINTS) if name and fields.get(name)), 0)
    tags = [t.strip().lower() for t in str(fields.get("System.Tags") or "").split(";")]
    state = str(fields.get("System.State") or "")
    blocked = fields.get("Microsoft.VSTS.CMMI.Blocked") == "Yes" or "blocked" in tags
    return Item(
        key=f"{prefix}-{record['id']}",
        title=str(fields.get("System.Title") or record["id"]),
        is_feature=is_feature,
        parent=None if is_feature else next(iter(linked(PARENT)), None),
        team=team,
        sprint=iteration if "\\" in (iteration := str(fields.get("System.IterationPath") or "")) else None,
        points=round(float(points or 0)),
        progress=PROGRESS.get(category, Progress.TO_DO),
        blocked=blocked or state.lower() in {s.lower() for s in settings.tracker.blocked_statuses},
        blocked_by=tuple(sorted(linked(PREDECESSOR))),
        wsjf=scores(fields, settings) if is_feature else None,
        kind="enabler" if "enabler" in tags else "business",
    )


def scores(fields: dict[str, Any], settings: ConnectionFile) -> WsjfInputs | None:
    wsjf = settings.tracker.wsjf
    names = {"ubv": wsjf.ubv, "tc": wsjf.tc, "rroe": wsjf.rroe, "size": wsjf.size}
    if not all(names.values()):
        return None
    return wsjf_of({name: fields.get(str(field)) for name, field in names.items()})


# Pushing a change made on the board to Azure DevOps (each one safe to send twice): JSON Patch on the work items.

CATEGORY_OF = {"not started": "Proposed", "in progress": "InProgress", "done": "Completed"}  # blocked: the team's
PATCH = "application/json-patch+json"


def push_one(http: TrackerClient, context: PushContext, change: dict[str, Any]) -> None:
    tracker = context.connection.settings.tracker
    project = quote(tracker.project, safe="")
    if change["op"] in ("move", "status"):
        for key in context.card_items(change["ref"]):
            if change["op"] == "move":
                path = iteration_for(context, change["iteration"], tracker.project)
                patch(http, project, key, [{"op": "replace", "path": "/fields/System.IterationPath", "value": path}])
            else:
                set_state(http, project, key, change["status"])
        return
    consumer, provider = (context.card_items(change[end]) for end in ("consumer", "provider"))
    if not consumer or not provider:
        return  # one end was made on the board: the link has nowhere to go
    record = http.call("GET", f"/{project}/_apis/wit/workitems/{item_id(consumer[0])}",
                       params={**VERSION, "$expand": "relations"})  # fmt: skip
    target = f"/workItems/{item_id(provider[0])}"
    at = [n for n, r in enumerate(record.get("relations") or [])
          if r.get("rel") == PREDECESSOR and str(r.get("url", "")).endswith(target)]  # fmt: skip
    if change["op"] == "link" and not at:
        url = f"{http.http.base_url}{project}/_apis/wit/workItems/{item_id(provider[0])}"
        patch(http, project, consumer[0], [{"op": "add", "path": "/relations/-",
                                            "value": {"rel": PREDECESSOR, "url": url}}])  # fmt: skip
    elif change["op"] == "unlink":
        for index in sorted(at, reverse=True):  # from the last, so the indexes still hold
            patch(http, project, consumer[0], [{"op": "remove", "path": f"/relations/{index}"}])


def item_id(key: str) -> str:
    return key.rsplit("-", 1)[1]


def patch(http: TrackerClient, project: str, key: str, operations: list[dict[str, Any]]) -> None:
    http.call("PATCH", f"/{project}/_apis/wit/workitems/{item_id(key)}", params=VERSION, body=operations,
              content_type=PATCH)  # fmt: skip


def iteration_for(context: PushContext, iteration: int | None, project: str) -> str:
    if iteration is None:
        return project  # the project's root iteration: the backlog
    found = next((s for s in context.sprints if sprint_iteration(context.pi, s) == iteration), None)
    if found is None:
        raise TrackerError(
            f"Azure DevOps has no iteration with dates in iteration {iteration}: add one, the move waits"
        )
    return found.id


def set_state(http: TrackerClient, project: str, key: str, status: str) -> None:
    wanted = CATEGORY_OF.get(status)
    if wanted is None:
        return
    record = http.call("GET", f"/{project}/_apis/wit/workitems/{item_id(key)}", params=VERSION)
    kind = str(record["fields"].get("System.WorkItemType", ""))
    states = http.call("GET", f"/{project}/_apis/wit/workitemtypes/{quote(kind, safe='')}/states", params=VERSION)
    listed = states.get("value", []) if isinstance(states, dict) else states
    now = next((s for s in listed if s["name"] == record["fields"].get("System.State")), None)
    if now is not None and now.get("category") == wanted:
        return
    to = next((s["name"] for s in listed if s.get("category") == wanted), None)
    if to is None:
        raise TrackerError(f"{key}'s type {kind!r} has no state in the {wanted} category")
    patch(http, project, key, [{"op": "replace", "path": "/fields/System.State", "value": to}])
