"""Jira (Cloud or Data Center): a project's features and its teams' boards, sprints and links, as tracker items.

What is read (the endpoints of ../shared/contracts/jira-platform.json and jira-software.json):

- ``GET /rest/api/3/myself`` — the user's time zone, in which JQL reads dates;
- ``GET /rest/api/3/field`` — the fields by name: story points ("Story Points", "Story point estimate" or the
  connection's ``points_field``), the WSJF fields the connection names, "Flagged";
- ``POST /rest/api/3/search/jql`` — the features (``issuetype = <feature_type>``), page by page with
  ``nextPageToken``;
- per team, ``GET /rest/agile/1.0/board/{id}/sprint`` (its sprints, the team's iterations) and
  ``GET /rest/agile/1.0/board/{id}/issue`` (the items on its board, with their sprint), page by page with
  ``startAt``, in key order; eight boards are read at a time.

An incremental pull adds ``updated >= "<cursor>"`` to every query; the cursor is the newest change seen, in the
user's time zone to the minute (JQL's resolution), so the boundary minute is read again and nothing is missed.
"""

from __future__ import annotations

import base64
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from artsync.connectors.http import TrackerClient
from artsync.domain.plan import split_card_ref
from artsync.domain.tracker import Item, Progress, Release, Sprint, sprint_iteration
from artsync.domain.wsjf import SCALE, WsjfInputs
from artsync.errors import TrackerError
from artsync.formats.connection import ConnectionFile, TeamMap
from artsync.services.connections import Fetched, PushContext

POINTS_NAMES = ("Story Points", "Story point estimate")
PAGE = 100
BOARDS_AT_ONCE = 8  # the teams' boards are read side by side: a pull waits for the slowest, not for their sum
PROGRESS = {"new": Progress.TO_DO, "indeterminate": Progress.IN_PROGRESS, "done": Progress.DONE}
BLOCKING_LINKS = ("blocks",)  # link types (by name, lower case) whose inward side waits for the outward one


class TokenAuth(httpx.Auth):
    """Jira Cloud: basic auth with the e-mail and an API token; Data Center: a personal access token."""

    def __init__(self, user: str | None, token: str) -> None:
        if user:
            self.header = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()
        else:
            self.header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.header
        yield request


def client(settings: ConnectionFile, token: str, **options: Any) -> TrackerClient:
    tracker = settings.tracker
    return TrackerClient(
        tracker.base_url,
        auth=TokenAuth(tracker.user, token),
        what=f"Jira at {tracker.base_url} (project {tracker.project})",
        token_env=tracker.token_env,
        **options,
    )


def fetch(http: TrackerClient, settings: ConnectionFile, cursor: str | None = None) -> Fetched:
    """Every feature and team item of the project, or — with ``cursor`` — those changed since."""
    tracker = settings.tracker
    zone = ZoneInfo(http.call("GET", "/rest/api/3/myself").get("timeZone") or "UTC")
    fields = Fields(http.call("GET", "/rest/api/3/field"), settings)
    since = f' AND updated >= "{cursor}"' if cursor else ""
    newest: list[datetime] = []
    items: dict[str, Item] = {}
    jql = f'project = "{tracker.project}" AND issuetype = "{tracker.feature_type}"{since} ORDER BY key ASC'
    for issue in search(http, jql, fields.wanted):
        items[issue["key"]] = fields.item(issue, team=None)
        newest.append(updated(issue))
    releases: tuple[Release, ...] = ()
    if tracker.milestones == "fix-versions":
        versions = http.call("GET", f"/rest/api/3/project/{quote(tracker.project, safe='')}/versions")
        releases = tuple(Release(str(v["name"]), day(v.get("releaseDate"))) for v in versions or [] if v.get("name"))
    board_jql = f'project = "{tracker.project}"{since} ORDER BY key ASC'

    def read_board(team: TeamMap) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
        board = int(team.board or 0)
        return team.name, list(board_sprints(http, board)), list(board_issues(http, board, board_jql))

    sprints: list[Sprint] = []
    with ThreadPoolExecutor(max_workers=BOARDS_AT_ONCE, thread_name_prefix="jira") as boards:
        for team, found_sprints, issues in boards.map(read_board, settings.team):  # in the file's order
            sprints += [sprint(s, team) for s in found_sprints]
            for issue in issues:
                if issue["key"] in items and items[issue["key"]].team not in (None, team):
                    continue  # on two teams' boards: the first team's
                items[issue["key"]] = fields.item(issue, team=team)
                newest.append(updated(issue))
    latest = max(newest, default=None)
    next_cursor = latest.astimezone(zone).strftime("%Y-%m-%d %H:%M") if latest else cursor
    return Fetched(tuple(items.values()), tuple(sprints), complete=cursor is None, cursor=next_cursor,
                   releases=releases)  # fmt: skip


