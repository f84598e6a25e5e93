"""Where artsync may send a request of its own (webhooks): never back inside the network it runs in.

A webhook URL is chosen by a person; without these rules it could point the server at
itself, at the database, or at a cloud's metadata service (server-side request forgery).
The URL must be https (http only when the operator allows it), and every address its host
resolves to must be a public one, unless the operator lists the host as an allowed internal
one. The addresses are passed in: resolving them is I/O, done by the caller, at the moment
of sending, so that a name that later resolves inward is caught too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

# Names that mean "this machine" or a cloud's metadata service, whatever they resolve to here.
INTERNAL_NAMES = ("localhost", "localhost.localdomain", "metadata.google.internal", "metadata")
INTERNAL_SUFFIXES = (".localhost", ".internal", ".local")


@dataclass(frozen=True)
class OutboundPolicy:
    """What the operator allows: plain http, and internal hosts by name (``hooks.corp.example``, ``127.0.0.1``)."""

    allow_http: bool = False
    allowed_hosts: frozenset[str] = frozenset()

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in {h.lower().rstrip(".") for h in self.allowed_hosts}


STRICT = OutboundPolicy()  # https only, nothing internal: the default everywhere


@dataclass(frozen=True)
class Target:
    """A URL taken apart: scheme, host (without brackets), port, and the path with its query."""

    scheme: str
    host: str
    port: int
    path: str


def parse_target(url: str) -> Target:
    """Split a webhook URL, or raise ValueError saying what is wrong with it."""
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ValueError(f"{url!r} contains spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{url!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise ValueError("a webhook URL may not carry a user name or password; use the webhook's secret")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"{url!r} has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValueError(f"{url!r} has a port that is not a number from 1 to 65535") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path)


def is_public(address: str) -> bool:
    """A globally routable unicast address: not loopback, private, link-local (metadata), shared or reserved."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return ip.is_global and not ip.is_multicast


def literal_address(host: str) -> str | None:
    """The host as an IP address when it is one (in any of the forms a resolver accepts), else None."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    return legacy_ipv4(host)


def legacy_ipv4(host: str) -> str | None:
    """2130706433, 0x7f000001, 0177.1 and 127.1 all reach 127.0.0.1: read them as inet_aton does."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        try:
            if part.lower().startswith("0x"):
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            else:
                numbers.append(int(part, 10) if part.isdigit() else -1)
        except ValueError:
            return None
    if any(n < 0 for n in numbers):
        return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    value = value * 256 ** (4 - len(head)) + last
    return str(ipaddress.IPv4Address(value))


def refusal(url: str, addresses: Iterable[str] | None, policy: OutboundPolicy) -> str | None:
    """Why artsync must not send to ``url`` (None when it may).

    ``addresses`` are what the host resolves to now; None when they are not known yet
    (when a webhook is added and its host does not resolve from here): then only the URL
    itself is judged, and the addresses are judged again at every send.
    """
    try:
        target = parse_target(url)
    except ValueError as exc:
        return str(exc)
    if target.scheme == "http" and not policy.allow_http:
        return f"{url!r} is plain http: use https (or set ARTSYNC_WEBHOOK_ALLOW_HTTP=true for a trusted network)"
    if policy.allows_host(target.host):
        return None
    inward = f"{target.host} is inside the server's own network (loopback, private, link-local or metadata)"
    advice = "; list it in ARTSYNC_WEBHOOK_ALLOWED_HOSTS if it is meant to be reached"
    name = target.host.lower()
    if name in INTERNAL_NAMES or name.endswith(INTERNAL_SUFFIXES):
        return inward + advice
    literal = literal_address(target.host)
    found = [literal] if literal is not None else list(addresses or [])
    if literal is None and addresses is not None and not found:
        return f"{target.host} does not resolve to any address"
    if any(not is_public(a) for a in found):
        return inward + advice
    return None
