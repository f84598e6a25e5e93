"""Plain-JSON views of domain values, shared by the CLI's --json output and the web API."""

from __future__ import annotations

from typing import Any

from artsync.domain.board import dependency_statuses, load_status, loads
from artsync.domain.cadence import PI
from artsync.domain.confidence import Tally
from artsync.domain.events import Event
from artsync.domain.findings import Finding
from artsync.domain.forecast import Outlook, iteration_words
from artsync.domain.plan import Plan
from artsync.domain.workshop import Problem
from artsync.domain.wsjf import rank
from artsync.io.agenda import action_json, decision_json, meeting_json, minutes_markdown
from artsync.io.plan_format import dump_plan, objective_record
from artsync.services.baselines import Baseline
from artsync.services.board import Board
from artsync.services.capacity import CapacityPlan
from artsync.services.forecast import TrainForecast
from artsync.services.meetings import MeetingView
from artsync.services.people import Person
from artsync.services.votes import VoteView
from artsync.services.wsjf import WsjfSession


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id,
        "kind": f.kind,
        "severity": f.severity,
        "items": list(f.items),
        "message": f.message,
        "fix": f.fix,
    }


def event_json(e: Event) -> dict[str, Any]:
    return e.as_dict()


def person_json(p: Person) -> dict[str, Any]:
    return {
        "name": p.name,
        "has_password": p.has_password,
        "roles": [{"train": g.train, "role": g.role.value, "team": g.team} for g in p.grants],
    }


def board_json(plan: Plan) -> dict[str, Any]:
    statuses = dependency_statuses(plan)
    load = loads(plan.cards)
    return {
        "train": plan.train.key,
        "pi": plan.pi.key,
        "iterations": iterations_json(plan.pi),
        "teams": [
            {
                "key": t.key,
                "name": t.name,
                "velocity": t.velocity,
                "cells": [
                    {"iteration": it.index, "load": load.get((t.key, it.index), 0), "capacity": t.capacity(it.index)}
                    for it in plan.pi.iterations
                ],
            }
            for t in plan.teams
        ],
        "cards": [
            {
                "ref": c.ref,
                "feature": c.feature,
                "title": plan.features_by_key[c.feature].title,
                "team": c.team,
                "iteration": c.iteration,
                "points": c.points,
                "status": c.status,
            }
            for c in plan.cards
        ],
        "dependencies": [
            {"consumer": d.consumer, "provider": d.provider, "state": d.state, "status": statuses[d.key].value}
            for d in plan.dependencies
        ],
        "milestones": [
            {
                "key": m.key,
                "name": m.name,
                "iteration": m.iteration,
                "date": m.date.isoformat() if m.date else None,
                "features": list(m.features),
            }
            for m in plan.milestones
        ],
    }


def backlog_json(plan: Plan) -> list[dict[str, Any]]:
    planned: dict[str, list[str]] = {}
    for card in plan.cards:
        planned.setdefault(card.feature, []).append(card.team)
    return [
        {
            "rank": n,
            **f.record(),
            "cost_of_delay": f.wsjf.cost_of_delay,
            "wsjf": round(f.wsjf.score, 2),
            "teams": sorted(planned.get(f.key, [])),
        }
        for n, f in enumerate(rank(plan.features), start=1)
    ]


def board_payload(board: Board) -> dict[str, Any]:
    """The board as the API serves it: ``board_json`` plus the seq, and each card's id and version."""
    payload = board_json(board.plan)
    payload["seq"] = board.seq
    for card in payload["cards"]:
        handle = board.cards[card["ref"]]
        card["id"], card["version"] = handle.id, handle.version
    return payload


def iterations_json(pi: PI) -> list[dict[str, Any]]:
    return [
        {
            "index": it.index,
            "label": it.label,
            "start": it.start.isoformat(),
            "end": it.end.isoformat(),
            "is_ip": it.is_ip,
        }
        for it in pi.iterations
    ]


def pi_json(pi: PI, version: int, current: bool) -> dict[str, Any]:
    return {
        "key": pi.key,
        "state": pi.state,
        "start": pi.start.isoformat(),
        "end": pi.end.isoformat(),
        "iteration_weeks": pi.iteration_weeks,
        "iterations": iterations_json(pi),
        "ip_last": pi.ip_last,
        "current": current,
        "version": version,
    }


def calendars_json(plan: CapacityPlan) -> dict[str, Any]:
    return {
        "train": plan.train,
        "holidays": [{"day": h.day.isoformat(), "name": h.name} for h in plan.holidays],
        "leave": [
            {"team": item.team, "person": item.person, "first": item.first.isoformat(), "last": item.last.isoformat()}
            for item in plan.leave
        ],
    }


