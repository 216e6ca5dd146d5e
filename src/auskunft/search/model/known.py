"""Whether the search has a good answer, or should say it has none ("known": false).

An agent reads the first result out; for a question outside the catalog ("Wann hat der
Tierpark geöffnet?") the search still ranks something, so the answer must say when its
best hit does not really fit. Two kinds of evidence:

- the words (`Evidence`): how many of the question's content words the best hit covers,
  how many the catalog does not know at all, the best hit's share of the lexical score
  the words could reach, and its lead over the runner-up;
- the meaning (`Meaning`, from the dense model, for every question when it is available):
  how close the question is to the best hit's closest text and to its own description,
  to the closest service at all, how far that one stands out from the rest, how many of
  the catalog texts nearest to the question belong to it, and whether meaning and words
  agree on the best service.

A logistic model over both, fitted by `bench/known_eval.py --fit` on the question sets in
bench/data, decides. Its threshold is chosen by one explicit rule: the highest that keeps
`KEEP` of the in-catalog questions of the fitted sets known. Without the dense model the
fitted lexical thresholds decide (docs/search.md, "Knowing what it does not know").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from auskunft.search.model.index import Evidence


@dataclass(frozen=True)
class Meaning:
    """How close in meaning the question is to the catalog (plain cosines, and one share)."""

    closeness: float  # to the best hit's closest text (passage or typical question)
    nearest: float  # to the closest service's closest text
    standout: float  # z-score of the closest service among all services
    gap: float  # the closest service's lead over the second closest
    agrees: bool  # the closest service in meaning is the best hit
    # To the best hit's own description (its passage, not a typical question).
    passage: float
    # Of the catalog texts nearest to the question (CLUSTER_TEXTS), the share that belongs
    # to the closest service: one service's texts, or a scatter over many.
    cluster: float


# How many of the catalog texts nearest to the question `Meaning.cluster` looks at.
CLUSTER_TEXTS = 10


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
    "passage",
    "cluster",
)
# The logistic model (bench/known_eval.py --sets dev,heldout,fresh --fit): feature means
# and spreads, weights, bias and the threshold on the probability that the best hit answers
# the question. The threshold rule: the highest that keeps KEEP of the in-catalog questions
# of the fitted sets known (measured on sets left out of the fit: known_eval.py --cv).
KEEP = 0.97
MEANS = (
    0.53548,
    0.12513,
    0.59094,
    0.31976,
    0.55871,
    0.88029,
    0.89208,
    3.68363,
    0.01361,
    0.48645,
    0.83774,
    0.22065,
)
SCALES = (
    0.23203,
    0.16476,
    0.20149,
    0.21243,
    0.22334,
    0.03446,
    0.02524,
    0.9865,
    0.01415,
    0.49982,
    0.03694,
    0.14073,
)
WEIGHTS = (
    1.1981,
    0.02423,
    -0.0088,
    0.65144,
    1.49496,
    0.91985,
    0.57097,
    0.94224,
    -1.15777,
    -0.21598,
    0.96412,
    0.6345,
)
BIAS = 0.10731
THRESHOLD = 0.2199


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
        meaning.passage,
        meaning.cluster,
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
