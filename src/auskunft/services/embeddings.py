"""Dense vectors of services: cached in the database, shipped for the demo catalog."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from auskunft.db import tables as t
from auskunft.db.uow import UnitOfWork
from auskunft.search import dense

Progress = Callable[[int, int], None]
SHIPPED = "embeddings-demo.npz"
BATCH = 16


@lru_cache(maxsize=1)
def _shipped() -> dict[str, bytes]:
    """Vectors of the demo catalog computed by `auskunft embed --export`, keyed by text hash."""
    path = resources.files("auskunft") / "data" / "catalog" / SHIPPED
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        data = np.load(handle)
        return {str(h): v.tobytes() for h, v in zip(data["hashes"], data["vectors"], strict=True)}


def service_texts(uow: UnitOfWork) -> list[tuple[str, str]]:
    """(service id, text to embed) for every service, in id order."""
    return [
        (s.id, dense.passage_text(s.name, s.name_en, s.summary, list(s.keywords)))
        for s in uow.catalog.services()
    ]


def _stored(uow: UnitOfWork, wanted: set[str]) -> dict[str, bytes]:
    known: dict[str, bytes] = {}
    rows = uow.session.execute(select(t.Embedding.text_hash, t.Embedding.vector))
    for h, blob in rows:
        if h in wanted:
            known[h] = blob
    return known


def missing_vectors(uow: UnitOfWork, texts: list[tuple[str, str]]) -> list[str]:
    """Service ids whose vector is neither stored nor shipped."""
    hashes = {sid: dense.text_hash(text) for sid, text in texts}
    known = _stored(uow, set(hashes.values())).keys() | _shipped().keys()
    return [sid for sid, h in hashes.items() if h not in known]


def ensure_vectors(
    uow: UnitOfWork,
    texts: list[tuple[str, str]],
    progress: Progress | None = None,
    commit_each_batch: Callable[[], None] | None = None,
) -> dict[str, npt.NDArray[np.float32]]:
    """Return a vector per service id, computing and caching the ones not known yet."""
    hashes = {sid: dense.text_hash(text) for sid, text in texts}
    wanted = set(hashes.values())
    known = _stored(uow, wanted)
    shipped = _shipped()
    for h in wanted - known.keys():
        if h in shipped:
            known[h] = shipped[h]
            uow.catalog.add(t.Embedding(text_hash=h, model=dense.MODEL_NAME, vector=shipped[h]))
    missing = [(sid, text) for sid, text in texts if hashes[sid] not in known]
    for start in range(0, len(missing), BATCH):
        chunk = missing[start : start + BATCH]
        vectors = dense.embed_passages([text for _, text in chunk])
        for (sid, _), vector in zip(chunk, vectors, strict=True):
            blob = dense.to_bytes(vector)
            if hashes[sid] not in known:
                known[hashes[sid]] = blob
                uow.catalog.add(
                    t.Embedding(text_hash=hashes[sid], model=dense.MODEL_NAME, vector=blob)
                )
        if commit_each_batch:
            commit_each_batch()
        if progress:
            progress(min(start + BATCH, len(missing)), len(missing))
    return {sid: dense.from_bytes(known[hashes[sid]]) for sid, _ in texts}


def export_demo_vectors(uow: UnitOfWork, path: str) -> int:
    """Write the vectors of the demo services to an .npz file to ship with the package."""
    demo_ids = {s.id for s in uow.catalog.services() if s.source == "demo"}
    texts = [(sid, text) for sid, text in service_texts(uow) if sid in demo_ids]
    vectors = ensure_vectors(uow, texts)
    hashes = np.array([dense.text_hash(text) for _, text in texts])
    matrix = np.stack([vectors[sid] for sid, _ in texts]).astype(np.float16)
    np.savez_compressed(path, hashes=hashes, vectors=matrix)
    return len(texts)
