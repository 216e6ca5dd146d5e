"""Erlang C and Erlang A: what a number of agents achieves, and how many a target needs.

Erlang C (M/M/n) assumes callers wait for ever; Erlang A (M/M/n+M) lets each caller
hang up after an exponentially distributed patience, which is what real queues do and
why Erlang C overstaffs. Both are computed exactly, not by iteration to convergence:

- Erlang C from the Erlang B recursion (stable for thousands of agents), the waiting
  time tail `C * exp(-(n - a) * t / aht)`.
- Erlang A from the birth-and-death chain's stationary distribution (in logarithms, so
  hundreds of agents do not overflow) and, for a caller who finds `j` others waiting,
  closed forms: with `c = n * mu / theta`, the caller is answered with probability
  `c / (c + j + 1)`, and `exp(-theta * V)` of the waits V involved is Beta-distributed,
  so "answered within t" and "hung up within t" are regularized incomplete beta
  functions (`scipy.special.betainc`).

Overload is not an error: with no more agents than the traffic intensity Erlang C's
queue grows without bound, so its service level is 0 and its average wait is None
(unbounded) - never a negative number or NaN. Erlang A stays stable in overload
(callers hang up) and gives finite figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy.special import betainc

from auskunft.telephony.model.figures import Formula, service_level

# The published reference for Erlang C (traffic 10 Erlang, 14 agents, 180 s handling):
# waiting probability 0.1741, service level in 20 s 0.8884, average speed of answer 7.84 s.
MAX_AGENTS = 10_000


class Model(StrEnum):
    ERLANG_C = "erlang_c"
    ERLANG_A = "erlang_a"


@dataclass(frozen=True)
class Load:
    """The calls of an interval: arrival rate and mean handling time; patience for Erlang A."""

    calls_per_hour: float
    aht_s: float
    patience_s: float | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.calls_per_hour) or self.calls_per_hour < 0:
            raise ValueError("calls_per_hour must be a number of at least 0")
        # Below a second the rates overflow the arithmetic; nobody's calls are that short.
        if not math.isfinite(self.aht_s) or not 1 <= self.aht_s <= 86_400:
            raise ValueError("aht_s must lie between 1 and 86,400 seconds")
        if self.patience_s is not None and (
            not math.isfinite(self.patience_s) or not 1 <= self.patience_s <= 86_400
        ):
            raise ValueError("patience_s must lie between 1 and 86,400 seconds")

    @property
    def intensity(self) -> float:
        """Traffic intensity in Erlang: calls per second times handling seconds."""
        return self.calls_per_hour / 3600.0 * self.aht_s

    @property
    def model(self) -> Model:
        return Model.ERLANG_C if self.patience_s is None else Model.ERLANG_A


@dataclass(frozen=True)
class Goal:
    """The service level wanted: `service_level` of calls answered within `within_s`."""

    service_level: float = 0.75
    within_s: float = 30.0
    short_abandon_s: float = 5.0
    formula: Formula = Formula.ANSWERED_AND_LONG_ABANDONS

    def __post_init__(self) -> None:
        if not 0 < self.service_level < 1:
            raise ValueError("the target service level must lie between 0 and 1")
        if not math.isfinite(self.within_s) or self.within_s < 0:
            raise ValueError("within_s must be a number of seconds of at least 0")
        if not math.isfinite(self.short_abandon_s) or self.short_abandon_s < 0:
            raise ValueError("short_abandon_s must be a number of seconds of at least 0")


@dataclass(frozen=True)
class Prediction:
    """What `agents` achieve for a load."""

    agents: int
    model: Model
    waiting_probability: float  # a caller has to wait at all
    service_level: float  # by the goal's formula
    asa_s: float | None  # mean wait of answered calls; None: unbounded (overload)
    occupancy: float  # share of the agents' time spent talking
    abandon_rate: float  # share of callers who hang up (0 under Erlang C)
    answered_within: float  # share of all callers answered within the goal's seconds

    @property
    def stable(self) -> bool:
        return self.asa_s is not None


def erlang_b(agents: int, intensity: float) -> float:
    """Blocking probability of a loss system, by the recursion B(k) = aB(k-1)/(k+aB(k-1))."""
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = intensity * blocking / (k + intensity * blocking)
    return blocking


def erlang_c(agents: int, intensity: float) -> float:
    """Probability that a caller waits (M/M/n); 1 when the queue is unstable."""
    if intensity <= 0:
        return 0.0
    if agents <= intensity:
        return 1.0
    blocking = erlang_b(agents, intensity)
    return agents * blocking / (agents - intensity * (1 - blocking))


def predict(agents: int, load: Load, goal: Goal) -> Prediction:
    """The figures `agents` achieve for `load`, by the load's model."""
    if agents < 0 or agents > MAX_AGENTS:
        raise ValueError(f"agents must lie between 0 and {MAX_AGENTS}")
    if load.patience_s is None:
        return _erlang_c(agents, load, goal)
    return _erlang_a(agents, load, goal)


