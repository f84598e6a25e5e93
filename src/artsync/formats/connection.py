"""A connection file: which tracker a train's teams work in, and how its items map onto the plan (TOML).

```toml
[tracker]
kind = "jira"                            # or "azure-devops"
url = "https://example.atlassian.net"    # Jira Cloud or Data Center; Azure DevOps: https://dev.azure.com/ORG
user = "rte@example.com"                 # Jira Cloud: the e-mail the API token belongs to; else leave it out
token_env = "JIRA_TOKEN"                 # the variable the token is read from: never stored, never logged
project = "PAY"                          # Jira project key / Azure DevOps project name
feature_type = "Feature"                 # the issue type (or "Epic") / work item type that is a feature
[train]
key = "PAY"
[[team]]
name = "Atlas"
board = 12                               # Jira: the team's board; Azure DevOps: area_path = "PAY\\Atlas"
```

Optional: ``points_field`` (found by name when left out), ``blocked_statuses`` (statuses that mean blocked,
besides the flag), ``webhook_secret_env`` (the variable holding the secret Jira signs webhooks with),
``[tracker.wsjf]`` (the fields holding ``ubv``, ``tc``, ``rroe`` and ``size``), and
``[rules]`` (who wins a field both sides changed: ``status``, ``points``, ``iteration``,
``iteration_in_planning`` = ``"tracker"`` or ``"artsync"``).
"""

from __future__ import annotations

import os
import re
import tomllib
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from artsync.domain.tracker import Rules, Winner
from artsync.errors import InvalidInputError

Name = Annotated[str, Field(min_length=1, max_length=200)]
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TrackerKind(StrEnum):
    JIRA = "jira"
    AZURE_DEVOPS = "azure-devops"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WsjfFields(Strict):
    ubv: Name | None = None
    tc: Name | None = None
    rroe: Name | None = None
    size: Name | None = None


class Tracker(Strict):
    kind: TrackerKind
    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/[^\s]*)?$", max_length=500)]
    user: Name | None = None
    token_env: Annotated[str, Field(pattern=ENV_NAME.pattern, max_length=100)]
    project: Name
    feature_type: Name = "Feature"
    points_field: Name | None = None
    blocked_statuses: list[Name] = Field(default_factory=list)
    wsjf: WsjfFields = WsjfFields()
    webhook_secret_env: Annotated[str | None, Field(pattern=ENV_NAME.pattern, max_length=100)] = None
    query_team: Name | None = Field(None, description="Azure DevOps: the team queries run as (the project's own)")
    csv_team_column: Name | None = Field(None, description="Jira's CSV export: the column naming each issue's team")
    milestones: Literal["fix-versions", "target-dates"] | None = Field(
        None,
        description="Jira: the fix versions due within the PI become milestones (fix-versions); Azure DevOps: the "
        "features' target dates do, one milestone a day (target-dates)",
    )

    @property
    def base_url(self) -> str:
        return self.url.rstrip("/")


class TrainRef(Strict):
    key: Annotated[str, Field(min_length=1, max_length=50)]


class TeamMap(Strict):
    name: Annotated[str, Field(min_length=1, max_length=50)]
    board: int | None = Field(None, ge=1, description="Jira: the team's board, whose sprints are its iterations")
    area_path: Name | None = Field(None, description="Azure DevOps: the team's area path")


class RuleSettings(Strict):
    status: Winner = Winner.TRACKER
    points: Winner = Winner.TRACKER
    iteration: Winner = Winner.TRACKER
    iteration_in_planning: Winner = Winner.ARTSYNC

    def rules(self) -> Rules:
        return Rules(self.status, self.points, self.iteration, self.iteration_in_planning)


class ConnectionFile(Strict):
    tracker: Tracker
    train: TrainRef
    team: Annotated[list[TeamMap], Field(min_length=1, max_length=100)]
    rules: RuleSettings = RuleSettings()

    @model_validator(mode="after")
    def teams_fit_the_tracker(self) -> ConnectionFile:
        where = "board" if self.tracker.kind is TrackerKind.JIRA else "area_path"
        for n, team in enumerate(self.team):
            if getattr(team, where) is None:
                raise ValueError(f"team[{n}] ({team.name}): give its {where} for a {self.tracker.kind} tracker")
        names = [t.name for t in self.team]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"team: {', '.join(twice)} named twice")
        return self

    def team_of_area(self, area_path: str) -> str | None:
        """Azure DevOps: the team whose area path holds ``area_path`` (the longest that does)."""
        area = area_path.strip("\\")
        paths = sorted((((t.area_path or "").strip("\\")), t.name) for t in self.team)
        return next((name for path, name in sorted(paths, key=lambda a: -len(a[0]))
                     if area == path or area.startswith(path + "\\")), None)  # fmt: skip

    @property
    def key_prefix(self) -> str:
        """Azure DevOps: what a work item's id is keyed with (``PAY-123``): the project's letters and digits."""
        return re.sub(r"[^A-Za-z0-9]", "", self.tracker.project) or "ADO"

    def token(self, environ: dict[str, str] | None = None) -> str:
        """The tracker's token, from the environment variable the file names."""
        value = (environ if environ is not None else os.environ).get(self.tracker.token_env, "")
        if not value:
            raise InvalidInputError(
                f"the token for {self.tracker.url} is read from ${self.tracker.token_env}, which is not set"
            )
        return value


def webhook_secret(settings: ConnectionFile, environ: dict[str, str] | None = None) -> str | None:
    """The secret Jira signs the connection's webhooks with, from the variable the file names (None: no webhooks)."""
    name = settings.tracker.webhook_secret_env
    return ((environ if environ is not None else os.environ).get(name) or None) if name else None


def parse_connection(text: str, source: str = "connection file") -> ConnectionFile:
    """Read a connection file, or fail naming the line (TOML) or the field (mapping) that is wrong."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{source}: not TOML: {exc}") from None
    try:
        return ConnectionFile.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"]) or "the file"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidInputError(f"{source}: {place}: {message}") from None
