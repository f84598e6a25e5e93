"""How messages leave artsync: mail over SMTP, and webhooks over HTTP (signed when they have a secret)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import httpx

from artsync.domain.notifications import SIGNATURE_HEADER, payload_bytes, sign
from artsync.settings import Settings

TIMEOUT = 10.0


class NetworkSenders:
    """The real senders: the mail server of the settings, and HTTP for webhooks. Each raises on failure."""

    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self.channels = frozenset({"webhook", *(["email"] if settings.smtp_host else [])})

    def email(self, *, to: str, subject: str, body: str, message_id: str, html: str | None = None) -> None:
        s = self.settings
        if not s.smtp_host:
            raise ConnectionError("no mail server is set (ARTSYNC_SMTP_HOST): the message waits in the outbox")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.smtp_from, to, subject
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
        response = self.client.post(url, content=body, headers=headers)
        if response.status_code >= 300:
            raise ConnectionError(f"{url} answered {response.status_code}: {response.text[:200]}")
