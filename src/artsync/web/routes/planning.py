"""PI planning over the API: breakout cards and risks, objectives and business value, WSJF, the vote, commit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from artsync.domain import limits
from artsync.domain.plan import card_ref
from artsync.formats.fields import Key, Text
from artsync.services.baselines import commit_pi, get_baseline
from artsync.services.cards import add_card, get_card, remove_card
from artsync.services.objectives import add_objective, edit_objective, get_objective, set_business_value
from artsync.services.risks import raise_risk
from artsync.services.votes import cast_vote, close_vote, get_vote, open_vote
from artsync.services.wsjf import finish_wsjf_session, get_wsjf_session, score_wsjf_column, start_wsjf_session
from artsync.views.base import seq_of
from artsync.views.planning import Baseline, Card, CardRemoved, Commitment, Objective, Risk, Vote, Wsjf
from artsync.web.deps import CurrentCaller, Db, parse_if_match, require_if_match, set_etag
from artsync.web.routes.cards import CardId
from artsync.web.routes.pis import PiQuery

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


@router.post("/trains/{key}/cards", status_code=201)
def new_card(key: str, body: NewCard, db: Db, caller: CurrentCaller) -> Card:
    """Put a team's card on the board (the team, or the RTE)."""
    added = add_card(
        db, actor=caller.actor, train_key=key, feature=body.feature, team=body.team, points=body.points,
        iteration=body.iteration,
    )  # fmt: skip
    return Card.of(added.id or 0, key, added.value, added.version, seq_of(added.event))


@router.delete("/cards/{card_id}")
def drop_card(
    card_id: CardId, db: Db, caller: CurrentCaller, if_match: Annotated[str | None, Header()] = None
) -> CardRemoved:
    """Take a card off the board with the dependencies on it; If-Match is optional."""
    found = get_card(db, actor=caller.actor, card_id=card_id)
    event = remove_card(
        db, actor=caller.actor, train_key=found.train, ref=card_ref(found.card.feature, found.card.team),
        version=parse_if_match(if_match),
    )  # fmt: skip
    return CardRemoved(removed=found.card.ref, seq=event.seq)


@router.post("/trains/{key}/risks", status_code=201)
def new_risk(key: str, body: NewRisk, db: Db, caller: CurrentCaller) -> Risk:
    """Raise a risk; it starts unROAMed."""
    raised = raise_risk(db, actor=caller.actor, train_key=key, text=body.text, team=body.team)
    return Risk.of(raised)


@router.post("/trains/{key}/objectives", status_code=201)
def new_objective(key: str, body: NewObjective, db: Db, caller: CurrentCaller, response: Response) -> Objective:
    """Write a PI objective (the team, or product management for a train objective)."""
    added = add_objective(
        db, actor=caller.actor, train_key=key, team=body.team, text=body.text, committed=body.committed,
        features=body.features,
    )  # fmt: skip
    set_etag(response, added.version)
    return Objective.of_view(added)


@router.get("/trains/{key}/objectives/{objective}")
def read_objective(key: str, objective: str, db: Db, caller: CurrentCaller, response: Response) -> Objective:
    """One objective and its version as ETag."""
    view = get_objective(db, actor=caller.actor, train_key=key, key=objective)
    set_etag(response, view.version)
    return Objective.of_view(view)


