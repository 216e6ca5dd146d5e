"""Erlang C and Erlang A (issue 14): the published reference, overload, the limits the two
models share, and a SimPy simulation of the same queue agreeing with the formulas."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auskunft.staffing.model.erlang import (
    Goal,
    Load,
    Model,
    agents_needed,
    erlang_c,
    predict,
)
from auskunft.staffing.model.simulation import simulate
from auskunft.telephony.model.figures import Formula

# Traffic 10 Erlang: 200 calls an hour of 180 s each.
REFERENCE = Load(calls_per_hour=200, aht_s=180)
IN_20_S = Goal(service_level=0.8, within_s=20)


def test_erlang_c_reproduces_the_published_reference() -> None:
    assert REFERENCE.intensity == pytest.approx(10.0)
    fourteen = predict(14, REFERENCE, IN_20_S)
    assert fourteen.model is Model.ERLANG_C
    assert round(fourteen.waiting_probability, 4) == 0.1741
    assert round(fourteen.service_level, 4) == 0.8884
    assert fourteen.asa_s is not None and round(fourteen.asa_s, 2) == 7.84
    assert fourteen.occupancy == pytest.approx(10 / 14)
    # 13 agents miss 80 % in 20 s, 14 reach it: the fewest needed are 14.
    assert predict(13, REFERENCE, IN_20_S).service_level < 0.8
    assert agents_needed(REFERENCE, IN_20_S).agents == 14


@pytest.mark.parametrize("agents", [0, 1, 5, 9, 10])
def test_erlang_c_in_overload_has_no_service_level_and_an_unbounded_wait(agents: int) -> None:
    prediction = predict(agents, REFERENCE, IN_20_S)
    assert prediction.service_level == 0.0
    assert prediction.asa_s is None and not prediction.stable
    assert prediction.waiting_probability == 1.0
    assert not any(math.isnan(v) for v in (prediction.service_level, prediction.occupancy))


def test_no_calls_need_no_agents() -> None:
    quiet = Load(calls_per_hour=0, aht_s=180)
    assert agents_needed(quiet, IN_20_S).agents == 0
    assert predict(0, quiet, IN_20_S).service_level == 1.0


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    goal = Goal(service_level=0.8, within_s=20, short_abandon_s=0)
    patient = Load(calls_per_hour=200, aht_s=180, patience_s=86_400)  # a day
    for agents in (13, 14, 18):
        a = predict(agents, patient, goal)
        c = predict(agents, REFERENCE, goal)
        assert a.model is Model.ERLANG_A
        assert a.service_level == pytest.approx(c.service_level, abs=1e-3)
        assert a.waiting_probability == pytest.approx(c.waiting_probability, abs=1e-3)
        assert a.asa_s == pytest.approx(c.asa_s, rel=1e-2)


def test_erlang_a_stays_finite_in_overload_and_needs_fewer_agents_than_erlang_c() -> None:
    impatient = Load(calls_per_hour=200, aht_s=180, patience_s=60)
    overloaded = predict(6, impatient, IN_20_S)
    assert overloaded.stable and overloaded.asa_s is not None and overloaded.asa_s > 0
    assert 0 < overloaded.abandon_rate < 1 and 0 <= overloaded.service_level < 0.8
    assert agents_needed(impatient, IN_20_S).agents <= agents_needed(REFERENCE, IN_20_S).agents
    nobody = predict(0, impatient, IN_20_S)
    assert nobody.abandon_rate == 1.0 and nobody.service_level == 0.0


def test_hundreds_of_agents_do_not_overflow() -> None:
    big = Load(calls_per_hour=20_000, aht_s=180)  # 1,000 Erlang
    needed = agents_needed(big, Goal())
    assert 1000 < needed.agents < 1100
    big_a = Load(calls_per_hour=20_000, aht_s=180, patience_s=120)
    # Many agents with impatient callers: waits stay under 30 s even slightly overloaded.
    assert 800 < agents_needed(big_a, Goal()).agents <= needed.agents


@settings(max_examples=60, deadline=None)
@given(
    calls=st.floats(min_value=1, max_value=2000),
    aht=st.floats(min_value=30, max_value=900),
    patience=st.one_of(st.none(), st.floats(min_value=1, max_value=600)),
    target=st.floats(min_value=0.5, max_value=0.95),
)
def test_the_fewest_agents_reach_the_target_and_one_fewer_does_not(
    calls: float, aht: float, patience: float | None, target: float
) -> None:
    load = Load(calls, aht, patience)
    goal = Goal(service_level=target)
    needed = agents_needed(load, goal)
    assert needed.service_level >= target
    assert 0 <= needed.occupancy <= 1 and 0 <= needed.waiting_probability <= 1
    if needed.agents > 0:
        assert predict(needed.agents - 1, load, goal).service_level < target


@pytest.mark.parametrize(
    "bad",
    [
        lambda: Load(-1, 180),
        lambda: Load(100, 0),
        lambda: Load(math.nan, 180),
        lambda: Load(100, 180, patience_s=0),
        lambda: Load(100, 0.001),
        lambda: Load(100, 180, patience_s=1e-300),
        lambda: Goal(service_level=1.2),
        lambda: Goal(within_s=-3),
        lambda: predict(-1, REFERENCE, IN_20_S),
    ],
)
def test_impossible_parameters_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        bad()  # type: ignore[operator]


def test_erlang_c_probability_is_a_probability() -> None:
    assert erlang_c(0, 0.0) == 0.0
    assert erlang_c(3, 5.0) == 1.0
    assert 0 < erlang_c(20, 15.0) < 1


@pytest.mark.parametrize(
    "load",
    [Load(200, 240, 90), Load(600, 200, 60), Load(200, 180)],
    ids=["erlang_a_small", "erlang_a_large", "erlang_c"],
)
def test_a_simulation_of_the_queue_agrees_with_the_formula(load: Load) -> None:
    goal = Goal()
    plan = agents_needed(load, goal)
    runs = [simulate(plan.agents, load, goal, calls=6000, seed=seed) for seed in range(4)]
    simulated = sum(r.answered_within for r in runs) / sum(
        r.answered + r.abandoned_long for r in runs
    )
    assert simulated == pytest.approx(plan.service_level, abs=0.03)
    waits = [r.mean_wait_answered_s for r in runs if r.mean_wait_answered_s is not None]
    assert plan.asa_s is not None
    assert sum(waits) / len(waits) == pytest.approx(plan.asa_s, rel=0.25, abs=1.0)


def test_the_formula_of_the_service_level_is_a_choice() -> None:
    load = Load(200, 180, patience_s=40)
    levels = {
        formula: predict(10, load, Goal(formula=formula)).service_level for formula in Formula
    }
    # Dividing by everybody offered is strictest, by the answered alone most lenient.
    assert levels[Formula.OFFERED] < levels[Formula.ANSWERED_AND_LONG_ABANDONS]
    assert levels[Formula.ANSWERED_AND_LONG_ABANDONS] < levels[Formula.ANSWERED]
