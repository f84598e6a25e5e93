"""A load generator light enough not to be what it measures: raw HTTP/1.1 keep-alive GETs over asyncio streams.

httpx spends more CPU per request than the server does on a cached response, and on two cores the load
generator shares the machine with the server; this client only writes a fixed request and reads a
Content-Length body.
"""

from __future__ import annotations

import asyncio
import time


async def hammer(host: str, port: int, path: str, headers: dict[str, str], *, seconds: float, clients: int) -> int:
    """GET ``path`` from ``clients`` connections, each one request at a time, for ``seconds``; the answers counted.

    Any answer other than 200 ends the run with an error naming it.
    """
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    deadline = time.perf_counter() + seconds
    answered = 0

    async def one() -> None:
        nonlocal answered
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                if head[9:12] != b"200":
                    raise RuntimeError(f"{path} answered {head[:12].decode(errors='replace')}")
                start = head.lower().index(b"content-length:") + 15
                await reader.readexactly(int(head[start : head.index(b"\r\n", start)]))
                answered += 1
        finally:
            writer.close()

    await asyncio.gather(*(one() for _ in range(clients)))
    return answered
