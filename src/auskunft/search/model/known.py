"""Whether the search has a good answer, or should say it has none ("known": false).

An agent reads the first result out; for a question outside the catalog ("Wann hat der
Tierpark geöffnet?") the search still ranks something, so the answer must say when its
best hit does not really fit. Two kinds of evidence:

- the words (`Evidence`): how many of the question's content words the best hit covers,
  how many the catalog does not know at all, the best hit's share of the lexical score
  the words could reach, and its lead over the runner-up;
- the meaning (`Meaning`, from the dense model, for every question when it is available):
  how close the question is to the best hit's closest text, to the closest service at
  all, how far that one stands out from the rest, and whether meaning and words agree on
  the best service.

A logistic model over both, fitted by `bench/known_eval.py --fit` on the question sets in
bench/data, decides; its threshold keeps 96 % of in-catalog questions known on the
sets it was fitted on. Without the dense model the fitted lexical thresholds decide
(docs/search.md, "Knowing what it does not know").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from auskunft.search.model.index import Evidence


@dataclass(frozen=True)
class Meaning:
    """How close in meaning the question is to the catalog (plain cosines)."""

    closeness: float  # to the best hit's closest text (passage or typical question)
    nearest: float  # to the closest service's closest text
    standout: float  # z-score of the closest service among all services
    gap: float  # the closest service's lead over the second closest
    agrees: bool  # the closest service in meaning is the best hit


# Lexical thresholds, used when there is no dense model (fitted on the development sets).
MIN_COVERED_SHARE = 0.0  # of the question's words, matched by the best hit
MIN_FIT = 0.3  # the best hit's share of the lexical score the question's words can reach
MAX_UNKNOWN_SHARE = 0.34  # of the question's words, unknown to the whole catalog

FEATURES = (
    "covered_share",
    "unknown_share",
    "fit",
    "lead",
    "words",
    "closeness",
    "nearest",
    "standout",
    "gap",
    "agrees",
)
# The logistic model (bench/known_eval.py --fit): feature means and spreads, weights, bias
# and the threshold on the probability that the best hit answers the question.
MEANS = (0.51612, 0.13294, 0.59172, 0.31933, 0.53041, 0.87905, 0.89147, 3.65775, 0.01326, 0.47015)
SCALES = (0.22216, 0.16964, 0.20321, 0.21265, 0.21946, 0.03397, 0.02463, 0.95217, 0.01351, 0.49911)
WEIGHTS = (
    1.19282,
    -0.08634,
    0.0201,
    0.62074,
    1.42009,
    1.37031,
    0.35865,
    1.24351,
    -1.26206,
    0.08911,
)
BIAS = 0.0198
THRESHOLD = 0.2815


def features(evidence: Evidence, meaning: Meaning) -> tuple[float, ...]:
    """The model's inputs, in the order of FEATURES."""
    words = evidence.words
    return (
        evidence.covered / words if words else 0.0,
        evidence.unknown / words if words else 1.0,
        evidence.fit,
        (evidence.top - evidence.second) / evidence.top if evidence.top > 0 else 0.0,
        min(words, 10) / 10,
        meaning.closeness,
        meaning.nearest,
        meaning.standout,
        meaning.gap,
        1.0 if meaning.agrees else 0.0,
    )


def probability(evidence: Evidence, meaning: Meaning) -> float:
    """The model's probability that the best hit answers the question."""
    score = BIAS
    for value, mean, scale, weight in zip(
        features(evidence, meaning), MEANS, SCALES, WEIGHTS, strict=True
    ):
        score += weight * (value - mean) / scale
    return 1.0 / (1.0 + math.exp(-score))


def is_known(evidence: Evidence, meaning: Meaning | None) -> bool:
    """Whether the best hit answers the question, by the evidence of the search."""
    if evidence.words == 0 or evidence.top <= 0:
        return False
    if meaning is not None:
        return probability(evidence, meaning) >= THRESHOLD
    covered = evidence.covered / evidence.words
    unknown = evidence.unknown / evidence.words
    return not (
        covered < MIN_COVERED_SHARE or unknown > MAX_UNKNOWN_SHARE or evidence.fit < MIN_FIT
    )


def needs_coverage() -> bool:
    """Whether `known` looks at the covered words (else the search need not count them)."""
    return True
