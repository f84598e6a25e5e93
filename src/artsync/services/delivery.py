"""How messages leave artsync: mail over SMTP, and webhooks over HTTP (signed when they have a secret).

A webhook is sent only to an address the outbound policy allows (``domain/outbound.py``),
judged after resolving its host at the moment of sending; the request then goes to that
very address (TLS still verified against the host's name), so a name that resolves
elsewhere a second later gains nothing. Redirects are not followed, and what the far side
answers is recorded as its status only, never its body.
"""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from artsync.domain.notifications import SIGNATURE_HEADER, payload_bytes, sign
from artsync.domain.outbound import OutboundPolicy, parse_target, refusal
from artsync.domain.text import one_line
from artsync.settings import Settings

if TYPE_CHECKING:
    import httpx

TIMEOUT = 10.0


class NetworkSenders:
    """The real senders: the mail server of the settings, and HTTP for webhooks. Each raises on failure."""

    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        import httpx  # loaded by the process that sends, not by every server that might

        self.client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self.policy = outbound_policy(settings)
        self.channels = frozenset({"webhook", *(["email"] if settings.smtp_host else [])})

    def email(self, *, to: str, subject: str, body: str, message_id: str, html: str | None = None) -> None:
        s = self.settings
        if not s.smtp_host:
            raise ConnectionError("no mail server is set (ARTSYNC_SMTP_HOST): the message waits in the outbox")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.smtp_from, to, one_line(subject)
        message["Date"], message["Message-ID"] = formatdate(usegmt=True), message_id
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        if html:
            message.add_alternative(html, subtype="html")  # the digest's charts, in SVG
        smtp_class = smtplib.SMTP_SSL if s.smtp_security == "tls" else smtplib.SMTP
        with smtp_class(s.smtp_host, s.smtp_port, timeout=TIMEOUT) as smtp:
            if s.smtp_security == "starttls":
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
            smtp.send_message(message)

    def webhook(self, *, kind: str, url: str, secret: str | None, payload: dict[str, Any], delivery: str) -> None:
        body = payload_bytes(payload)
        headers = {"Content-Type": "application/json", "User-Agent": "artsync", "X-Artsync-Delivery": delivery}
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, body)
        target = parse_target(url)
        extensions: dict[str, Any] = {}
        if not self.policy.allows_host(target.host):
            addresses = resolve(target.host)
            reason = refusal(url, addresses, self.policy)
            if reason:
                raise ConnectionError(f"not sent: {reason}")
            # Connect to the address just judged, not to whatever the name resolves to next.
            address = addresses[0] if addresses else target.host
            headers["Host"] = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
            if target.scheme == "https":
                extensions["sni_hostname"] = target.host
            shown = f"[{address}]" if ":" in address else address
            url = f"{target.scheme}://{shown}:{target.port}{target.path}"
        response = self.client.post(url, content=body, headers=headers, extensions=extensions)
        if response.status_code >= 300:
            moved = " (redirects are not followed)" if 300 <= response.status_code < 400 else ""
            raise ConnectionError(f"{target.host} answered {response.status_code}{moved}")


def outbound_policy(settings: Settings) -> OutboundPolicy:
    """The operator's outbound rules, from the settings."""
    return OutboundPolicy(settings.webhook_allow_http, frozenset(settings.webhook_allowed_hosts))


def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to now (an empty list when it does not resolve)."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def resolve_if_known(host: str) -> list[str] | None:
    """The addresses of ``host``, or None when it does not resolve from here (judged again at each send)."""
    return resolve(host) or None
