"""PI planning over the API: breakout cards and risks, objectives and business value, WSJF, the vote, commit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from artsync.domain import limits
from artsync.domain.plan import card_ref
from artsync.io import views
from artsync.services.baselines import commit_pi, get_baseline
from artsync.services.cards import add_card, get_card, remove_card
from artsync.services.objectives import ObjectiveView, add_objective, edit_objective, get_objective, set_business_value
from artsync.services.risks import raise_risk
from artsync.services.votes import cast_vote, close_vote, get_vote, open_vote
from artsync.services.wsjf import finish_wsjf_session, get_wsjf_session, score_wsjf_column, start_wsjf_session
from artsync.web.deps import CurrentCaller, Db, parse_if_match, require_if_match, set_etag
from artsync.web.fields import Key, Text
from artsync.web.routes.cards import CardId, card_body
from artsync.web.routes.pis import PiQuery
from artsync.web.routes.risks import risk_body

router = APIRouter(prefix="/api/v1", tags=["pi planning"])


class NewCard(BaseModel):
    """A team's part of a feature, put on the board in breakouts."""

    model_config = ConfigDict(extra="forbid")
    feature: Key
    team: Key
    points: int = Field(ge=limits.POINTS.low, le=limits.POINTS.high)
    iteration: int | None = Field(None, ge=1, le=12, description="1-based iteration, or null for unplanned")


class NewRisk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text
    team: Key | None = None


class NewObjective(BaseModel):
    """A PI objective; ``team`` null makes it a train objective."""

    model_config = ConfigDict(extra="forbid")
    text: Text
    team: Key | None = None
    committed: bool = True
    features: list[Key] = Field(default_factory=list, max_length=100)


class ObjectivePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text | None = None
    committed: bool | None = None
    features: list[Key] | None = Field(None, max_length=100)


class BusinessValue(BaseModel):
    """The business owners' word: planned in PI planning (1–10), actual at Inspect & Adapt (0–10)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    planned: Annotated[int, Field(ge=limits.PLANNED_BV.low, le=limits.PLANNED_BV.high)] | SkipJsonSchema[None] = None
    actual: Annotated[int, Field(ge=limits.ACTUAL_BV.low, le=limits.ACTUAL_BV.high)] | SkipJsonSchema[None] = None


class Ballot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fingers: int = Field(ge=1, le=5, description="Confidence, 1 (none) to 5 (full)")


class Commit(BaseModel):
    """Commit after a passing vote; ``override_reason`` commits despite unROAMed risks or error findings."""

    model_config = ConfigDict(extra="forbid")
    override_reason: Text | None = None


class NewWsjfSession(BaseModel):
    model_config = ConfigDict(extra="forbid")
    features: list[Key] | None = Field(None, max_length=5000, description="By default the whole backlog")


class WsjfColumn(BaseModel):
    """One column's relative scores, every feature of the session, the smallest 1."""

    model_config = ConfigDict(extra="forbid")
    scores: dict[str, int] = Field(max_length=5000)


def objective_body(view: ObjectiveView) -> dict[str, Any]:
    return {**views.objective_json(view.objective), "version": view.version}


