"""Dense vectors of services: cached in the database, shipped for the demo catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.progress import Progress
from auskunft.search import tables as t
from auskunft.search.model import dense

SHIPPED = "embeddings-demo.npz"
BATCH = 16


@lru_cache(maxsize=1)
def _shipped() -> dict[str, bytes]:
    """Vectors of the demo catalog computed by `auskunft embed --export`, keyed by text hash."""
    path = resources.files("auskunft.catalog") / "data" / SHIPPED
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        data = np.load(handle)
        return {str(h): v.tobytes() for h, v in zip(data["hashes"], data["vectors"], strict=True)}


def service_texts(rows: Iterable[catalog_reads.ServiceRow]) -> list[tuple[str, str]]:
    """(service id, text to embed) pairs: each service's passage first, then each of
    its typical questions (a question meets a question better than a description)."""
    out: list[tuple[str, str]] = []
    for s in rows:
        out.append((s.id, dense.passage_text(s.name, s.name_en, s.summary, list(s.keywords))))
        out.extend((s.id, dense.question_text(q)) for q in s.questions if q.strip())
    return out


# Up to this many texts are looked up by hash; more read the whole table once.
LOOKUP_BY_HASH = 500


def _stored(uow: UnitOfWork, wanted: set[str]) -> dict[str, bytes]:
    known: dict[str, bytes] = {}
    query = select(t.Embedding.text_hash, t.Embedding.vector)
    if len(wanted) <= LOOKUP_BY_HASH:
        query = query.where(t.Embedding.text_hash.in_(sorted(wanted)))
    rows = uow.session.execute(query)
    for h, blob in rows:
        if h in wanted:
            known[h] = blob
    return known


def missing_vectors(uow: UnitOfWork, texts: list[tuple[str, str]]) -> list[str]:
    """Service ids with a text whose vector is neither stored nor shipped (each id once)."""
    hashes = [(sid, dense.text_hash(text)) for sid, text in texts]
    known = _stored(uow, {h for _, h in hashes}).keys() | _shipped().keys()
    return list(dict.fromkeys(sid for sid, h in hashes if h not in known))


def _store(uow: UnitOfWork, text_hash: str, blob: bytes) -> None:
    """Cache a vector; another process (the worker, a second web worker) may have stored
    the same text's vector meanwhile: then that one stays (they are the same)."""
    values = {"text_hash": text_hash, "model": dense.MODEL_NAME, "vector": blob}
    if uow.session.get_bind().dialect.name == "postgresql":
        statement: Any = postgresql_insert(t.Embedding).values(values)
    else:
        statement = sqlite_insert(t.Embedding).values(values)
    uow.session.execute(statement.on_conflict_do_nothing(index_elements=["text_hash"]))


# The background worker's job that computes the vectors of changed services (search.jobs).
EMBED_JOB = "search.embed"


def ensure_vectors(
    uow: UnitOfWork,
    texts: list[tuple[str, str]],
    progress: Progress | None = None,
    commit_each_batch: Callable[[], None] | None = None,
    max_compute: int | None = None,
) -> list[npt.NDArray[np.float32]] | None:
    """Return a vector per text (in order), computing and caching the ones not known yet.

    With `max_compute`, return None instead when more than that many would
    have to be computed (the caller then fills them in elsewhere).
    """
    hashes = [dense.text_hash(text) for _, text in texts]
    wanted = set(hashes)
    known = _stored(uow, wanted)
    shipped = _shipped()
    for h in wanted - known.keys():
        if h in shipped:
            known[h] = shipped[h]
            _store(uow, h, shipped[h])
    # Each missing text once, even when two services share it.
    pending = {h: text for h, (_, text) in zip(hashes, texts, strict=True) if h not in known}
    missing = list(pending.items())
    if max_compute is not None and len(missing) > max_compute:
        return None
    for start in range(0, len(missing), BATCH):
        chunk = missing[start : start + BATCH]
        vectors = dense.embed_passages([text for _, text in chunk])
        for (h, _), vector in zip(chunk, vectors, strict=True):
            blob = dense.to_bytes(vector)
            known[h] = blob
            _store(uow, h, blob)
        if commit_each_batch:
            commit_each_batch()
        if progress:
            progress(min(start + BATCH, len(missing)), len(missing))
    return [dense.from_bytes(known[h]) for h in hashes]


def embed_missing(uow: UnitOfWork, progress: Progress | None = None) -> None:
    """Compute and store the vectors of every service that lacks one, batch by batch."""
    texts = service_texts(catalog_reads.services(uow))
    ensure_vectors(uow, texts, progress=progress, commit_each_batch=uow.commit)
    uow.commit()


def export_demo_vectors(uow: UnitOfWork, path: str) -> int:
    """Write the vectors of the demo services to an .npz file to ship with the package."""
    texts = service_texts(s for s in catalog_reads.services(uow) if s.source == "demo")
    vectors = ensure_vectors(uow, texts)
    assert vectors is not None
    hashes = np.array([dense.text_hash(text) for _, text in texts])
    matrix = np.stack(vectors).astype(np.float16)
    np.savez_compressed(path, hashes=hashes, vectors=matrix)
    return len(texts)
