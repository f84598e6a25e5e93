"""Measures, the PI report and the problem-solving workshop over the API."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from artsync.errors import NotFoundError
from artsync.formats.fields import Key, Text, Title
from artsync.services.measures import get_measures
from artsync.services.report import pi_report
from artsync.services.workshop import add_cause, add_improvement, add_problem, list_problems
from artsync.views.measures import Measures, ProblemList, WorkshopProblem
from artsync.views.report import csv_text, report_html, report_markdown, tables
from artsync.web.deps import CurrentCaller, Db

router = APIRouter(prefix="/api/v1", tags=["measures"])
PiQuery = Annotated[str | None, Query(max_length=64, description="The PI's key; by default the current PI.")]
TABLES = ("objectives", "predictability", "progress", "drift", "forecast", "risks", "conflicts", "decisions",
          "improvements")  # fmt: skip


class NewProblem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text
    team: str | None = Field(None, max_length=64)


class NewCause(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text
    category: Literal["why", "people", "process", "tools", "program", "environment"] = "why"


class NewImprovement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    key: Key | None = None


@router.get("/trains/{key}/measures")
def measures(key: str, db: Db, caller: CurrentCaller, pi: PiQuery = None) -> Measures:
    """Progress (planned against done, burn-up), predictability with its trend, and drift from the baseline."""
    return Measures.of(get_measures(db, actor=caller.actor, train_key=key, pi_key=pi))


@router.get("/trains/{key}/report", response_class=Response)
def report(
    key: str, db: Db, caller: CurrentCaller, pi: PiQuery = None, format: Literal["html", "md"] = "html"
) -> Response:
    """The PI report as a standalone HTML document (charts in SVG) or as Markdown."""
    made = pi_report(db, actor=caller.actor, train_key=key, pi_key=pi)
    if format == "md":
        return Response(report_markdown(made), media_type="text/markdown; charset=utf-8")
    return Response(report_html(made), media_type="text/html; charset=utf-8")


@router.get("/trains/{key}/report/{table}.csv", response_class=Response)
def report_csv(key: str, table: str, db: Db, caller: CurrentCaller, pi: PiQuery = None) -> Response:
    """One table of the PI report as CSV: objectives, predictability, progress, drift, forecast, risks, conflicts,
    decisions or improvements."""
    if table not in TABLES:
        raise NotFoundError(f"no table {table!r} in the report; the tables are {', '.join(TABLES)}")
    made = pi_report(db, actor=caller.actor, train_key=key, pi_key=pi)
    return Response(
        csv_text(tables(made)[table]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{key}-{made.measures.plan.pi.key}-{table}.csv"'},
    )


@router.get("/trains/{key}/problems")
def problems(key: str, db: Db, caller: CurrentCaller, pi: PiQuery = None) -> ProblemList:
    """The problem-solving workshop's problems, root causes and improvement items."""
    return ProblemList(
        problems=[WorkshopProblem.of(p) for p in list_problems(db, actor=caller.actor, train_key=key, pi_key=pi)]
    )


@router.post("/trains/{key}/problems", status_code=201)
def new_problem(key: str, body: NewProblem, db: Db, caller: CurrentCaller) -> WorkshopProblem:
    made = add_problem(db, actor=caller.actor, train_key=key, text=body.text, team=body.team)
    return WorkshopProblem.of(made)


@router.post("/trains/{key}/problems/{problem}/causes", status_code=201)
def new_cause(key: str, problem: str, body: NewCause, db: Db, caller: CurrentCaller) -> WorkshopProblem:
    """A root cause: the next "why?", or a cause on a bone of the fishbone."""
    made = add_cause(db, actor=caller.actor, train_key=key, key=problem, text=body.text, category=body.category)
    return WorkshopProblem.of(made)


@router.post("/trains/{key}/problems/{problem}/improvements", status_code=201)
def new_improvement(key: str, problem: str, body: NewImprovement, db: Db, caller: CurrentCaller) -> WorkshopProblem:
    """An improvement item into the ART backlog, linked to the problem."""
    made = add_improvement(db, actor=caller.actor, train_key=key, key=problem, title=body.title, feature_key=body.key)
    return WorkshopProblem.of(made)
