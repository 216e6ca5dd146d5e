"""The rule that says whether the search has a reliable answer ("known")."""

from __future__ import annotations

import pytest

from auskunft.search.model import known
from auskunft.search.model.index import NO_EVIDENCE, Evidence
from auskunft.search.model.known import Meaning, is_known, probability


def evidence(words: int = 2, unknown: int = 0, covered: float = 2.0, fit: float = 1.0) -> Evidence:
    return Evidence(words, unknown, covered, fit, top=50.0, second=10.0, best=0)


def meaning(closeness: float = 0.92, nearest: float = 0.92, agrees: bool = True) -> Meaning:
    return Meaning(closeness=closeness, nearest=nearest, standout=4.5, gap=0.02, agrees=agrees)


def test_a_hit_that_fits_the_question_is_known() -> None:
    assert is_known(evidence(), None)
    assert is_known(evidence(), meaning())


def test_no_hit_or_no_words_is_not_known() -> None:
    assert not is_known(NO_EVIDENCE, None)
    assert not is_known(NO_EVIDENCE, meaning())
    assert not is_known(evidence(words=0, covered=0.0), None)


def test_without_meaning_a_hit_matching_a_small_part_of_the_question_is_not_known() -> None:
    assert not is_known(evidence(fit=0.2), None)
    assert not is_known(evidence(words=2, unknown=1, covered=1.0), None)
    assert is_known(evidence(words=3, unknown=1, covered=2.0), None)


def test_a_question_far_in_meaning_from_its_best_hit_is_not_known() -> None:
    far = Meaning(closeness=0.80, nearest=0.84, standout=2.0, gap=0.002, agrees=False)
    assert not is_known(evidence(words=2, covered=1.0, fit=0.5), far)


def test_the_probability_grows_with_the_evidence() -> None:
    weak = probability(evidence(covered=1.0), meaning(closeness=0.86, nearest=0.87))
    strong = probability(evidence(covered=2.0), meaning(closeness=0.93, nearest=0.93))
    assert 0.0 < weak < strong < 1.0


def test_the_model_is_complete() -> None:
    n = len(known.FEATURES)
    assert len(known.MEANS) == len(known.SCALES) == len(known.WEIGHTS) == n
    assert all(scale > 0 for scale in known.SCALES)
    assert 0.0 < known.THRESHOLD < 1.0
    assert len(known.features(evidence(), meaning())) == n


@pytest.mark.parametrize("words", [1, 3, 12])
def test_features_are_finite(words: int) -> None:
    values = known.features(evidence(words=words, covered=float(words)), meaning())
    assert all(v == v and abs(v) < 100 for v in values)
