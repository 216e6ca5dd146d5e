"""A discrete-event simulation of one interval's queue (SimPy), to check the formulas.

Callers arrive at random (Poisson), wait for the first free agent in order of arrival,
hang up after their patience (exponential, when the load has one) and are served for a
handling time drawn from an exponential distribution (the formulas' assumption) or a
lognormal one with the same mean (what the records show). The queue runs for a warm-up
before counting starts, so the figures are those of the interval's steady state, which
is what Erlang C and A predict.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import simpy

from auskunft.staffing.model.erlang import Goal, Load
from auskunft.telephony.model.figures import service_level


@dataclass(frozen=True)
class Simulated:
    agents: int
    calls: int  # counted callers (after the warm-up)
    answered: int
    answered_within: int
    abandoned_short: int
    abandoned_long: int
    mean_wait_answered_s: float | None

    def service_level(self, goal: Goal) -> float:
        """By the goal's formula, as a report of real calls would count."""
        found = service_level(
            goal.formula,
            answered_within=self.answered_within,
            answered=self.answered,
            long_abandons=self.abandoned_long,
            offered=self.calls,
        )
        return 1.0 if found is None else found


def simulate(
    agents: int,
    load: Load,
    goal: Goal,
    *,
    calls: int = 4000,
    seed: int = 0,
    handling: str = "exponential",
    lognormal_sigma: float = 0.8,
) -> Simulated:
    """Simulate until `calls` callers have been counted after a warm-up of calls/10."""
    if handling not in ("exponential", "lognormal"):
        raise ValueError("handling must be 'exponential' or 'lognormal'")
    rng = random.Random(seed)
    rate = load.calls_per_hour / 3600.0
    if rate == 0 or calls <= 0:
        return Simulated(agents, 0, 0, 0, 0, 0, None)
    warmup = max(50, calls // 10)
    total = warmup + calls
    # A lognormal with the handling time's mean: mu = ln(mean) - sigma^2 / 2.
    log_mu = math.log(load.aht_s) - lognormal_sigma**2 / 2

    def handling_time() -> float:
        if handling == "lognormal":
            return rng.lognormvariate(log_mu, lognormal_sigma)
        return rng.expovariate(1.0 / load.aht_s)

    env = simpy.Environment()
    staff = simpy.Resource(env, capacity=agents) if agents > 0 else None
    counts = {"answered": 0, "within": 0, "short": 0, "long": 0, "calls": 0}
    waits: list[float] = []
    done = env.event()
    finished = [0]

    def caller(number: int) -> simpy.events.ProcessGenerator:
        arrived = env.now
        patience = (
            rng.expovariate(1.0 / load.patience_s) if load.patience_s is not None else math.inf
        )
        counted = number >= warmup
        if staff is None:
            yield env.timeout(patience if math.isfinite(patience) else 0)
            answered = False
        else:
            with staff.request() as request:
                outcome = yield request | env.timeout(patience)
                answered = request in outcome
                if answered:
                    wait = env.now - arrived
                    if counted:
                        counts["answered"] += 1
                        waits.append(wait)
                        if wait <= goal.within_s:
                            counts["within"] += 1
                    yield env.timeout(handling_time())
        if not answered and counted:
            waited = env.now - arrived
            counts["long" if waited > goal.short_abandon_s else "short"] += 1
        if counted:
            counts["calls"] += 1
        finished[0] += 1
        if finished[0] >= total and not done.triggered:
            done.succeed()

    def arrivals() -> simpy.events.ProcessGenerator:
        for number in range(total):
            yield env.timeout(rng.expovariate(rate))
            env.process(caller(number))

    env.process(arrivals())
    env.run(until=done)
    return Simulated(
        agents,
        counts["calls"],
        counts["answered"],
        counts["within"],
        counts["short"],
        counts["long"],
        sum(waits) / len(waits) if waits else None,
    )