def search(http: TrackerClient, jql: str, fields: list[str]) -> Iterator[dict[str, Any]]:
    """Issues found by JQL, page after page (``nextPageToken``), each once."""
    seen: set[str] = set()
    token: str | None = None
    while True:
        body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": PAGE}
        if token:
            body["nextPageToken"] = token
        page = http.call("POST", "/rest/api/3/search/jql", body=body)
        for issue in page.get("issues") or []:
            if issue["key"] not in seen:
                seen.add(issue["key"])
                yield issue
        token = page.get("nextPageToken")
        if page.get("isLast", True) or not token:
            return


def board_issues(http: TrackerClient, board: int, jql: str) -> Iterator[dict[str, Any]]:
    """The issues on a board (its backlog and sprints), page after page (``startAt``), each once."""
    seen: set[str] = set()
    start = 0
    while True:
        # No ``fields``: the agile API's contract types them as objects, and by default it returns every
        # navigable and agile field — the sprint among them.
        params: dict[str, Any] = {"jql": jql, "startAt": start, "maxResults": PAGE}
        page = http.call("GET", f"/rest/agile/1.0/board/{board}/issue", params=params)
        issues = page.get("issues") or []
        for issue in issues:
            if issue["key"] not in seen:
                seen.add(issue["key"])
                yield issue
        start += len(issues)
        if not issues or start >= int(page.get("total", 0)):
            return


def board_sprints(http: TrackerClient, board: int) -> Iterator[dict[str, Any]]:
    start = 0
    while True:
        page = http.call("GET", f"/rest/agile/1.0/board/{board}/sprint", params={"startAt": start, "maxResults": 50})
        values = page.get("values") or []
        yield from values
        start += len(values)
        if not values or page.get("isLast", True):
            return


def sprint(record: dict[str, Any], team: str) -> Sprint:
    return Sprint(str(record["id"]), team, str(record.get("name") or record["id"]),
                  day(record.get("startDate")), day(record.get("endDate")))  # fmt: skip


def day(moment: str | None) -> date | None:
    return date.fromisoformat(moment[:10]) if moment else None


