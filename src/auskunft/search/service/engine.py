"""Answer a caller's question: ranked services with the responsible office."""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine

from auskunft.catalog.model.jurisdiction import DEFAULT_MUNICIPALITY, MUNICIPAL_TYPES, Jurisdiction
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.search.model import dense
from auskunft.search.model.index import (
    DENSE_WEIGHT,
    DENSE_WEIGHT_SHORT,
    Evidence,
    IndexDoc,
    SearchIndex,
)
from auskunft.search.model.known import CLUSTER_TEXTS, Meaning, is_known, needs_coverage
from auskunft.search.service.embeddings import embed_missing, ensure_vectors, service_texts

MAX_QUERY_CHARS = 1000
MAX_LIMIT = 100
# How often a long-running process asks the database whether the catalog changed.
REVISION_CHECK_SECONDS = 2.0
# More missing dense vectors than this are computed in the background.
MAX_BLOCKING_VECTORS = 16
# Weight of the closest typical question beside the passage in the dense signal.
QUESTION_SHARE = 0.6
# Services changed since an index was built that are laid over it (`SearchIndex.updated`)
# before it is built whole again: at least this many, or this share of the catalog.
OVERLAY_MIN = 200
OVERLAY_SHARE = 0.02


@dataclass(frozen=True)
class ServiceMeta:
    """What a search result needs to know about a service besides its score."""

    id: str
    name: str
    kind: str
    participant: str
    appointment: bool = False


@dataclass(frozen=True)
class Vectors:
    """Dense vectors of the catalog: one row per embedded text (a service's passage,
    then its typical questions), the index position of the service each row
    belongs to, and whether the row is a typical question."""

    matrix: npt.NDArray[np.float32]
    owner: npt.NDArray[np.int64]
    is_question: npt.NDArray[np.bool_]

    def closeness(self, query_vector: npt.NDArray[np.float32], position: int) -> float:
        """The plain cosine of the question to the closest text of one service."""
        rows = self.owner == position
        if not rows.any():
            return 0.0
        return float((self.matrix[rows] @ query_vector).max())

    def meaning(self, query_vector: npt.NDArray[np.float32], best: int, size: int) -> Meaning:
        """How close in meaning the question is to the best hit and to the catalog."""
        cos = self.matrix @ query_vector
        per = np.full(size, -1.0, dtype=np.float32)
        np.maximum.at(per, self.owner, cos)
        order = np.argsort(-per)
        nearest = float(per[order[0]])
        second = float(per[order[1]]) if size > 1 else nearest
        spread = float(per.std()) + 1e-9
        closeness = float(per[best]) if best >= 0 else 0.0
        # The best hit's own description (its passage row), not its typical questions.
        told = (self.owner == best) & ~self.is_question
        passage = float(cos[told].max()) if told.any() else closeness
        # The catalog texts nearest to the question: one service's, or scattered.
        k = min(CLUSTER_TEXTS, cos.size)
        nearby = np.argpartition(cos, cos.size - k)[cos.size - k :]
        cluster = float((self.owner[nearby] == order[0]).mean())
        return Meaning(
            closeness=closeness,
            nearest=nearest,
            standout=(nearest - float(per.mean())) / spread,
            gap=nearest - second,
            agrees=bool(best >= 0 and int(order[0]) == best),
            passage=passage,
            cluster=cluster,
        )

    def similarity(
        self, query_vector: npt.NDArray[np.float32], size: int
    ) -> npt.NDArray[np.float32]:
        """Per service (index order), how close the question is in meaning, as a z-score.

        Passages and typical questions are scored apart and standardised apart
        (a question resembles a question more than a description), and a service
        counts with its closest typical question blended with its passage.
        """
        cos = self.matrix @ query_vector
        told = ~self.is_question
        passage = np.zeros(size, dtype=np.float32)
        passage[self.owner[told]] = cos[told]
        z = _standardised(passage)
        if self.is_question.any():
            best = np.full(size, -np.inf, dtype=np.float32)
            np.maximum.at(best, self.owner[self.is_question], cos[self.is_question])
            asked = np.isfinite(best)
            zq = np.zeros(size, dtype=np.float32)
            zq[asked] = _standardised(best[asked])
            z = np.where(asked, (1 - QUESTION_SHARE) * z + QUESTION_SHARE * zq, z)
        return z.astype(np.float32)


