"""Who hears about what: matching events to people's interests, the words they get, retries, signatures.

A person subscribes to their team(s), to the items they own or depend on, to findings of a severity, to
decisions, and to a daily digest. A webhook hears about every change (or the kinds it names).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from artsync.domain.event_text import sentence
from artsync.domain.events import Entity, Event
from artsync.domain.findings import Finding, severity_rank
from artsync.domain.impediments import Impediment
from artsync.domain.meetings import ActionItem
from artsync.domain.text import chat_text, one_line

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
WEBHOOK_KINDS = ("slack", "teams", "generic")
SIGNATURE_HEADER = "X-Artsync-Signature"


@dataclass(frozen=True)
class Interest:
    """What one person wants to hear about on one train."""

    person: str
    teams: frozenset[str] = frozenset()
    mine: bool = True  # items they own, and dependencies their teams need
    owned: frozenset[str] = frozenset()  # keys of the risks, impediments, actions and conflicts they own
    severity: str | None = None  # findings of this severity or worse
    decisions: bool = False
    digest: bool = True
    roles_teams: frozenset[str] = field(default_factory=frozenset)  # the teams they belong to


def teams_of(event: Event) -> set[str]:
    """The teams an event concerns: a card's team, both teams of a dependency, an item's team."""
    found: set[str] = set()
    if event.entity in (Entity.CARD, Entity.DEPENDENCY):
        for ref in event.entity_id.split("->"):
            if "@" in ref:
                found.add(ref.rpartition("@")[2])
    for side in (event.before, event.after):
        team = (side or {}).get("team")
        if isinstance(team, str):
            found.add(team)
    return found


def why(interest: Interest, event: Event) -> str | None:
    """Why ``interest`` hears about ``event``, in words for the person; None when it does not concern them."""
    teams = teams_of(event)
    if interest.teams & teams:
        return f"it concerns {', '.join(sorted(interest.teams & teams))}"
    if interest.mine:
        if event.entity_id in interest.owned:
            return f"you own {event.entity_id}"
        if event.entity == Entity.DEPENDENCY:
            consumer = event.entity_id.partition("->")[0].rpartition("@")[2]
            if consumer in interest.roles_teams:
                return f"{consumer} depends on it"
        if event.entity == Entity.ACTION and (event.after or {}).get("owner") == interest.person:
            return "it is your action item"
    if interest.decisions and (
        event.entity == Entity.DECISION or (event.entity == Entity.CONFLICT and event.action == "decided")
    ):
        return "you follow decisions"
    return None


def wants_finding(interest: Interest, finding: Finding) -> bool:
    return interest.severity is not None and severity_rank(finding.severity) <= severity_rank(interest.severity)


# A mail address as artsync takes it: something, one @, something; no spaces or control characters.
EMAIL_SHAPE = re.compile(r"^[^@ \x00-\x1f\x7f-\x9f]+@[^@ \x00-\x1f\x7f-\x9f]+$")


def event_subject(train: str, event: Event) -> str:
    return one_line(f"[{train}] {sentence(event)}")


def event_text(train: str, event: Event, reason: str | None = None) -> str:
    lines = [f"{sentence(event)}.", "", f"On the {train} train, at {event.at:%Y-%m-%d %H:%M} UTC."]
    if reason:
        lines += ["", f"You hear about this because {reason}."]
    return "\n".join(lines)


def finding_subject(train: str, finding: Finding) -> str:
    return one_line(f"[{train}] new {finding.severity}: {finding.message}")


def finding_text(finding: Finding) -> str:
    return f"{finding.message}\n\nWhat to do: {finding.fix}\n\nConcerns: {', '.join(finding.items)}"


def retry_after(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 30 s, doubling, at most an hour."""
    wait: timedelta = FIRST_RETRY * (2 ** max(0, attempts - 1))
    return min(wait, LAST_RETRY)


def sign(secret: str, body: bytes) -> str:
    """The signature of a generic webhook's body: ``sha256=`` and the hex HMAC-SHA256 under the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return hmac.compare_digest(sign(secret, body), signature)


def webhook_payload(kind: str, subject: str, text: str, data: dict[str, Any]) -> dict[str, Any]:
    """The JSON each kind of webhook expects: Slack's ``text``, a Teams MessageCard, or artsync's own."""
    if kind == "slack":
        return {"text": f"*{chat_text(subject)}*\n{chat_text(text)}"}
    if kind == "teams":
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": chat_text(subject),
            "title": chat_text(subject),
            "text": chat_text(text).replace("\n", "  \n"),
        }
    return {"subject": subject, "text": text, **data}


def payload_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def digest_text(
    *,
    person: str,
    train: str,
    day: date,
    changes: Iterable[tuple[Event, str]],
    actions: Iterable[ActionItem],
    impediments: Iterable[Impediment],
) -> str | None:
    """The day's digest written for one person: what changed in what they care about, and what is theirs to do.

    None when there is nothing to tell.
    """
    changed = list(changes)
    mine = [a for a in actions if a.owner == person and a.state == "open" and a.due <= day + timedelta(days=7)]
    blocking = [i for i in impediments if i.owner == person and i.state == "open"]
    if not (changed or mine or blocking):
        return None
    out = [f"Good morning {person}, here is what changed on {train} since yesterday's digest.", ""]
    if changed:
        out.append("What changed in what you follow:")
        out += [f"- {sentence(e)} ({reason})" for e, reason in changed]
        out.append("")
    if mine:
        out.append("Your action items:")
        out += [f"- {a.key} {a.text}: due {a.due}{' — OVERDUE' if a.overdue(day) else ''}" for a in mine]
        out.append("")
    if blocking:
        out.append("Impediments you own:")
        out += [f"- {i.key} {i.text}: open {i.age(day)} days at {i.level} level" for i in blocking]
        out.append("")
    return "\n".join(out)