def updated(issue: dict[str, Any]) -> datetime:
    return datetime.strptime(issue["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.%f%z")


class Fields:
    """The project's fields by name, and how an issue's fields become a tracker item."""

    def __init__(self, listed: list[dict[str, Any]], settings: ConnectionFile) -> None:
        by_name = {str(f.get("name", "")).lower(): str(f["id"]) for f in listed}
        names = [settings.tracker.points_field] if settings.tracker.points_field else list(POINTS_NAMES)
        self.points = next((by_name[n.lower()] for n in names if n.lower() in by_name), None)
        self.flagged = by_name.get("flagged")
        wsjf = settings.tracker.wsjf
        self.wsjf = {
            name: by_name.get(str(getattr(wsjf, name)).lower()) for name in ("ubv", "tc", "rroe", "size")
        } if wsjf.ubv and wsjf.tc and wsjf.rroe and wsjf.size else None  # fmt: skip
        self.feature_type = settings.tracker.feature_type.lower()
        self.blocked_statuses = {s.lower() for s in settings.tracker.blocked_statuses}
        extra = [f for f in (self.points, self.flagged, *(self.wsjf or {}).values()) if f]
        self.wanted = ["summary", "status", "issuetype", "parent", "issuelinks", "labels", "updated", "sprint",
                       "closedSprints", "fixVersions", *extra]  # fmt: skip

    def item(self, issue: dict[str, Any], *, team: str | None) -> Item:
        f = issue.get("fields") or {}
        status = f.get("status") or {}
        category = ((status.get("statusCategory") or {}).get("key")) or "new"
        flagged = bool(f.get(self.flagged)) if self.flagged else bool(f.get("flagged"))
        is_feature = str((f.get("issuetype") or {}).get("name", "")).lower() == self.feature_type
        return Item(
            key=issue["key"],
            title=str(f.get("summary") or issue["key"]),
            is_feature=is_feature,
            parent=None if is_feature else (f.get("parent") or {}).get("key"),
            team=team,
            sprint=latest_sprint(f),
            points=round(float(f.get(self.points) or 0)) if self.points else 0,
            progress=PROGRESS.get(category, Progress.TO_DO),
            blocked=flagged or str(status.get("name", "")).lower() in self.blocked_statuses,
            blocked_by=blocked_by(f.get("issuelinks") or []),
            wsjf=self.scores(f) if is_feature else None,
            kind="enabler" if any(str(label).lower() == "enabler" for label in f.get("labels") or []) else "business",
            releases=tuple(str(v.get("name")) for v in f.get("fixVersions") or [] if v.get("name")),
        )

    def scores(self, f: dict[str, Any]) -> WsjfInputs | None:
        if not self.wsjf:
            return None
        return wsjf_of({name: f.get(field_id) for name, field_id in self.wsjf.items() if field_id})


def latest_sprint(f: dict[str, Any]) -> str | None:
    """The sprint an issue is in now, or else the last one it was in."""
    if f.get("sprint"):
        return str(f["sprint"]["id"])
    closed = sorted(f.get("closedSprints") or [], key=lambda s: str(s.get("endDate") or ""))
    return str(closed[-1]["id"]) if closed else None


def blocked_by(links: list[dict[str, Any]]) -> tuple[str, ...]:
    """The keys of the issues this one waits for: in its links, the inward side of a blocking link."""
    return tuple(
        sorted(
            link["inwardIssue"]["key"]
            for link in links
            if str((link.get("type") or {}).get("name", "")).lower() in BLOCKING_LINKS and link.get("inwardIssue")
        )
    )


def wsjf_of(values: dict[str, Any]) -> WsjfInputs | None:
    """WSJF inputs from a tracker's field values (``ubv``, ``tc``, ``rroe``, ``size``), each snapped to the scale;
    None unless all four are there."""
    scored = {name: on_scale(values.get(name)) for name in ("ubv", "tc", "rroe", "size")}
    if any(v is None for v in scored.values()):
        return None
    return WsjfInputs(**scored)  # type: ignore[arg-type]


def on_scale(value: Any) -> int | None:
    """A WSJF field's value (a number, or an option whose value is one) on the scale, the nearest step."""
    if isinstance(value, dict):
        value = value.get("value")
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return min(SCALE, key=lambda step: abs(step - number))


# Pushing a change made on the board to Jira (each one safe to send twice).

CATEGORY_OF = {"done": "done", "in progress": "indeterminate", "not started": "new"}  # blocked: the team's flag


def push_one(http: TrackerClient, context: PushContext, change: dict[str, Any]) -> None:
    op = change["op"]
    if op in ("move", "status"):
        team = split_card_ref(change["ref"])[1]
        keys = context.card_items(change["ref"])
        if not keys:
            return  # a card made on the board: nothing of it in Jira
        if op == "move":
            move(http, context, team, change["iteration"], keys)
        else:
            transition(http, context, keys, change["status"])
        return
    consumer, provider = (context.card_items(change[end]) for end in ("consumer", "provider"))
    if not consumer or not provider:
        return  # one end was made on the board: the link has nowhere to go in Jira
    links = http.call("GET", f"/rest/api/3/issue/{consumer[0]}", params={"fields": "issuelinks"})
    existing = [
        link
        for link in (links.get("fields") or {}).get("issuelinks") or []
        if str((link.get("type") or {}).get("name", "")).lower() in BLOCKING_LINKS
        and (link.get("inwardIssue") or {}).get("key") in provider
    ]
    if op == "link" and not existing:
        # Jira reads a created link as "inwardIssue <outward description> outwardIssue": provider blocks consumer.
        http.call("POST", "/rest/api/3/issueLink", body={
            "type": {"name": "Blocks"}, "inwardIssue": {"key": provider[0]}, "outwardIssue": {"key": consumer[0]},
        })  # fmt: skip
    elif op == "unlink":
        for link in existing:
            http.call("DELETE", f"/rest/api/3/issueLink/{link['id']}")


def move(http: TrackerClient, context: PushContext, team: str, iteration: int | None, keys: list[str]) -> None:
    if iteration is None:
        http.call("POST", "/rest/agile/1.0/backlog/issue", body={"issues": keys})
        return
    sprint = next((s for s in context.sprints if s.team == team and sprint_iteration(context.pi, s) == iteration), None)
    if sprint is None:
        raise TrackerError(f"{team}'s board in Jira has no sprint in iteration {iteration}: create it, the move waits")
    http.call("POST", f"/rest/agile/1.0/sprint/{sprint.id}/issue", body={"issues": keys})


def transition(http: TrackerClient, context: PushContext, keys: list[str], status: str) -> None:
    wanted = CATEGORY_OF.get(status)
    if wanted is None:
        return
    for key in keys:
        item = context.items.get(key)
        if item is not None and PROGRESS.get(wanted) is item.progress:
            continue
        found = http.call("GET", f"/rest/api/3/issue/{key}/transitions").get("transitions") or []
        to = next((t for t in found if ((t.get("to") or {}).get("statusCategory") or {}).get("key") == wanted), None)
        if to is None:
            raise TrackerError(f"{key} has no transition to a {status!r} status in Jira's workflow")
        http.call("POST", f"/rest/api/3/issue/{key}/transitions", body={"transition": {"id": str(to["id"])}})
