"""The rule that says whether the search has a reliable answer ("known")."""

from __future__ import annotations

from auskunft.search.model.index import NO_EVIDENCE, Evidence
from auskunft.search.model.known import MIN_CLOSENESS, is_known


def evidence(words: int = 2, unknown: int = 0, covered: float = 2.0, fit: float = 1.0) -> Evidence:
    return Evidence(words, unknown, covered, fit, top=50.0, second=10.0, best=0)


def test_a_hit_that_fits_the_question_is_known() -> None:
    assert is_known(evidence(), None)
    assert is_known(evidence(), MIN_CLOSENESS + 0.01)


def test_no_hit_or_no_words_is_not_known() -> None:
    assert not is_known(NO_EVIDENCE, None)
    assert not is_known(evidence(words=0, covered=0.0), None)


def test_a_hit_matching_a_small_part_of_the_question_is_not_known() -> None:
    assert not is_known(evidence(fit=0.2), None)


def test_words_the_catalog_does_not_know_make_the_answer_unreliable() -> None:
    assert not is_known(evidence(words=2, unknown=1, covered=1.0), None)
    assert is_known(evidence(words=3, unknown=1, covered=2.0), None)


def test_a_sentence_far_in_meaning_from_the_hit_is_not_known() -> None:
    assert not is_known(evidence(), MIN_CLOSENESS - 0.01)