def capacity_json(plan: CapacityPlan) -> dict[str, Any]:
    return {
        "train": plan.train,
        "pi": plan.pi.key,
        "iterations": iterations_json(plan.pi),
        "teams": [
            {
                "key": t.team,
                "name": t.name,
                "velocity": t.velocity,
                "size": t.size,
                "iterations": [
                    {
                        "iteration": c.iteration,
                        "weekdays": c.weekdays,
                        "holidays": c.holidays,
                        "leave_days": c.leave_days,
                        "availability": round(c.availability, 3),
                        "calculated": c.calculated,
                        "adjusted": c.adjusted,
                        "capacity": c.points,
                        "load": t.load.get(c.iteration, 0),
                        "load_status": load_status(t.load.get(c.iteration, 0), c.points),
                    }
                    for c in t.iterations
                ],
            }
            for t in plan.teams
        ],
        **calendars_json(plan),
    }


objective_json = objective_record  # an objective reads the same in the API as in the plan format


def tally_json(t: Tally) -> dict[str, Any]:
    return {
        "histogram": {str(k): v for k, v in sorted(t.histogram.items())},
        "count": t.count,
        "average": t.average,
        "passes": t.passes,
    }


def vote_json(v: VoteView) -> dict[str, Any]:
    """A vote round; the tally only once it is closed, so nobody is swayed while it is open."""
    return {
        "pi": v.pi,
        "round": v.round,
        "state": v.state,
        "opened_by": v.opened_by,
        "opened_at": v.opened_at.isoformat(),
        "closed_at": v.closed_at.isoformat() if v.closed_at else None,
        "voters": list(v.voters),
        "mine": v.mine,
        "result": tally_json(v.tally) if v.tally else None,
    }


def baseline_json(b: Baseline) -> dict[str, Any]:
    return {
        "pi": b.pi,
        "committed_by": b.committed_by,
        "committed_at": b.committed_at.isoformat(),
        "seq": b.seq,
        "vote_round": b.vote_round,
        "vote_average": b.vote_average,
        "override_reason": b.override_reason,
        "plan": dump_plan(b.plan),
    }


def wsjf_json(w: WsjfSession) -> dict[str, Any]:
    return {
        "id": w.id,
        "state": w.state,
        "features": list(w.features),
        "scores": w.scores,
        "scorers": w.scorers,
        "remaining": list(w.remaining),
        "ranking": list(w.ranking),
        "started_by": w.started_by,
        "started_at": w.started_at.isoformat(),
        "finished_by": w.finished_by,
        "finished_at": w.finished_at.isoformat() if w.finished_at else None,
    }


def meeting_view_json(v: MeetingView) -> dict[str, Any]:
    """A meeting with its decisions and action items, and its minutes (as they stand, while it runs)."""
    return {
        **meeting_json(v.meeting),
        "version": v.version,
        "actions": [action_json(a) for a in v.actions],
        "decisions": [decision_json(d) for d in v.decisions],
        "minutes": current_minutes(v),
    }


def current_minutes(v: MeetingView) -> str:
    """The minutes: as kept once the meeting ended, as they stand while it runs."""
    return v.meeting.minutes or minutes_markdown(v.meeting, list(v.actions), list(v.decisions))


def outlook_json(plan: Plan, o: Outlook) -> dict[str, Any]:
    """One item's forecast: chance of meeting its deadline, and the iterations by which it is 50% and 85% likely."""
    return {
        "key": o.key,
        "deadline": o.deadline,
        "deadline_label": iteration_words(plan, o.deadline) if o.deadline is not None else None,
        "probability": round(o.probability, 4) if o.probability is not None else None,
        "p50": o.p50,
        "p85": o.p85,
        "p85_label": "not within the forecast" if o.p85 >= o.beyond else iteration_words(plan, o.p85),
    }


def forecast_json(found: TrainForecast) -> dict[str, Any]:
    plan, f = found.plan, found.forecast
    names = {m.key: m.name for m in plan.milestones}
    texts = {o.key: (o.team, o.text, o.committed) for o in plan.objectives}
    return {
        "train": plan.train.key,
        "pi": plan.pi.key,
        "now": f.now,
        "trials": f.trials,
        "seed": f.seed,
        "horizon": f.horizon,
        "throughput": {t: {"history": list(v.history), "velocity": v.velocity} for t, v in found.throughput.items()},
        "milestones": [{**outlook_json(plan, o), "name": names.get(k, "")} for k, o in f.milestones.items()],
        "objectives": [
            {**outlook_json(plan, o), "team": texts[k][0], "text": texts[k][1], "committed": texts[k][2]}
            for k, o in f.objectives.items()
        ],
        "features": [outlook_json(plan, o) for o in f.features.values()],
    }


def problem_json(p: Problem) -> dict[str, Any]:
    return {
        "key": p.key,
        "pi": p.pi,
        "text": p.text,
        "team": p.team,
        "raised_by": p.raised_by,
        "raised_at": p.raised_at.isoformat(),
        "whys": list(p.whys),
        "fishbone": {k: list(v) for k, v in p.fishbone.items()},
        "improvements": list(p.improvements),
    }