@router.patch("/trains/{key}/objectives/{objective}")
def patch_objective(
    key: str,
    objective: str,
    body: ObjectivePatch,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Objective:
    """Change an objective's text, commitment or features; 412 when If-Match is stale."""
    edited = edit_objective(
        db, actor=caller.actor, train_key=key, key=objective, text=body.text, committed=body.committed,
        features=body.features, version=require_if_match(if_match),
    )  # fmt: skip
    set_etag(response, edited.version)
    return Objective.of_view(edited)


@router.put("/trains/{key}/objectives/{objective}/business-value")
def put_business_value(
    key: str,
    objective: str,
    body: BusinessValue,
    db: Db,
    caller: CurrentCaller,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Objective:
    """A business owner sets planned (1–10) or actual (0–10) business value; If-Match is optional."""
    valued = set_business_value(
        db, actor=caller.actor, train_key=key, key=objective, planned=body.planned, actual=body.actual,
        version=parse_if_match(if_match),
    )  # fmt: skip
    set_etag(response, valued.version)
    return Objective.of_view(valued)


@router.get("/trains/{key}/vote")
def read_vote(key: str, db: Db, caller: CurrentCaller) -> Vote:
    """The latest round of the confidence vote: who voted while it is open, the result once closed."""
    return Vote.of(get_vote(db, actor=caller.actor, train_key=key))


@router.post("/trains/{key}/vote", status_code=201)
def start_vote(key: str, db: Db, caller: CurrentCaller) -> Vote:
    """The RTE opens a round of the confidence vote (a rework round after one that did not pass)."""
    vote = open_vote(db, actor=caller.actor, train_key=key)
    return Vote.of(vote)


@router.put("/trains/{key}/vote/ballot")
def put_ballot(key: str, body: Ballot, db: Db, caller: CurrentCaller) -> Vote:
    """Vote 1–5, or change your vote while the round is open."""
    vote = cast_vote(db, actor=caller.actor, train_key=key, fingers=body.fingers)
    return Vote.of(vote)


@router.post("/trains/{key}/vote/close")
def end_vote(key: str, db: Db, caller: CurrentCaller) -> Vote:
    """The RTE closes the round: the histogram and average, and whether the train may commit (≥ 3)."""
    vote = close_vote(db, actor=caller.actor, train_key=key)
    return Vote.of(vote)


@router.post("/trains/{key}/commit", status_code=201)
def commit(key: str, body: Commit, db: Db, caller: CurrentCaller) -> Commitment:
    """Freeze the plan as the PI's baseline and start executing (the RTE, after a passing vote)."""
    baseline = commit_pi(db, actor=caller.actor, train_key=key, override_reason=body.override_reason)
    return Commitment.made(baseline)


@router.get("/trains/{key}/baseline")
def baseline(key: str, db: Db, caller: CurrentCaller, pi: PiQuery = None) -> Baseline:
    """The plan as committed, kept forever: who committed it, when, on which vote."""
    return Baseline.of(get_baseline(db, actor=caller.actor, train_key=key, pi_key=pi))


@router.get("/trains/{key}/wsjf")
def read_wsjf(key: str, db: Db, caller: CurrentCaller) -> Wsjf:
    """The latest WSJF session: the columns scored and by whom, or the order it produced."""
    return Wsjf.of(get_wsjf_session(db, actor=caller.actor, train_key=key))


@router.post("/trains/{key}/wsjf", status_code=201)
def start_wsjf(key: str, body: NewWsjfSession, db: Db, caller: CurrentCaller) -> Wsjf:
    """Product management opens a WSJF session over the backlog or the features named."""
    return Wsjf.of(start_wsjf_session(db, actor=caller.actor, train_key=key, features=body.features))


@router.put("/trains/{key}/wsjf/{column}")
def score_wsjf(key: str, column: str, body: WsjfColumn, db: Db, caller: CurrentCaller) -> Wsjf:
    """Score one column (ubv, tc, rroe or size) for every feature of the session; the smallest is 1."""
    return Wsjf.of(score_wsjf_column(db, actor=caller.actor, train_key=key, column=column, scores=body.scores))


@router.post("/trains/{key}/wsjf/finish")
def finish_wsjf(key: str, db: Db, caller: CurrentCaller) -> Wsjf:
    """Apply the four columns to the backlog and record the resulting order with who scored it."""
    done = finish_wsjf_session(db, actor=caller.actor, train_key=key)
    return Wsjf.of(done)
