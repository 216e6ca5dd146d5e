"""Whether the search has a good answer, or should say it has none ("known": false).

An agent reads the first result out; for a question outside the catalog ("Wann hat der
Tierpark geöffnet?") the search still ranks something, so the answer must say when its
best hit does not really fit. The evidence is how many of the question's content words
the best hit covers, how many the catalog does not know at all, and, for sentence-like
questions, how close in meaning the best hit's texts are. The thresholds are calibrated
on question sets in bench/data (docs/search.md, "Knowing what it does not know").
"""

from __future__ import annotations

from auskunft.search.model.index import Evidence

# Fitted by `bench/known_eval.py --fit` on the development sets: the strictest rule that
# keeps >= 95 % of in-catalog questions known (docs/search.md, "Knowing what it does not know").
MIN_COVERED_SHARE = 0.0  # of the question's words, matched by the best hit
MIN_FIT = 0.3  # the best hit's share of the lexical score the question's words can reach
MAX_UNKNOWN_SHARE = 0.34  # of the question's words, unknown to the whole catalog
MIN_CLOSENESS = 0.86  # plain cosine of a sentence to the best hit's closest text


def is_known(evidence: Evidence, closeness: float | None) -> bool:
    """Whether the best hit answers the question, by the evidence of the search."""
    if evidence.words == 0 or evidence.top <= 0:
        return False
    covered = evidence.covered / evidence.words
    unknown = evidence.unknown / evidence.words
    if covered < MIN_COVERED_SHARE or unknown > MAX_UNKNOWN_SHARE or evidence.fit < MIN_FIT:
        return False
    return closeness is None or closeness >= MIN_CLOSENESS


def needs_coverage() -> bool:
    """Whether the rule looks at the covered words (else the search need not count them)."""
    return MIN_COVERED_SHARE > 0
