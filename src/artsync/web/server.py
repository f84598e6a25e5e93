"""The process `artsync serve` becomes: uvicorn serving the app its workers build from the environment.

`artsync serve` checks the database and sizes the pools, then replaces itself with
``python -m artsync.web.server HOST PORT WORKERS``. uvicorn starts its workers with multiprocessing's
*spawn*, which imports the parent's main module into every worker before anything else; started from
the command line, that module is the whole CLI — Typer, Rich, Click and every command, ~5 MiB and 85
modules each worker would hold and never use. This module imports uvicorn only (tests/web/test_worker_start.py).
"""

from __future__ import annotations

import sys


def run(host: str, port: int, workers: int) -> None:
    """Serve until stopped: the settings come from the environment `serve` prepared."""
    import uvicorn

    uvicorn.run(
        "artsync.web.asgi:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ws_max_size=64 * 1024,  # larger frames close the connection
        ws="websockets-sansio",  # no task or keep-alive timer of its own per connection
        ws_per_message_deflate=False,  # compressing each small event for each client costs more than it saves
        log_level="warning",
        proxy_headers=True,
    )


if __name__ == "__main__":  # not when a spawned worker imports this module as its ``__mp_main__``
    run(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
