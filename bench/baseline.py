"""Plain BM25 without any German processing: the yardstick for the search's gains.

Lower-casing and splitting on non-letters is all it does: no umlaut folding,
stemming, compounds, synonyms, typo handling or field weights.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class PlainBM25:
    """Okapi BM25 (k1=1.2, b=0.75) over one text per document."""

    def __init__(self, keys: list[str], texts: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.keys = keys
        self.postings: dict[str, list[tuple[int, float]]] = {}
        lengths = np.array([len(tokens(t)) for t in texts], dtype=np.float64)
        avg = float(lengths.mean()) if len(texts) else 1.0
        df: Counter[str] = Counter()
        counts = [Counter(tokens(t)) for t in texts]
        for c in counts:
            df.update(c.keys())
        n = len(texts)
        for d, c in enumerate(counts):
            norm = k1 * (1 - b + b * lengths[d] / avg)
            for term, tf in c.items():
                idf = math.log1p((n - df[term] + 0.5) / (df[term] + 0.5))
                self.postings.setdefault(term, []).append((d, idf * tf * (k1 + 1) / (tf + norm)))
        self.size = n

    def search(self, query: str, limit: int = 10) -> list[tuple[str, float]]:
        scores = np.zeros(self.size)
        for term in set(tokens(query)):
            for d, s in self.postings.get(term, ()):
                scores[d] += s
        order = np.argsort(-scores, kind="stable")[:limit]
        return [(self.keys[i], float(scores[i])) for i in order if scores[i] > 0]
