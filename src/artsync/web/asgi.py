"""Entry point for ASGI servers: builds the app from the environment's settings, when called."""

from __future__ import annotations

from fastapi import FastAPI

from artsync.settings import Settings
from artsync.web.app import create_app


def app_from_environment() -> FastAPI:
    """``uvicorn --factory artsync.web.asgi:app_from_environment`` (what ``artsync serve`` runs)."""
    return create_app(Settings())
