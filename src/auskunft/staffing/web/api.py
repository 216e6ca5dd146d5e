"""`GET /api/v1/staffing/erlang`: agents needed for a service level, by Erlang C or A;
`GET /api/v1/staffing/week`: the plan of a week from the forecast."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from auskunft.core.config import Settings
from auskunft.core.errors import InvalidInput
from auskunft.core.hours import BERLIN
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import Uow, require_api, settings_of
from auskunft.core.web.openapi import errors
from auskunft.staffing.model.erlang import (
    MAX_AGENTS,
    Goal,
    Load,
    Prediction,
    agents_needed,
    predict,
    scheduled,
)
from auskunft.staffing.service import plan
from auskunft.telephony.model.figures import Definition, Formula

router = APIRouter(prefix="/api/v1/staffing", tags=["staffing"])

PLANNERS = (Role.SUPERVISOR, Role.ADMIN)


api_planner = require_api(
    *PLANNERS,
    refusal=(
        "Die Personalplanung ist Sache der Leitung, mit einem persönlichen API-Token.",
        "Staffing is for supervisors, with a personal API token.",
    ),
)


class ErlangAnswer(BaseModel):
    agents: int = Field(description="agents on the phone: the fewest reaching the target")
    agents_scheduled: int = Field(description="agents to schedule, with the shrinkage")
    service_level: float = Field(description="achieved with `agents`, by `formula`")
    asa_s: float | None = Field(description="mean wait of answered calls; null: unbounded")
    occupancy: float
    waiting_probability: float
    abandon_rate: float = Field(description="share of callers who hang up (Erlang A)")
    model: Literal["erlang_c", "erlang_a"]
    intensity: float = Field(description="traffic in Erlang")
    target: float
    within_s: float
    short_abandon_s: float
    formula: str
    shrinkage: float
    reaches_target: bool


def answer(prediction: Prediction, load: Load, goal: Goal, shrinkage: float) -> ErlangAnswer:
    return ErlangAnswer(
        agents=prediction.agents,
        agents_scheduled=scheduled(prediction.agents, shrinkage),
        service_level=round(prediction.service_level, 6),
        asa_s=None if prediction.asa_s is None else round(prediction.asa_s, 3),
        occupancy=round(prediction.occupancy, 6),
        waiting_probability=round(prediction.waiting_probability, 6),
        abandon_rate=round(prediction.abandon_rate, 6),
        model=prediction.model.value,
        intensity=round(load.intensity, 6),
        target=goal.service_level,
        within_s=goal.within_s,
        short_abandon_s=goal.short_abandon_s,
        formula=goal.formula.value,
        shrinkage=shrinkage,
        reaches_target=prediction.service_level >= goal.service_level,
    )


@router.get(
    "/erlang",
    response_model=ErlangAnswer,
    responses=errors(401, 403, 422),
    summary="Agents needed for a service level (Erlang C, or Erlang A with patience_s)",
)
def erlang(
    _planner: Annotated[Login, Depends(api_planner)],
    settings: Annotated[Settings, Depends(settings_of)],
    calls_per_hour: Annotated[float, Query(ge=0, le=100_000)],
    aht_s: Annotated[float, Query(ge=1, le=7200, description="mean handling time")],
    target: Annotated[float | None, Query(gt=0, lt=1)] = None,
    within_s: Annotated[float | None, Query(ge=0, le=3600)] = None,
    patience_s: Annotated[
        float | None, Query(ge=1, le=3600, description="callers' mean patience: Erlang A")
    ] = None,
    agents: Annotated[
        int | None, Query(ge=0, le=MAX_AGENTS, description="what this many achieve")
    ] = None,
) -> ErlangAnswer:
    goal = Goal(
        service_level=target if target is not None else settings.service_level_target,
        within_s=within_s if within_s is not None else settings.service_level_seconds,
        short_abandon_s=settings.short_abandon_seconds,
        formula=Formula(settings.service_level_formula),
    )
    load = Load(calls_per_hour, aht_s, patience_s)
    try:
        prediction = (
            predict(agents, load, goal) if agents is not None else agents_needed(load, goal)
        )
    except ValueError as error:
        raise InvalidInput(
            "Mit diesen Werten lässt sich keine Besetzung rechnen: " + str(error),
            message_en="No staffing can be computed from these values: " + str(error),
        ) from error
    return answer(prediction, load, goal, settings.staffing_shrinkage)


class PlanInterval(BaseModel):
    start: str = Field(description="the half hour's start (Europe/Berlin)")
    calls: float = Field(description="calls forecast")
    erlang_c_agents: int
    erlang_c_service_level: float
    erlang_a_agents: int | None = Field(description="null without abandons to estimate patience")
    erlang_a_service_level: float | None
    agents_scheduled: int = Field(description="agents to schedule (Erlang A where known)")
    simulated_service_level: float | None = Field(description="with simulate=true")


class PlanAccuracy(BaseModel):
    weeks: int = Field(description="weeks held out and forecast from the history before them")
    mape: float | None = Field(description="half hours with at least 5 calls")
    wape: float | None
    slots: int


class PlanCheck(BaseModel):
    formula: float = Field(description="the formula's service level, weighted by calls")
    simulated: float = Field(description="the simulation's, weighted by calls")


class WeekPlan(BaseModel):
    week: str
    model: Literal["erlang_c", "erlang_a"]
    target: float
    within_s: int
    aht_s: float = Field(description="mean handling time of the answered calls, last 8 weeks")
    patience_s: float | None = Field(description="callers' mean patience from the abandons")
    shrinkage: float
    history_weeks: int
    accuracy: PlanAccuracy
    check: PlanCheck | None
    intervals: list[PlanInterval]
    computed_at: str


@router.get(
    "/week",
    response_model=WeekPlan,
    responses=errors(401, 403, 422),
    summary="Calls forecast per half hour of a week and the agents needed (Erlang C and A)",
)
def week(
    uow: Uow,
    _planner: Annotated[Login, Depends(api_planner)],
    settings: Annotated[Settings, Depends(settings_of)],
    start: Annotated[date | None, Query(description="a Monday; default: the coming week")] = None,
    target: Annotated[float | None, Query(gt=0, lt=1)] = None,
    simulate: Annotated[bool, Query(description="check the plan by simulation")] = False,
) -> Any:
    monday = start or plan.default_monday(uow, datetime.now(UTC).astimezone(BERLIN).date())
    return plan.week_plan(
        uow,
        monday,
        Definition(
            within_s=settings.service_level_seconds,
            short_abandon_s=settings.short_abandon_seconds,
            formula=Formula(settings.service_level_formula),
        ),
        target=target if target is not None else settings.service_level_target,
        shrinkage=settings.staffing_shrinkage,
        check=simulate,
    )
