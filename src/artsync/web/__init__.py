"""The web app: JSON API under /api/v1, server-rendered pages, the live channel."""