@router.post("/trains/{key}/cards", status_code=201)
def new_card(key: str, body: NewCard, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Put a team's card on the board (the team, or the RTE)."""
    added = add_card(
        db, actor=caller.actor, train_key=key, feature=body.feature, team=body.team, points=body.points,
        iteration=body.iteration,
    )  # fmt: skip
    return card_body(added.id or 0, key, added.card, added.version)


@router.delete("/cards/{card_id}")
def drop_card(
    card_id: CardId, request: Request, db: Db, caller: CurrentCaller, if_match: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    """Take a card off the board with the dependencies on it; If-Match is optional."""
    found = get_card(db, actor=caller.actor, card_id=card_id)
    event = remove_card(
        db, actor=caller.actor, train_key=found.train, ref=card_ref(found.card.feature, found.card.team),
        version=parse_if_match(if_match),
    )  # fmt: skip
    return {"removed": found.card.ref, "seq": event.seq}


@router.post("/trains/{key}/risks", status_code=201)
def new_risk(key: str, body: NewRisk, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Raise a risk; it starts unROAMed."""
    raised = raise_risk(db, actor=caller.actor, train_key=key, text=body.text, team=body.team)
    return risk_body(raised)


@router.post("/trains/{key}/objectives", status_code=201)
def new_objective(
    key: str, body: NewObjective, request: Request, db: Db, caller: CurrentCaller, response: Response
) -> dict[str, Any]:
    """Write a PI objective (the team, or product management for a train objective)."""
    added = add_objective(
        db, actor=caller.actor, train_key=key, team=body.team, text=body.text, committed=body.committed,
        features=body.features,
    )  # fmt: skip
    set_etag(response, added.version)
    return objective_body(added)


@router.get("/trains/{key}/objectives/{objective}")
def read_objective(key: str, objective: str, db: Db, caller: CurrentCaller, response: Response) -> dict[str, Any]:
    """One objective and its version as ETag."""
    view = get_objective(db, actor=caller.actor, train_key=key, key=objective)
    set_etag(response, view.version)
    return objective_body(view)


@router.patch("/trains/{key}/objectives/{objective}")
def patch_objective(
    key: str,
    objective: str,
    body: ObjectivePatch,
    request: Request,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Change an objective's text, commitment or features; 412 when If-Match is stale."""
    edited = edit_objective(
        db, actor=caller.actor, train_key=key, key=objective, text=body.text, committed=body.committed,
        features=body.features, version=require_if_match(if_match),
    )  # fmt: skip
    set_etag(response, edited.version)
    return objective_body(edited)


@router.put("/trains/{key}/objectives/{objective}/business-value")
def put_business_value(
    key: str,
    objective: str,
    body: BusinessValue,
    request: Request,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """A business owner sets planned (1–10) or actual (0–10) business value; If-Match is optional."""
    valued = set_business_value(
        db, actor=caller.actor, train_key=key, key=objective, planned=body.planned, actual=body.actual,
        version=parse_if_match(if_match),
    )  # fmt: skip
    set_etag(response, valued.version)
    return objective_body(valued)


@router.get("/trains/{key}/vote")
def read_vote(key: str, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """The latest round of the confidence vote: who voted while it is open, the result once closed."""
    return views.vote_json(get_vote(db, actor=caller.actor, train_key=key))


@router.post("/trains/{key}/vote", status_code=201)
def start_vote(key: str, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """The RTE opens a round of the confidence vote (a rework round after one that did not pass)."""
    vote = open_vote(db, actor=caller.actor, train_key=key)
    return views.vote_json(vote)


@router.put("/trains/{key}/vote/ballot")
def put_ballot(key: str, body: Ballot, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Vote 1–5, or change your vote while the round is open."""
    vote = cast_vote(db, actor=caller.actor, train_key=key, fingers=body.fingers)
    return views.vote_json(vote)


@router.post("/trains/{key}/vote/close")
def end_vote(key: str, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """The RTE closes the round: the histogram and average, and whether the train may commit (≥ 3)."""
    vote = close_vote(db, actor=caller.actor, train_key=key)
    return views.vote_json(vote)


@router.post("/trains/{key}/commit", status_code=201)
def commit(key: str, body: Commit, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Freeze the plan as the PI's baseline and start executing (the RTE, after a passing vote)."""
    baseline = commit_pi(db, actor=caller.actor, train_key=key, override_reason=body.override_reason)
    return {**views.baseline_json(baseline), "overridden": list(baseline.overridden)}


@router.get("/trains/{key}/baseline")
def baseline(key: str, db: Db, caller: CurrentCaller, pi: PiQuery = None) -> dict[str, Any]:
    """The plan as committed, kept forever: who committed it, when, on which vote."""
    return views.baseline_json(get_baseline(db, actor=caller.actor, train_key=key, pi_key=pi))


@router.get("/trains/{key}/wsjf")
def read_wsjf(key: str, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """The latest WSJF session: the columns scored and by whom, or the order it produced."""
    return views.wsjf_json(get_wsjf_session(db, actor=caller.actor, train_key=key))


@router.post("/trains/{key}/wsjf", status_code=201)
def start_wsjf(key: str, body: NewWsjfSession, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Product management opens a WSJF session over the backlog or the features named."""
    return views.wsjf_json(start_wsjf_session(db, actor=caller.actor, train_key=key, features=body.features))


@router.put("/trains/{key}/wsjf/{column}")
def score_wsjf(key: str, column: str, body: WsjfColumn, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Score one column (ubv, tc, rroe or size) for every feature of the session; the smallest is 1."""
    return views.wsjf_json(score_wsjf_column(db, actor=caller.actor, train_key=key, column=column, scores=body.scores))


@router.post("/trains/{key}/wsjf/finish")
def finish_wsjf(key: str, request: Request, db: Db, caller: CurrentCaller) -> dict[str, Any]:
    """Apply the four columns to the backlog and record the resulting order with who scored it."""
    done = finish_wsjf_session(db, actor=caller.actor, train_key=key)
    return views.wsjf_json(done)
