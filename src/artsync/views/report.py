"""The PI report as tables (for CSV), Markdown, and HTML with its charts drawn in SVG."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from artsync.domain.forecast import iteration_words
from artsync.domain.text import csv_cell, markdown_text
from artsync.formats.charts import burn_up_svg, progress_svg, trend_svg
from artsync.services.report import Report
from artsync.views.measures import DriftRow, PredictabilityRow, progress_rows

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)


def tables(r: Report) -> dict[str, list[dict[str, Any]]]:
    """Every table of the report, as rows of plain values: the CSV export writes one file per table."""
    m = r.measures
    plan = m.plan
    chances = r.forecast.forecast.objectives if r.forecast else {}
    out: dict[str, list[dict[str, Any]]] = {
        "objectives": [
            {
                "key": o.key,
                "team": o.team or "train",
                "text": o.text,
                "committed": o.committed,
                "planned_bv": o.planned_bv,
                "actual_bv": o.actual_bv,
                "forecast_chance": round(chances[o.key].probability or 0, 3) if o.key in chances else None,
            }
            for o in sorted(plan.objectives, key=lambda o: (o.team or "", not o.committed, o.key))
        ],
        "predictability": [PredictabilityRow.of(t.pi, p).json_value() for t in m.trend for p in t.measures],
        "progress": [row.json_value() for row in progress_rows(m)],
        "drift": [DriftRow.of(d).json_value() for d in m.drift],
        "forecast": [],
        "risks": [
            {"key": k.key, "text": k.text, "team": k.team, "roam": k.roam, "owner": k.owner, "note": k.note}
            for k in plan.risks
        ],
        "conflicts": [
            {
                "key": c.key,
                "kind": c.kind,
                "parties": ", ".join(c.parties),
                "summary": c.summary,
                "status": c.status,
                "decision": c.decision,
                "rationale": c.rationale,
                "changed": ", ".join(c.links),
            }
            for c in r.conflicts
        ],
        "decisions": [
            {
                "key": d.key,
                "question": d.question,
                "state": d.state,
                "decision": d.decision,
                "rationale": d.rationale,
                "changed": ", ".join(d.links),
                "by": d.decided_by,
            }
            for d in r.decisions
        ],
        "improvements": [
            {
                "problem": p.key,
                "text": p.text,
                "team": p.team,
                "root_causes": " / ".join(c.text for c in p.causes),
                "improvements": ", ".join(p.improvements),
            }
            for p in r.problems
        ],
    }
    if r.forecast:
        f = r.forecast.forecast
        names = {x.key: x.name for x in plan.milestones}
        out["forecast"] = [
            {
                "milestone": k,
                "name": names.get(k, ""),
                "due": iteration_words(plan, o.deadline or 0),
                "chance": round(o.probability or 0, 3),
                "p85": "not within the forecast" if o.p85 >= o.beyond else iteration_words(plan, o.p85),
            }
            for k, o in f.milestones.items()
        ]
    return out


def csv_text(rows: list[dict[str, Any]]) -> str:
    """One table as CSV with a header row (an empty table is just the header it would have)."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: "" if v is None else csv_cell(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def context(r: Report) -> dict[str, Any]:
    m = r.measures
    scopes = [p.scope for p in m.predictability.measures]
    return {
        "r": r,
        "m": m,
        "plan": m.plan,
        "t": tables(r),
        # The charts are drawn by formats/charts.py, which escapes every text it places in them.
        "charts": {
            "trend": Markup(trend_svg(scopes, [(t.pi, t.measures) for t in m.trend])),
            "burn_up": Markup(burn_up_svg(m.progress, m.plan.pi.key)),
            "progress": Markup(progress_svg(m.progress)),
        },
    }


def report_body_html(r: Report, shown: dict[str, Any] | None = None) -> str:
    """The report's content, to place in a page."""
    return TEMPLATES.get_template("report_body.html").render(shown or context(r))


def report_html(r: Report) -> str:
    """A whole HTML document that reads on its own (a file, a mail): styles inline, charts as SVG."""
    shown = context(r)
    return TEMPLATES.get_template("report.html").render(shown | {"body": Markup(report_body_html(r, shown))})


def report_markdown(r: Report) -> str:
    """The report in Markdown: every table, the charts' figures as tables."""
    m = r.measures
    t = tables(r)
    out = [f"# PI report · {markdown_text(m.plan.train.name)} · {m.plan.pi.key}", "", f"Made on {r.made_on}.", ""]

    def table(title: str, rows: list[dict[str, Any]], empty: str) -> None:
        out.extend([f"## {title}", ""])
        if not rows:
            out.extend([f"_{empty}_", ""])
            return
        header = list(rows[0])
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for row in rows:
            out.append("| " + " | ".join(md_cell(row[h]) for h in header) + " |")
        out.append("")

    table("Objectives and business value", t["objectives"], "no objectives")
    table("Predictability (actual BV of all objectives ÷ planned BV of committed ones; target 80–100%)",
          t["predictability"], "nothing to measure yet")  # fmt: skip
    train = [row for row in t["progress"] if row["scope"] == "train"]
    table("Burn-up (train)", train, "no cards")
    table(
        "Drift from the baseline", t["drift"], "nothing moved against the baseline" if m.baseline else "not committed"
    )
    table("Forecast of the milestones", t["forecast"], "no forecast for a past PI")
    table("Risks", t["risks"], "no risks")
    table("Conflicts", t["conflicts"], "no conflicts")
    table("Decisions", t["decisions"], "no decisions")
    table("Problem-solving workshop: improvement items", t["improvements"], "no problems brought to the workshop")
    return "\n".join(out)


def md_cell(value: Any) -> str:
    return markdown_text(value).replace("|", "\\|")
