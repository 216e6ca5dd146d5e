"""The rule that says whether the search has a reliable answer ("known")."""

from __future__ import annotations

import numpy as np
import pytest

from auskunft.search.model import known
from auskunft.search.model.index import NO_EVIDENCE, Evidence
from auskunft.search.model.known import Meaning, is_known, probability
from auskunft.search.service.engine import Vectors


def evidence(words: int = 2, unknown: int = 0, covered: float = 2.0, fit: float = 1.0) -> Evidence:
    return Evidence(words, unknown, covered, fit, top=50.0, second=10.0, best=0)


def meaning(
    closeness: float = 0.92,
    nearest: float = 0.92,
    agrees: bool = True,
    passage: float = 0.86,
    cluster: float = 0.4,
) -> Meaning:
    return Meaning(
        closeness=closeness,
        nearest=nearest,
        standout=4.5,
        gap=0.02,
        agrees=agrees,
        passage=passage,
        cluster=cluster,
    )


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
    far = Meaning(
        closeness=0.80,
        nearest=0.84,
        standout=2.0,
        gap=0.002,
        agrees=False,
        passage=0.76,
        cluster=0.1,
    )
    assert not is_known(evidence(words=2, covered=1.0, fit=0.5), far)


def test_the_probability_grows_with_the_evidence() -> None:
    weak = probability(evidence(covered=1.0), meaning(closeness=0.86, nearest=0.87))
    strong = probability(evidence(covered=2.0), meaning(closeness=0.93, nearest=0.93))
    assert 0.0 < weak < strong < 1.0


def test_a_question_near_the_description_and_texts_of_one_service_weighs_more() -> None:
    scattered = probability(evidence(covered=1.0), meaning(passage=0.80, cluster=0.1))
    gathered = probability(evidence(covered=1.0), meaning(passage=0.88, cluster=0.6))
    assert scattered < gathered


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


def _unit(*values: float) -> list[float]:
    v = np.array(values, dtype=np.float32)
    return list(v / np.linalg.norm(v))


def test_meaning_of_a_question_measures_passage_and_cluster() -> None:
    # Service 0: a passage and two typical questions close to the question; service 1:
    # a passage and a question far from it.
    rows = [
        _unit(1.0, 0.3, 0.0),  # service 0, passage
        _unit(1.0, 0.1, 0.0),  # service 0, question
        _unit(1.0, 0.0, 0.1),  # service 0, question
        _unit(0.0, 1.0, 0.0),  # service 1, passage
        _unit(0.2, 0.0, 1.0),  # service 1, question
    ]
    vectors = Vectors(
        np.array(rows, dtype=np.float32),
        np.array([0, 0, 0, 1, 1], dtype=np.int64),
        np.array([False, True, True, False, True]),
    )
    query = np.array(_unit(1.0, 0.0, 0.0), dtype=np.float32)
    near = vectors.meaning(query, best=0, size=2)
    assert near.agrees
    assert near.closeness == pytest.approx(float(np.dot(rows[1], query)))
    assert near.passage == pytest.approx(float(np.dot(rows[0], query)))
    # All five texts are "nearby" here (fewer than CLUSTER_TEXTS): three are service 0's.
    assert near.cluster == pytest.approx(3 / 5)
    other = vectors.meaning(query, best=1, size=2)
    assert not other.agrees
    assert other.passage == pytest.approx(float(np.dot(rows[3], query)))
    assert other.cluster == near.cluster  # about the closest service, whatever the best hit