@dataclass
class Snapshot:
    """An index and the jurisdiction data of one catalog revision."""

    revision: int
    index: SearchIndex
    services: dict[str, ServiceMeta]
    jurisdiction: Jurisdiction
    participants: set[str]
    # Dense vectors, when the model is available.
    vectors: Vectors | None = None
    # Services changed since the index was built whole (laid over it), and the vectors
    # of that build.
    changed: frozenset[str] = frozenset()
    base_vectors: Vectors | None = None


def _standardised(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    z: npt.NDArray[np.float32] = ((x - x.mean()) / (float(x.std()) + 1e-9)).astype(np.float32)
    return z


def service_documents(
    rows: Iterable[catalog_reads.ServiceRow], topics: dict[str, str]
) -> list[IndexDoc]:
    """Turn catalog rows into search documents (topics: id -> names of the life situation)."""
    docs = []
    for s in rows:
        body = " ".join(
            [
                s.description,
                " ".join(s.prerequisites),
                " ".join(s.documents),
                s.processing_time,
                s.deadlines,
            ]
        )
        docs.append(
            IndexDoc(
                key=s.id,
                participant=s.participant_id,
                fields={
                    "name": s.name,
                    "keywords": " ; ".join(s.keywords),
                    "questions": " ; ".join(s.questions),
                    "summary": s.summary,
                    "body": body,
                    "topic": topics.get(s.topic_id or "", ""),
                    "name_en": s.name_en,
                    "summary_en": s.summary_en,
                },
                phrases=[s.name, s.name_en, *s.keywords],
            )
        )
    return docs


class SearchEngine:
    """Keeps one snapshot per process and rebuilds it when the catalog revision moves."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._fill_lock = threading.Lock()
        self._filling = False

    def _vectors(
        self, uow: UnitOfWork, rows: list[catalog_reads.ServiceRow], keys: list[str]
    ) -> Vectors | None:
        """Dense vectors with their owners; None while more than a few still need computing.

        Computing a vector takes about 0.15 s, so a fresh import of hundreds of
        services is embedded in a background thread instead of holding up the
        first question; the lexical search answers meanwhile.
        """
        if not keys:
            return None
        texts = service_texts(rows)
        vectors = ensure_vectors(uow, texts, max_compute=MAX_BLOCKING_VECTORS)
        if vectors is None:
            self._fill_in_background()
            return None
        uow.commit()
        position = {k: i for i, k in enumerate(keys)}
        return Vectors(
            np.stack(vectors),
            np.array([position[sid] for sid, _ in texts], dtype=np.int64),
            np.array([text.startswith(dense.QUESTION_MARK) for _, text in texts], dtype=np.bool_),
        )

    def _fill_in_background(self) -> None:
        with self._fill_lock:
            if self._filling:
                return
            self._filling = True

        def fill() -> None:
            try:
                with UnitOfWork(self.engine) as uow:
                    embed_missing(uow)
            finally:
                with self._fill_lock:
                    self._filling = False
                # The revision did not move, so only dropping the snapshot makes
                # the next question pick up the new vectors.
                self._snapshot = None
                self.invalidate()

        threading.Thread(target=fill, name="auskunft-embed", daemon=True).start()

    def invalidate(self) -> None:
        """Force a rebuild on the next question (after an import in this process)."""
        self._checked_at = 0.0

    def snapshot(self) -> Snapshot:
        """Return a current snapshot, rebuilding it if the catalog changed."""
        now = time.monotonic()
        current = self._snapshot
        if current is not None and now - self._checked_at < REVISION_CHECK_SECONDS:
            return current
        with self._lock:
            with UnitOfWork(self.engine) as uow:
                revision = catalog_reads.revision(uow)
                current = self._snapshot
                if current is None or current.revision != revision:
                    fresh = self._update(uow, current, revision) if current is not None else None
                    current = fresh or self._build(uow, revision)
                    self._snapshot = current
            self._checked_at = time.monotonic()
            return current

    def _update(self, uow: UnitOfWork, old: Snapshot, revision: int) -> Snapshot | None:
        """The snapshot of `revision` from the one before, when the revisions between only
        published, edited or unpublished single services (or changed offices): those
        services are laid over the built index. None: build it whole."""
        changes = catalog_reads.changes_after(uow, old.revision, revision)
        if changes.full:
            return None
        changed = old.changed | changes.services
        if len(changed) > max(OVERLAY_MIN, OVERLAY_SHARE * old.index.size):
            return None
        rows = catalog_reads.services_by_id(uow, sorted(changed))
        live = [rows[k] for k in sorted(changed) if k in rows and rows[k].published]
        removed = [k for k in sorted(changed) if k not in rows or not rows[k].published]
        index = old.index
        services = old.services
        if changes.services:
            topics = {x.id: f"{x.name} {x.name_en}" for x in catalog_reads.topics(uow)}
            index = index.updated(service_documents(live, topics), removed)
            services = dict(old.services)
            for key in removed:
                services.pop(key, None)
            for s in live:
                services[s.id] = ServiceMeta(s.id, s.name, s.kind, s.participant_id, s.appointment)
        vectors = old.vectors
        if changes.services and old.base_vectors is not None:
            vectors = self._overlaid_vectors(uow, old.base_vectors, index, live)
        return Snapshot(
            revision=revision,
            index=index,
            vectors=vectors,
            services=services,
            jurisdiction=Jurisdiction.build(
                catalog_reads.areas(uow),
                catalog_reads.authorities(uow),
                catalog_reads.responsibilities(uow),
            ),
            participants=catalog_reads.participant_ids(uow),
            changed=changed,
            base_vectors=old.base_vectors,
        )

    def _overlaid_vectors(
        self,
        uow: UnitOfWork,
        base: Vectors,
        index: SearchIndex,
        live: list[catalog_reads.ServiceRow],
    ) -> Vectors | None:
        """The built index's vectors without the changed services' rows, and theirs."""
        texts = service_texts(live)
        found = ensure_vectors(uow, texts, max_compute=MAX_BLOCKING_VECTORS) if texts else []
        if found is None:
            self._fill_in_background()
            return None
        uow.commit()
        stale = index.stale
        keep = ~stale[base.owner] if stale is not None else np.ones(base.owner.size, bool)
        position = index.positions([sid for sid, _ in texts])
        return Vectors(
            np.vstack([base.matrix[keep], *([np.stack(found)] if found else [])]),
            np.concatenate([base.owner[keep], np.array(position, dtype=np.int64)]),
            np.concatenate(
                [
                    base.is_question[keep],
                    np.array([t.startswith(dense.QUESTION_MARK) for _, t in texts], dtype=bool),
                ]
            ),
        )

    def _build(self, uow: UnitOfWork, revision: int) -> Snapshot:
        """Read the catalog once and build index, vectors and jurisdiction from it."""
        rows = list(catalog_reads.services(uow, published_only=True))
        topics = {x.id: f"{x.name} {x.name_en}" for x in catalog_reads.topics(uow)}
        authorities = catalog_reads.authorities(uow)
        areas = catalog_reads.areas(uow)
        places = [a.name.split()[-1] for a in areas if a.type in MUNICIPAL_TYPES]
        index = SearchIndex(service_documents(rows, topics), place_names=places)
        vectors = self._vectors(uow, rows, index.keys) if dense.enabled() else None
        return Snapshot(
            revision=revision,
            index=index,
            vectors=vectors,
            base_vectors=vectors,
            services={
                s.id: ServiceMeta(s.id, s.name, s.kind, s.participant_id, s.appointment)
                for s in rows
            },
            jurisdiction=Jurisdiction.build(
                areas, authorities, catalog_reads.responsibilities(uow)
            ),
            participants=catalog_reads.participant_ids(uow),
        )


def check_municipality(areas: Container[str], place: Any) -> str:
    """Return the area id if the catalog knows it, else raise InvalidInput naming it."""
    if not isinstance(place, str) or place not in areas:
        shown = str(place)[:80]
        raise InvalidInput(
            f"Unbekannte Gemeinde „{shown}“.", message_en=f"Unknown municipality '{shown}'."
        )
    return place


def clean_query(q: Any) -> str:
    """Validate a question; control characters count as spaces."""
    if not isinstance(q, str):
        raise InvalidInput(
            "Die Frage muss ein Text sein.", message_en="The question must be a string."
        )
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidInput(
            f"Die Frage ist zu lang (höchstens {MAX_QUERY_CHARS} Zeichen).",
            message_en=f"The question is too long (at most {MAX_QUERY_CHARS} characters).",
        )
    cleaned = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in q)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise InvalidInput(
            "Bitte geben Sie eine Frage oder ein Stichwort ein.",
            message_en="Please enter a question or a keyword.",
        )
    # Keep a trailing space: it tells the index that the last word is complete.
    return cleaned + (" " if q[-1:].isspace() else "")


def _ranked(
    snap: Snapshot,
    query: str,
    limit: int,
    participant: str | None,
    *,
    coverage: bool,
    weigh_meaning: bool = True,
) -> tuple[list[tuple[str, float]], Evidence, Meaning | None]:
    """The hits, the evidence of how well the best fits its words, and how close in meaning
    the question is to the best hit and to the catalog (when the dense model is there).

    Meaning ranks every question it is asked for: sentence-like ones with `DENSE_WEIGHT`,
    short ones (mostly ranked by their words) with `DENSE_WEIGHT_SHORT`; `known` weighs it
    too. With `weigh_meaning` off short questions are not embedded (the live results while
    someone types stay lexical; the settled question gets the meaning)."""
    similarity = query_vector = None
    sentence = snap.index.is_sentence(query)
    wanted = snap.index.has_content(query) if weigh_meaning else sentence
    if snap.vectors is not None and wanted:
        query_vector = dense.embed_query(query)
        similarity = snap.vectors.similarity(query_vector, snap.index.size)
    hits, evidence = snap.index.search_with_evidence(
        query,
        limit=limit,
        participant=participant,
        similarity=similarity,
        count_covered=coverage,
        dense_weight=DENSE_WEIGHT if sentence else DENSE_WEIGHT_SHORT,
    )
    meaning = None
    if query_vector is not None and snap.vectors is not None and evidence.best >= 0:
        meaning = snap.vectors.meaning(query_vector, evidence.best, snap.index.size)
    return hits, evidence, meaning


def explain(engine: SearchEngine, q: str) -> tuple[list[str], Evidence, Meaning | None]:
    """What `known` is decided from for a question (the calibration reads it): the ranked
    service ids, the evidence of the words and of the meaning."""
    hits, evidence, meaning = _ranked(engine.snapshot(), clean_query(q), 10, None, coverage=True)
    return [key for key, _ in hits], evidence, meaning


def answer_question(
    engine: SearchEngine,
    *,
    q: Any,
    municipality: str | None = None,
    participant: str | None = None,
    limit: int = 10,
    judge: bool = True,
) -> dict[str, Any]:
    """Rank services for a question; name the responsible authority for the municipality.

    `judge`: decide `known` with the meaning of every question (about 25 ms of the dense
    model for a short one). Live results while someone types pass False and get `known`
    None for short questions; the page asks `judge_question` once the typing pauses."""
    started = time.perf_counter()
    query = clean_query(q)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"limit muss eine ganze Zahl von 1 bis {MAX_LIMIT} sein.",
            message_en=f"limit must be an integer from 1 to {MAX_LIMIT}.",
        )
    snap = engine.snapshot()
    place = check_municipality(snap.jurisdiction.areas, municipality or DEFAULT_MUNICIPALITY)
    if participant is not None and participant not in snap.participants:
        raise InvalidInput(
            f"Unbekannter Teilnehmer „{participant}“.",
            message_en=f"Unknown participant '{participant}'.",
        )
    hits, evidence, meaning = _ranked(
        snap, query, limit, participant, coverage=needs_coverage(), weigh_meaning=judge
    )
    results = []
    for key, score in hits:
        meta = snap.services[key]
        authority = snap.jurisdiction.responsible(meta.kind, place, meta.id)
        results.append(
            {
                "id": meta.id,
                "name": meta.name,
                "score": round(score, 4),
                "authority": {"id": authority.id, "name": authority.name} if authority else None,
            }
        )
    took = (time.perf_counter() - started) * 1000
    known: bool | None = bool(results) and is_known(evidence, meaning)
    if results and meaning is None and snap.vectors is not None and not judge:
        known = None  # not judged yet: the meaning of a short question was not weighed
    return {"q": q, "known": known, "results": results, "took_ms": round(took, 3)}


def judge_question(engine: SearchEngine, *, q: Any) -> bool:
    """Whether the search has a reliable answer to a question (`known`, fully judged)."""
    return weigh_question(engine, q=q)[0]


def weigh_question(engine: SearchEngine, *, q: Any) -> tuple[bool, bool]:
    """(`known`, whether anything was found at all) of a question."""
    query = clean_query(q)
    hits, evidence, meaning = _ranked(engine.snapshot(), query, 1, None, coverage=True)
    return bool(hits) and is_known(evidence, meaning), bool(hits)