def agents_needed(load: Load, goal: Goal) -> Prediction:
    """The fewest agents whose service level reaches the goal, with their figures."""
    intensity = load.intensity
    if intensity == 0:
        return predict(0, load, goal)
    # The service level grows with every agent; search between a bound below and one
    # above (Erlang A never needs more than Erlang C, which needs more than a agents).
    too_many = ValueError(f"the load needs more than {MAX_AGENTS} agents")
    low = 0 if load.patience_s is not None else math.floor(intensity)
    if low >= MAX_AGENTS:
        raise too_many
    high = min(MAX_AGENTS, max(low + 1, math.ceil(intensity + 3 * math.sqrt(intensity) + 3)))
    while predict(high, load, goal).service_level < goal.service_level:
        if high == MAX_AGENTS:
            raise too_many
        low, high = high, min(MAX_AGENTS, high * 2)
    while high - low > 1:
        middle = (low + high) // 2
        if predict(middle, load, goal).service_level >= goal.service_level:
            high = middle
        else:
            low = middle
    return predict(high, load, goal)


def _erlang_c(agents: int, load: Load, goal: Goal) -> Prediction:
    intensity = load.intensity
    if intensity == 0:
        return Prediction(agents, Model.ERLANG_C, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    if agents <= intensity:
        # No steady state: the queue grows for as long as the interval lasts.
        return Prediction(agents, Model.ERLANG_C, 1.0, 0.0, None, 1.0, 0.0, 0.0)
    waiting = erlang_c(agents, intensity)
    within = 1.0 - waiting * math.exp(-(agents - intensity) * goal.within_s / load.aht_s)
    asa = waiting * load.aht_s / (agents - intensity)
    return Prediction(agents, Model.ERLANG_C, waiting, within, asa, intensity / agents, 0.0, within)


def _erlang_a(agents: int, load: Load, goal: Goal) -> Prediction:
    assert load.patience_s is not None
    lam = load.calls_per_hour / 3600.0
    mu = 1.0 / load.aht_s
    theta = 1.0 / load.patience_s
    if lam == 0:
        return Prediction(agents, Model.ERLANG_A, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    served_at_once, waiting = _stationary(agents, lam, mu, theta)
    if agents == 0:
        # Nobody answers: every caller hangs up, after their patience.
        cut = math.exp(-theta * goal.short_abandon_s)
        long_abandons = cut  # patience beyond the cutoff
        level = _level(goal, 0.0, 0.0, long_abandons)
        return Prediction(0, Model.ERLANG_A, 1.0, level, None, 0.0, 1.0, 0.0)
    ahead = np.arange(len(waiting), dtype=float)  # callers waiting ahead of the arrival
    c = agents * mu / theta
    answered_if = c / (c + ahead + 1.0)  # answered at all, given j ahead

    def cdf(seconds: float, shape: float) -> np.ndarray:
        # P(V <= t) where exp(-theta V) ~ Beta(shape, j + 1): I_{1 - e^{-theta t}}(j+1, shape)
        found: np.ndarray = betainc(ahead + 1.0, shape, -math.expm1(-theta * seconds))
        return found

    answered = served_at_once + float(waiting @ answered_if)
    answered_within = served_at_once + float(waiting @ (answered_if * cdf(goal.within_s, c + 1)))
    cut = goal.short_abandon_s
    if cut > 0:
        gone_by_cut = (
            -math.expm1(-theta * cut)
            - answered_if * cdf(cut, c + 1)
            + math.exp(-theta * cut) * cdf(cut, c)
        )
        short_abandons = float(waiting @ gone_by_cut)
    else:
        short_abandons = 0.0
    abandoned = max(0.0, 1.0 - answered)
    long_abandons = max(0.0, abandoned - short_abandons)
    # Mean wait of the answered: E[V; answered] = P(answered) * sum_i 1 / (theta (c + i + 1)).
    mean_wait_tilted = np.cumsum(1.0 / (theta * (c + ahead + 1.0)))
    asa = float(waiting @ (answered_if * mean_wait_tilted)) / answered if answered > 0 else None
    occupancy = min(1.0, load.intensity * answered / agents)
    level = _level(goal, answered_within, answered, long_abandons)
    return Prediction(
        agents,
        Model.ERLANG_A,
        float(waiting.sum()),
        level,
        asa,
        occupancy,
        abandoned,
        answered_within,
    )


def _level(goal: Goal, answered_within: float, answered: float, long_abandons: float) -> float:
    """Per arriving caller (offered = 1), by the goal's formula."""
    found = service_level(
        goal.formula,
        answered_within=answered_within,
        answered=answered,
        long_abandons=long_abandons,
        offered=1.0,
    )
    return 0.0 if found is None else found


def _stationary(agents: int, lam: float, mu: float, theta: float) -> tuple[float, np.ndarray]:
    """P(an arrival finds a free agent), and P(it finds all busy and j waiting) for j >= 0.

    Birth rate lam; death rate k mu up to n agents, then n mu + j theta. Computed in
    logarithms and cut where the tail's terms fall below 1e-16 of the largest."""
    queue_len = max(0.0, (lam - agents * mu) / theta)
    spread = math.sqrt(lam / theta)
    extra = int(queue_len + 12 * spread + 60)
    while True:
        k = np.arange(1, agents + extra + 1, dtype=float)
        rates = np.minimum(k, agents) * mu + np.maximum(k - agents, 0.0) * theta
        logs = np.concatenate(([0.0], np.cumsum(math.log(lam) - np.log(rates))))
        top = logs.max()
        if logs[-1] < top - 37 or extra > 1_000_000:
            break
        extra *= 2
    weights = np.exp(logs - top)
    weights /= weights.sum()
    return float(weights[:agents].sum()), weights[agents:]


def scheduled(agents: int, shrinkage: float) -> int:
    """Agents to put on the plan so that `agents` are on the phone, with the share of
    paid time off the phone (breaks, training, absence)."""
    return math.ceil(agents / (1.0 - shrinkage) - 1e-9) if agents else 0
