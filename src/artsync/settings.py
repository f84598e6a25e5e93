"""artsync's one settings object, read from ``ARTSYNC_*`` variables and an optional artsync.toml.

Every setting, its default and its meaning are listed in docs/settings.md; a
test checks that the list and this class agree.
"""

from __future__ import annotations

import getpass

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "artsync"


class Settings(BaseSettings):
    """Where the data lives and who is acting; defaults work on a laptop."""

    model_config = SettingsConfigDict(env_prefix="ARTSYNC_", toml_file="artsync.toml", extra="ignore")

    database_url: str = Field(
        default="sqlite:///artsync.db",
        description="Database URL: a SQLite file (default ./artsync.db) or postgresql+psycopg://user@host/db.",
    )
    database_pool: int | None = Field(
        default=None,
        ge=1,
        description="PostgreSQL connections each server process keeps (default 40, its thread pool); `serve` "
        "gives each worker fewer when PostgreSQL's max_connections cannot hold that many for all of them.",
    )
    actor: str = Field(
        default_factory=login_name,
        description="The name recorded in the event log for changes made from the command line.",
    )

    redis_url: str | None = Field(
        default=None,
        description="Redis URL (redis://host:6379/0); when set, live events cross processes by Redis pub/sub "
        "instead of PostgreSQL LISTEN/NOTIFY.",
    )
    secure_cookies: bool | None = Field(
        default=None,
        description="Mark session cookies Secure; by default they are Secure when the request came over https.",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Extra origins (https://board.example.org) allowed to open the live WebSocket; "
        "the server's own origin is always allowed.",
    )

    live_recheck_interval: float = Field(
        default=1.0,
        gt=0,
        description="Seconds between two checks of the credentials behind open live connections: a revoked "
        "token or session, or a role taken away, closes its connections within this time (at once when the "
        "server hears of the change).",
    )

    identity_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Seconds each server process remembers who holds a token or session, instead of reading it "
        "on every request (0: read it every time). A revoked credential or changed role is forgotten at once "
        "wherever the change is announced (PostgreSQL, Redis, or this server), otherwise within this time.",
    )

    findings_lag_seconds: float = Field(
        default=2.0,
        ge=0,
        description="While a train changes, the findings the PI planning, team review and findings pages show are "
        "found again at most once per this many seconds in each server process (on 40 teams the milestones' "
        "forecast in them may take half a second); such a page reads itself again once they are due, so it is "
        "never behind once the room is quiet. 0: found again for every change.",
    )

    live_poll_interval: float = Field(
        default=2.0,
        gt=0,
        description="Seconds between two looks at the event log by each server's live hub, for changes nobody "
        "announced (the command line on SQLite without Redis); announced changes arrive at once.",
    )
    webhook_allow_http: bool = Field(
        default=False, description="Allow webhooks over plain http (https only by default)."
    )
    webhook_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts inside the server's own network (loopback, private, link-local) that webhooks may "
        'reach anyway, by name or address (JSON list, e.g. ["hooks.corp.example"]); all others are refused.',
    )

    smtp_host: str | None = Field(
        default=None, description="Mail server for notifications and digests; without it no mail is sent."
    )
    smtp_port: int = Field(default=25, description="The mail server's port (587 with STARTTLS, 465 with TLS).")
    smtp_user: str | None = Field(default=None, description="User name for the mail server, if it wants one.")
    smtp_password: str | None = Field(default=None, description="Password for the mail server.")
    smtp_from: str = Field(default="artsync@localhost", description="The sender address of artsync's mail.")
    smtp_security: str = Field(default="none", description="none, starttls or tls.")
    notify_interval: float = Field(
        default=10.0,
        description="Seconds between two rounds of `artsync notify run`: route new events, send due messages.",
    )
    digest_hour: int = Field(
        default=7, ge=0, le=23, description="The hour (UTC) after which `artsync notify run` writes each day's digests."
    )

    sync_every: float = Field(
        default=0.0,
        ge=0,
        description="Seconds between two pulls from (and pushes to) every connected tracker inside `artsync serve` "
        "(`serve --sync-every 60`); 0: only when a webhook or `artsync sync pull` asks.",
    )
    notify_in_server: bool = Field(
        default=False, description="Run the notification worker inside `artsync serve` (`serve --notify`)."
    )
    milestone_risk_threshold: float = Field(
        default=0.70, gt=0, le=1, description="A milestone the forecast gives less than this chance is at risk."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments win, then the environment, then artsync.toml.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))
