"""The staffing plan of a coming week: calls per half hour forecast from the history, the
agents needed for the target by Erlang C and by Erlang A, handling time and patience
from the records, a shrinkage for breaks, training and absence, and (on request) a
simulation that checks the plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.core.hours import BERLIN, public_holidays
from auskunft.staffing.model import forecast
from auskunft.staffing.model.erlang import Goal, Load, agents_needed, scheduled
from auskunft.staffing.model.simulation import simulate
from auskunft.telephony.model.figures import CallCounts, Definition
from auskunft.telephony.service import figures

HISTORY_WEEKS = forecast.TREND_WEEKS + forecast.HOLDOUT_WEEKS
DEFAULT_AHT_S = 180.0  # without answered calls in the history
SIMULATED_CALLS = 800  # callers per simulated half hour (after a warm-up)


def default_monday(uow: UnitOfWork, today: date) -> date:
    """The coming week; where the records end earlier (a demo year), the week after them."""
    coming = forecast.monday_of(today) + timedelta(weeks=1)
    last = figures.last_day_with_calls(uow)
    if last is not None and last < coming - timedelta(weeks=2):
        return forecast.monday_of(last) + timedelta(weeks=1)
    return coming


def week_plan(
    uow: UnitOfWork,
    monday: date,
    definition: Definition,
    *,
    target: float,
    shrinkage: float,
    check: bool = False,
    seed: int = 0,
) -> dict[str, Any]:
    """The plan of the week starting `monday`, interval by interval."""
    if monday.weekday() != 0:
        raise InvalidInput(
            "Eine Planungswoche beginnt an einem Montag.", message_en="A week starts on a Monday."
        )
    first = monday - timedelta(weeks=HISTORY_WEEKS)
    rows = figures.slot_counts(uow, first, monday - timedelta(days=1), definition)
    history = {(day, slot): counts.offered for day, slot, counts in rows}
    holidays = public_holidays()

    def closed(day: date) -> bool:
        return day.weekday() == 6 or holidays(day) is not None

    expected = forecast.forecast_week(history, monday, closed)
    accuracy = forecast.accuracy(history, monday, closed)
    recent = CallCounts()
    for day, _slot, counts in rows:
        if day >= monday - timedelta(weeks=forecast.PROFILE_WEEKS):
            recent.add(counts)
    aht = recent.talk_s / recent.talked if recent.talked else DEFAULT_AHT_S
    aht = min(max(aht, 1.0), 7200.0)
    # Exponential patience, censored by the answer: abandons per second waited by everyone.
    waited = recent.wait_answered_s + recent.wait_unanswered_s
    abandons = recent.abandoned + recent.abandoned_short
    patience = min(max(waited / abandons, 1.0), 3600.0) if abandons and waited else None
    goal = Goal(
        service_level=target,
        within_s=definition.within_s,
        short_abandon_s=definition.short_abandon_s,
        formula=definition.formula,
    )
    intervals = []
    weighted = {"formula": 0.0, "simulated": 0.0, "calls": 0.0}
    for (day, slot), calls in sorted(expected.items()):
        load_c = Load(calls * 2, aht)
        by_c = agents_needed(load_c, goal)
        row: dict[str, Any] = {
            "start": datetime.combine(day, time(slot // 2, 30 * (slot % 2)), BERLIN).isoformat(
                timespec="minutes"
            ),
            "calls": round(calls, 1),
            "erlang_c_agents": by_c.agents,
            "erlang_c_service_level": round(by_c.service_level, 4),
            "erlang_a_agents": None,
            "erlang_a_service_level": None,
            "agents_scheduled": scheduled(by_c.agents, shrinkage),
            "simulated_service_level": None,
        }
        chosen, chosen_load = by_c, load_c
        if patience is not None:
            load_a = Load(calls * 2, aht, patience)
            by_a = agents_needed(load_a, goal)
            row["erlang_a_agents"] = by_a.agents
            row["erlang_a_service_level"] = round(by_a.service_level, 4)
            row["agents_scheduled"] = scheduled(by_a.agents, shrinkage)
            chosen, chosen_load = by_a, load_a
        if check and calls > 0:
            simulated = simulate(
                chosen.agents, chosen_load, goal, calls=SIMULATED_CALLS, seed=seed + slot
            )
            level = simulated.service_level(goal)
            row["simulated_service_level"] = round(level, 4)
            weighted["simulated"] += level * calls
            weighted["formula"] += chosen.service_level * calls
            weighted["calls"] += calls
        intervals.append(row)
    checked = None
    if check and weighted["calls"]:
        checked = {
            "formula": round(weighted["formula"] / weighted["calls"], 4),
            "simulated": round(weighted["simulated"] / weighted["calls"], 4),
        }
    return {
        "week": monday.isoformat(),
        "model": "erlang_a" if patience is not None else "erlang_c",
        "target": target,
        "within_s": definition.within_s,
        "aht_s": round(aht, 1),
        "patience_s": round(patience, 1) if patience is not None else None,
        "shrinkage": shrinkage,
        "history_weeks": HISTORY_WEEKS,
        "accuracy": {
            "weeks": accuracy.weeks,
            "mape": accuracy.mape,
            "wape": accuracy.wape,
            "slots": accuracy.slots,
        },
        "check": checked,
        "intervals": intervals,
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
