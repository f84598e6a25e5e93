"""Every event of the log as a sentence a person reads: "rita moved PAY-169@Atlas from I4 to I1".

``sentence(event)`` covers each change of the catalogue (domain/events.py); one it does not know yet
reads as ``actor action entity id`` with the fields that changed. ``ADMINISTRATIVE`` names the changes
that are about access rather than the plan, which the cockpit's feed leaves out by default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from artsync.domain.events import Entity, Event

ADMINISTRATIVE = frozenset({Entity.MEMBER.value})

ROLE_WORDS = {
    "rte": "Release Train Engineer",
    "product_manager": "product manager",
    "business_owner": "business owner",
    "product_owner": "product owner",
    "scrum_master": "scrum master",
    "member": "member",
    "viewer": "viewer",
}
MEETING_WORDS = {"team status": "recorded a team's status in", "outcome": "recorded an outcome of"}


def pi_name(key: str) -> str:
    return key if key.upper().startswith("PI") else f"PI {key}"


def where(iteration: int | None) -> str:
    return "unplanned" if iteration is None else f"I{iteration}"


def pull_counts(a: dict[str, Any]) -> str:
    words = [
        (a.get("features"), "new features"),
        (a.get("cards"), "new cards"),
        (a.get("moves"), "moves"),
        (a.get("statuses"), "status changes"),
        (a.get("estimates"), "new estimates"),
        (a.get("removed"), "cards removed"),
        (a.get("dependencies"), "dependency changes"),
        (a.get("milestones"), "milestones added or changed"),
        (a.get("conflicts"), "conflicts"),
    ]
    said = [f"{n} {what}" for n, what in words if n]
    return ", ".join(said) if said else "nothing changed"


def card_text(e: Event, before: dict[str, Any], after: dict[str, Any]) -> str:
    ref = e.entity_id
    if e.action == "moved":
        was, now = before.get("iteration"), after.get("iteration")
        if was is None:
            return f"planned {ref} in {where(now)}"
        if now is None:
            return f"unplanned {ref} (it was in {where(was)})"
        return f"moved {ref} from {where(was)} to {where(now)}"
    if e.action == "status":
        return f"marked {ref} {after.get('status')} (it was {before.get('status')})"
    if e.action == "added":
        return f"added {ref} ({after.get('points')} points, {where(after.get('iteration'))})"
    if e.action == "removed":
        return f"removed {ref} from the board"
    if e.action == "estimated":
        return f"estimated {ref} at {after.get('points')} points (it was {before.get('points')})"
    return f"changed {ref}"


def dependency_text(e: Event, before: dict[str, Any], after: dict[str, Any]) -> str:
    consumer, _, provider = e.entity_id.partition("->")
    team = provider.partition("@")[2] or "the providing team"
    return {
        "added": f"added a dependency: {consumer} needs {provider}",
        "removed": f"removed the dependency of {consumer} on {provider}",
        "committed": f"committed {team} to deliver {provider} for {consumer}",
        "delivered": f"delivered {provider} for {consumer}",
        "broken": f"declared that {team} will not deliver {provider} for {consumer} as planned",
        "requested": f"requested {provider} for {consumer} again",
    }.get(e.action, f"changed the dependency of {consumer} on {provider}")


def grant_text(e: Event, before: dict[str, Any], after: dict[str, Any]) -> str:
    shown = after or before
    role = ROLE_WORDS.get(shown.get("role", ""), shown.get("role", "a role"))
    of = f" of {shown['team']}" if shown.get("team") else ""
    if e.action == "revoked":
        return f"took {e.entity_id}'s role of {role}{of} away"
    return f"made {e.entity_id} {role}{of}"


def meeting_text(e: Event, before: dict[str, Any], after: dict[str, Any]) -> str:
    title = (after or before).get("title") or f"meeting {e.entity_id}"
    if e.action == "scheduled":
        return f"scheduled {title} for {after.get('day')}"
    if e.action == "started":
        return f"started {title}"
    if e.action == "ended":
        return f"ended {title}; its minutes are written"
    if e.action == "team status":
        note = f": {after['note']}" if after.get("note") else ""
        return f"recorded {after.get('team')} as {after.get('status')} in meeting {e.entity_id}{note}"
    if e.action == "outcome":
        return f"recorded in meeting {e.entity_id}: {after.get('text')}"
    return f"{e.action} meeting {e.entity_id}"


def plan_counts(after: dict[str, Any]) -> str:
    return ", ".join(
        f"{after[name]} {name}" for name in ("teams", "features", "cards", "dependencies") if name in after
    )


def roam_text(e: Event, before: dict[str, Any], after: dict[str, Any]) -> str:
    owner = f", owner {after['owner']}" if after.get("owner") else ""
    return f"ROAMed risk {e.entity_id} as {after.get('roam')}{owner}"


def impediment_text(e: Event, before: dict[str, Any], after: dict[str, Any]) -> str:
    key = e.entity_id
    if e.action == "raised":
        team = f" ({after['team']})" if after.get("team") else ""
        return f"raised impediment {key}{team}: {after.get('text')}"
    if e.action == "escalated":
        return f"escalated impediment {key} to {after.get('level')} level"
    if e.action == "resolved":
        return f"resolved impediment {key}" + (f": {after['note']}" if after.get("note") else "")
    owner = f", owner {after['owner']}" if after.get("owner") != before.get("owner") and after.get("owner") else ""
    return f"updated impediment {key}{owner}" + (f": {after['note']}" if after.get("note") else "")


def conflict_text(e: Event, before: dict[str, Any], after: dict[str, Any]) -> str:
    key = e.entity_id
    if e.action == "reported":
        return f"reported conflict {key} ({after.get('kind')}): {after.get('summary')}"
    if e.action == "decided":
        return f"decided conflict {key}: {after.get('decision')}"
    if e.action == "updated":
        return f"updated conflict {key}" + (f": mediator {after['mediator']}" if after.get("mediator") else "")
    return f"moved conflict {key} to {e.action}"


def vote_text(e: Event, before: dict[str, Any], after: dict[str, Any]) -> str:
    if e.action == "opened":
        return f"opened round {after.get('round')} of the confidence vote"
    if e.action == "cast":
        return "voted in the confidence vote"
    if e.action == "changed":
        return "changed their vote"
    if e.action == "closed":
        verdict = "the train may commit" if after.get("passes") else "below 3: rework the plan"
        return f"closed the confidence vote: average {after.get('average')} from {after.get('votes')} votes, {verdict}"
    return f"{e.action} the confidence vote"


Text = Callable[[Event, dict[str, Any], dict[str, Any]], str]
TEXTS: dict[str, Text] = {
    Entity.CARD: card_text,
    Entity.DEPENDENCY: dependency_text,
    Entity.MEMBER: grant_text,
    Entity.MEETING: meeting_text,
    Entity.IMPEDIMENT: impediment_text,
    Entity.CONFLICT: conflict_text,
    Entity.VOTE: vote_text,
    Entity.TRAIN: lambda e, b, a: (
        f"{'replaced' if e.action == 'replaced' else 'imported'} the plan of train "
        f"{e.entity_id} ({a.get('pi')}: {plan_counts(a)})"
    ),
    Entity.PI: lambda e, b, a: {
        "created": f"set up {pi_name(e.entity_id)}, starting {a.get('start')} with {a.get('iterations')} iterations",
        "imported": f"imported the draft of {pi_name(e.entity_id)} ({plan_counts(a)})",
        "advanced": f"moved {pi_name(e.entity_id)} from {b.get('state')} to {a.get('state')}",
        "committed": f"committed the plan of {pi_name(e.entity_id)} as its baseline "
        f"(confidence vote {a.get('vote_average')})"
        + (f", overriding {len(a['overridden'])} findings: {a.get('override_reason')}" if a.get("overridden") else ""),
    }.get(e.action, f"{e.action} {pi_name(e.entity_id)}"),
    Entity.RISK: lambda e, b, a: (
        f"raised risk {e.entity_id}" + (f" ({a['team']})" if a.get("team") else "") + f": {a.get('text')}"
        if e.action == "raised"
        else roam_text(e, b, a)
    ),
    Entity.OBJECTIVE: lambda e, b, a: {
        "added": f"added objective {e.entity_id}: {a.get('text')}",
        "valued": f"valued objective {e.entity_id}: planned {a.get('planned_bv')}, actual {a.get('actual_bv')} "
        "business value",
    }.get(e.action, f"edited objective {e.entity_id}"),
    Entity.FEATURE: lambda e, b, a: {
        "scored": f"scored {e.entity_id}: value {a.get('ubv')}, time {a.get('tc')}, risk {a.get('rroe')}, "
        f"size {a.get('size')}",
        "added": f"added improvement {e.entity_id} to the backlog",
        "imported": f"brought feature {e.entity_id} from the tracker: {a.get('title')}",
    }.get(e.action, f"edited feature {e.entity_id}"),
    Entity.MILESTONE: lambda e, b, a: (
        f"{'added' if e.action == 'added' else 'changed'} milestone {e.entity_id} {a.get('name')} "
        f"({where(a.get('iteration'))}{', ' + str(a['date']) if a.get('date') else ''}): "
        f"needs {', '.join(a.get('features') or []) or 'no feature yet'}"
    ),
    Entity.SCENARIO: lambda e, b, a: scenario_text(e.action, e.entity_id, a),
    Entity.CONNECTION: lambda e, b, a: (
        f"connected train {e.entity_id} to {a.get('kind')} project {a.get('project')} at {a.get('url')} "
        f"({len(a.get('teams') or [])} teams)"
        if e.action == "connected"
        else f"pulled from the tracker: {pull_counts(a)}"
    ),
    Entity.ACTION: lambda e, b, a: {
        "added": f"gave {a.get('owner')} action {e.entity_id}, due {a.get('due')}: {a.get('text')}",
        "done": f"marked action {e.entity_id} done",
        "open": f"opened action {e.entity_id} again",
    }.get(e.action, f"{e.action} action {e.entity_id}"),
    Entity.DECISION: lambda e, b, a: (
        f"asked for a decision ({e.entity_id}): {a.get('question')}"
        if e.action == "pending"
        else f"decided {e.entity_id}: {a.get('decision')}"
    ),
    Entity.PROBLEM: lambda e, b, a: (
        f"raised problem {e.entity_id} at the workshop: {a.get('text')}"
        if e.action == "raised"
        else f"named a root cause of {e.entity_id} ({a.get('category')}): {a.get('text')}"
    ),
    Entity.CAPACITY: lambda e, b, a: (
        f"set {a.get('team')}'s capacity in I{a.get('iteration')} to "
        + ("its velocity" if a.get("points") is None else f"{a.get('points')} points")
    ),
    Entity.TEAM: lambda e, b, a: (
        f"changed team {e.entity_id}: velocity {a.get('velocity')}" + (f", {a['size']} people" if a.get("size") else "")
    ),
    Entity.WSJF: lambda e, b, a: {
        "started": f"started a WSJF session over {a.get('features')} features",
        "scored": f"scored the {a.get('column')} column of the WSJF session",
        "finished": "finished the WSJF session: the backlog is ranked again",
    }.get(e.action, f"{e.action} the WSJF session"),
    Entity.CALENDAR: lambda e, b, a: {
        "holiday-added": f"added the holiday {a.get('name')} on {a.get('day')}",
        "holiday-removed": f"removed the holiday {b.get('name')} on {b.get('day')}",
        "leave-added": f"added {a.get('person')}'s leave ({a.get('team')}) from {a.get('first')} to {a.get('last')}",
        "leave-removed": f"removed {b.get('person')}'s leave ({b.get('team')})",
    }.get(e.action, f"changed the calendar ({e.action})"),
}


def sentence(event: Event) -> str:
    """``event`` as one sentence with its actor: what they did, to what, from what to what."""
    return f"{event.actor} {deed(event)}"


def deed(event: Event) -> str:
    """What the event's actor did, without their name: "moved PAY-169@Atlas from I4 to I1"."""
    text = TEXTS.get(event.entity)
    if text is None:
        return event.summary()
    try:
        return text(event, event.before or {}, event.after or {})
    except (KeyError, TypeError, AttributeError):  # a payload older than its sentence: say it plainly
        return event.summary()


def scenario_text(action: str, key: str, a: Mapping[str, Any]) -> str:
    name = f"scenario {key} '{a.get('name')}'"
    supposing = f", supposing {'; '.join(a.get('changes') or [])}" if a.get("changes") else ""
    match action:
        case "created":
            return f"started {a.get('kind')} {name}{supposing}"
        case "changed":
            return f"changed {name}: now supposing {'; '.join(a.get('changes') or []) or 'nothing'}"
        case "solving":
            return f"began solving {name}"
        case "solved":
            return f"solved {name}: {a.get('outcome')}, {a.get('moves')} cards to move"
        case _:
            return f"accepted {name}: {a.get('moves')} cards moved"
