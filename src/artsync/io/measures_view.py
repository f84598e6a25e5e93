"""The measures of a PI as plain JSON, table rows (for CSV and the report) and charts."""

from __future__ import annotations

from typing import Any

from artsync.domain.drift import Drift
from artsync.domain.predictability import BAND, Predictability
from artsync.io.charts import Series, bar_chart, line_chart
from artsync.services.measures import Measures


def predictability_row(pi: str, p: Predictability) -> dict[str, Any]:
    return {
        "pi": pi,
        "scope": p.scope,
        "planned_bv": p.planned,
        "actual_bv": p.actual,
        "percent": p.percent,
        "band": p.band,
        "objectives": p.objectives,
        "unvalued": p.unvalued,
        "note": p.reason or (f"{p.unvalued} objectives have no actual value yet" if p.unvalued else ""),
    }


def drift_row(d: Drift) -> dict[str, Any]:
    return {
        "kind": d.kind,
        "item": d.item,
        "team": d.team,
        "detail": d.detail,
        "points": d.points,
        "iterations": d.iterations,
        "seq": d.seq,
        "actor": d.actor,
        "at": d.at.isoformat() if d.at else None,
    }


def progress_rows(m: Measures) -> list[dict[str, Any]]:
    rows = []
    for p in m.progress:
        planned, done = p.burn_up
        for n, it in enumerate(p.iterations):
            rows.append(
                {
                    "scope": p.scope,
                    "iteration": it.label,
                    "planned": it.planned,
                    "done": it.done,
                    "cumulative_planned": planned[n],
                    "cumulative_done": done[n],
                    "scope_points": p.scope_points,
                }
            )
    return rows


def measures_json(m: Measures) -> dict[str, Any]:
    return {
        "train": m.plan.train.key,
        "pi": m.plan.pi.key,
        "committed": m.baseline is not None,
        "progress": progress_rows(m),
        "features": [
            {
                "key": f.key,
                "title": f.title,
                "points": f.points,
                "done": f.done,
                "percent": f.percent,
                "teams": list(f.teams),
                "iterations": [{"iteration": i.label, "planned": i.planned, "done": i.done} for i in f.iterations],
            }
            for f in m.features
        ],
        "predictability": [predictability_row(m.predictability.pi, p) for p in m.predictability.measures],
        "trend": [predictability_row(t.pi, p) for t in m.trend for p in t.measures],
        "drift": [drift_row(d) for d in m.drift],
        "drift_totals": [
            {
                "scope": t.scope,
                "slipped": t.slipped,
                "iterations_slipped": t.iterations_slipped,
                "added_points": t.added_points,
                "removed_points": t.removed_points,
                "broken": t.broken,
            }
            for t in m.drift_totals
        ],
    }


def burn_up_svg(m: Measures, scope: str = "train") -> str:
    p = next(x for x in m.progress if x.scope == scope)
    planned, done = p.burn_up
    labels = [it.label for it in p.iterations]
    return line_chart(
        f"Burn-up · {scope} · PI {m.plan.pi.key}",
        labels,
        [
            Series("scope now", [p.scope_points] * len(labels), "#94a3b8", dashed=True),
            Series("planned (cumulative)", planned, "#1f5fbf"),
            Series("done (cumulative)", done, "#1d7a46"),
        ],
        y_label="points",
        x_label="iteration",
    )


def progress_svg(m: Measures, scope: str = "train") -> str:
    p = next(x for x in m.progress if x.scope == scope)
    return bar_chart(
        f"Done against planned per iteration · {scope}",
        [it.label for it in p.iterations],
        [
            Series("planned", [it.planned for it in p.iterations], "#1f5fbf"),
            Series("done", [it.done for it in p.iterations], "#1d7a46"),
        ],
        y_label="points",
        x_label="iteration",
    )


def trend_svg(m: Measures) -> str:
    scopes = [p.scope for p in m.predictability.measures]
    by_pi = {t.pi: {p.scope: p.percent for p in t.measures} for t in m.trend}
    pis = list(by_pi)
    series = [
        Series("train" if s == "train" else s, [by_pi[pi].get(s) for pi in pis], "#1c2430" if s == "train" else None)
        for s in scopes
    ]
    return line_chart(
        "Predictability per PI",
        pis,
        series,
        y_label="predictability (%)",
        x_label="PI",
        band=BAND,
        band_label="target 80–100%",
        minimum_top=120.0,
    )
